// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s
// RUN: retc-opt %s --convert-retention-to-cpu --canonicalize --cse | FileCheck %s --check-prefix=LOOPS
// The chunkwise form: one scf.parallel task per (batch, head), a loop over
// chunks inside, vector.fma microkernels (default 8 lanes, 4 x 2 blocks),
// decay factors as exp2(n * log2 gamma) from a table of log2 gamma_h.

// RetNet decay with H = 2: log2(1 - 2^-5), log2(1 - 2^-6).
// CHECK: memref.global "private" constant @[[G:__retention_log2_gamma]] : memref<2xf32> = dense<[-0.0458036885, -0.0227200761]>
// CHECK-LABEL: func.func @chunkwise
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x20x2x8xf32>, %[[K:[^:]+]]: tensor<2x20x2x8xf32>, %[[V:[^:]+]]: tensor<2x20x2x8xf32>)
// CHECK-DAG: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only : tensor<2x20x2x8xf32> to memref<2x20x2x8xf32>
// CHECK-DAG: %[[KB:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK-DAG: %[[VB:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK-DAG: %[[OB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2x20x2x8xf32>
// CHECK-DAG: %[[SB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2x2x8x8xf32>
// CHECK: scf.parallel (%[[B:[^,]+]], %[[H:[^)]+]]) =
// CHECK: %[[TABLE:.+]] = memref.get_global @[[G]] : memref<2xf32>
// CHECK: memref.load %[[TABLE]][%[[H]]] : memref<2xf32>
// CHECK: math.exp2
// CHECK: vector.transfer_read %[[QB]][%[[B]], %{{.+}}, %[[H]], %{{.+}}]
// CHECK: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK: memref.dealloc
// CHECK: scf.reduce
// CHECK: %[[O:.+]] = bufferization.to_tensor %[[OB]] restrict : memref<2x20x2x8xf32> to tensor<2x20x2x8xf32>
// CHECK: %[[S:.+]] = bufferization.to_tensor %[[SB]] restrict : memref<2x2x8x8xf32> to tensor<2x2x8x8xf32>
// CHECK: return %[[O]], %[[S]]
// CHECK-NOT: retention.

// LOOPS-DAG: %[[C0:.+]] = arith.constant 0 : index
// LOOPS-DAG: %[[C1:.+]] = arith.constant 1 : index
// LOOPS-DAG: %[[C2:.+]] = arith.constant 2 : index
// LOOPS-DAG: %[[T:.+]] = arith.constant 20 : index
// LOOPS-DAG: %[[CHUNK:.+]] = arith.constant 8 : index
// LOOPS: scf.parallel (%{{.+}}, %{{.+}}) = (%[[C0]], %[[C0]]) to (%[[C2]], %[[C2]]) step (%[[C1]], %[[C1]])
// The chunk loop, with the last chunk shorter: count = min(8, 20 - c0).
// LOOPS: scf.for %[[C:.+]] = %[[C0]] to %[[T]] step %[[CHUNK]] {
// LOOPS-NEXT: %[[REST:.+]] = arith.subi %[[T]], %[[C]] : index
// LOOPS-NEXT: arith.minsi %[[REST]], %[[CHUNK]] : index
// LOOPS: vector.fma
// LOOPS-NOT: retention.
func.func @chunkwise(%q: tensor<2x20x2x8xf32>, %k: tensor<2x20x2x8xf32>, %v: tensor<2x20x2x8xf32>) -> (tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32> -> tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
}
