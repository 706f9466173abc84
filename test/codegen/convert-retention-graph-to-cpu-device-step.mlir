// RUN: retc-opt %s --split-input-file --convert-retention-graph-to-cpu | FileCheck %s
// The ops of a decode step that runs on the device (GPU packages build it;
// the CPU lowers it too): rotary with each row's position loaded from
// memory, and next_token, each row scanned in order keeping the first
// strictly larger logit, or the first number if none is kept yet (so a
// row of a NaN and -infs chooses the first -inf, as the GPU kernel does;
// a NaN never compares; none found: 0). A static row count allocates
// static results.

// CHECK-LABEL: func.func @next_token
// CHECK: %[[NINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: scf.parallel (%[[T:.+]]) =
// CHECK: %[[BEST:.+]]:2 = scf.for %[[J:.+]] = %{{.+}} to %[[V:.+]] step %{{.+}} iter_args(%[[X:.+]] = %[[NINF]], %[[I:.+]] = %[[V]]) -> (f32, index)
// CHECK: %[[GT:.+]] = arith.cmpf ogt, %{{.+}}, %[[X]] : f32
// CHECK: %[[EQ:.+]] = arith.cmpf oeq, %{{.+}}, %[[X]] : f32
// CHECK: %[[NONE:.+]] = arith.cmpi eq, %[[I]], %[[V]] : index
// CHECK: %[[FIRST:.+]] = arith.andi %[[EQ]], %[[NONE]] : i1
// CHECK: %[[TAKE:.+]] = arith.ori %[[GT]], %[[FIRST]] : i1
// CHECK: arith.select %[[TAKE]]
// CHECK: arith.select %[[TAKE]], %[[J]], %[[I]] : index
// CHECK: %[[FOUND:.+]] = arith.cmpi slt, %[[BEST]]#1, %[[V]] : index
// CHECK: arith.select %[[FOUND]], %[[BEST]]#1, %{{.+}} : index
// CHECK: memref.store %{{.+}}, %{{.+}}[%[[T]]] : memref<?xi32>
// CHECK: %[[P:.+]] = memref.load %{{.+}}[%[[T]]] : memref<?xi64>
// CHECK: %[[P1:.+]] = arith.addi %[[P]], %{{.+}} : i64
// CHECK: memref.store %[[P1]], %{{.+}}[%[[T]]] : memref<?xi64>
func.func @next_token(%l: tensor<?x100xf32>, %p: tensor<?xi64>) -> (tensor<?xi32>, tensor<?xi64>) {
  %t, %n = retention.next_token %l, %p : tensor<?x100xf32>, tensor<?xi64> -> tensor<?xi32>, tensor<?xi64>
  return %t, %n : tensor<?xi32>, tensor<?xi64>
}

// -----

// CHECK-LABEL: func.func @rotary_positions
// CHECK: %[[PB:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<?xi64> to memref<?xi64>
// CHECK: scf.parallel (%[[T:.+]]) =
// CHECK: %[[P:.+]] = memref.load %[[PB]][%[[T]]] : memref<?xi64>
// CHECK: arith.uitofp %[[P]] : i64 to f64
func.func @rotary_positions(%q: tensor<?x64xf32>, %p: tensor<?xi64>) -> tensor<?x64xf32> {
  %r = retention.rotary %q positions %p {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x64xf32>, tensor<?xi64> -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @next_token_static
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<3xi32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<3xi64>
func.func @next_token_static(%l: tensor<3x10xf32>, %p: tensor<3xi64>) -> (tensor<3xi32>, tensor<3xi64>) {
  %t, %n = retention.next_token %l, %p : tensor<3x10xf32>, tensor<3xi64> -> tensor<3xi32>, tensor<3xi64>
  return %t, %n : tensor<3xi32>, tensor<3xi64>
}
