// RUN: retc-opt %s --split-input-file --convert-retention-to-cpu | FileCheck %s
// A dynamic T (a model's prefill/decode/forward): the sequence length is
// memref.dim 1 of q's buffer, the output is allocated with it, the state
// (which has no T) is static, and the loops over tokens or chunks end at
// it. A dynamic B (a batched decode step's sequences) is memref.dim 0 of
// q's buffer: the output and the state are allocated with it and the
// parallel loop over (sequence, head) ends at it. Every other size must be
// static.

// CHECK-LABEL: func.func @chunkwise
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x?x2x8xf32>, %[[S0:[^:]+]]: tensor<1x2x8x8xf32>)
// CHECK: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<1x?x2x8xf32> to memref<1x?x2x8xf32>
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: %[[T:.+]] = memref.dim %[[QB]], %[[C1]] : memref<1x?x2x8xf32>
// CHECK: %[[O:.+]] = memref.alloc(%[[T]]) {alignment = 64 : i64} : memref<1x?x2x8xf32>
// CHECK: %[[S:.+]] = memref.alloc() {alignment = 64 : i64} : memref<1x2x8x8xf32>
// CHECK: scf.parallel
// The chunks: [c, min(c + 4, T)).
// CHECK: %[[C4:.+]] = arith.constant 4 : index
// CHECK: scf.for %[[CH:.+]] = %{{.+}} to %[[T]] step %[[C4]]
// CHECK: arith.subi %[[T]], %[[CH]] : index
// CHECK: bufferization.to_tensor %[[O]] restrict : memref<1x?x2x8xf32> to tensor<1x?x2x8xf32>
// CHECK: bufferization.to_tensor %[[S]] restrict : memref<1x2x8x8xf32> to tensor<1x2x8x8xf32>
func.func @chunkwise(%q: tensor<1x?x2x8xf32>, %s0: tensor<1x2x8x8xf32>) -> (tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q initial %s0 {chunk_size = 4 : i64, decay = #retention.decay<retnet>}
      : tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// Recurrent: token 0 from the initial state (here zero), tokens 1 .. T-1 in a loop.
// CHECK-LABEL: func.func @recurrent
// CHECK: %[[QB:.+]] = bufferization.to_buffer %arg0 read_only : tensor<2x?x2x8xf32> to memref<2x?x2x8xf32>
// CHECK: %[[T:.+]] = memref.dim %[[QB]], %{{.+}} : memref<2x?x2x8xf32>
// CHECK: memref.alloc(%[[T]]) {alignment = 64 : i64} : memref<2x?x2x8xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<2x2x8x8xf32>
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[T]] step
func.func @recurrent(%q: tensor<2x?x2x8xf32>) -> (tensor<2x?x2x8xf32>, tensor<2x2x8x8xf32>) {
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x?x2x8xf32>, tensor<2x?x2x8xf32>, tensor<2x?x2x8xf32> -> tensor<2x?x2x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x?x2x8xf32>, tensor<2x2x8x8xf32>
}

// -----

// Parallel: tiles of the default parallel-tile (64) tokens up to T, the
// ragged last tile guarded by compares against T.
// CHECK-LABEL: func.func @parallel
// CHECK: %[[QB:.+]] = bufferization.to_buffer %arg0
// CHECK: %[[T:.+]] = memref.dim %[[QB]], %{{.+}} : memref<1x?x2x8xf32>
// CHECK: memref.alloc(%[[T]]) {alignment = 64 : i64} : memref<1x?x2x8xf32>
// CHECK: %[[C64:.+]] = arith.constant 64 : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[T]] step %[[C64]]
// CHECK: arith.cmpi slt
func.func @parallel(%q: tensor<1x?x2x8xf32>) -> (tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32> -> tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// Dynamic B: B sequences of one token each (decode_batch).
// CHECK-LABEL: func.func @recurrent_batch
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<?x1x2x8xf32>, %[[S0:[^:]+]]: tensor<?x2x8x8xf32>)
// CHECK: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<?x1x2x8xf32> to memref<?x1x2x8xf32>
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: %[[B:.+]] = memref.dim %[[QB]], %[[C0]] : memref<?x1x2x8xf32>
// CHECK: %[[O:.+]] = memref.alloc(%[[B]]) {alignment = 64 : i64} : memref<?x1x2x8xf32>
// CHECK: %[[S:.+]] = memref.alloc(%[[B]]) {alignment = 64 : i64} : memref<?x2x8x8xf32>
// CHECK: %[[H:.+]] = arith.constant 2 : index
// CHECK: scf.parallel (%{{.+}}, %{{.+}}) = (%{{.+}}, %{{.+}}) to (%[[B]], %[[H]])
func.func @recurrent_batch(%q: tensor<?x1x2x8xf32>, %s0: tensor<?x2x8x8xf32>) -> (tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32>) {
  %o, %s = retention.recurrent %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32> -> tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32>
  return %o, %s : tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32>
}
