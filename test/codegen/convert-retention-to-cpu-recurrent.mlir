// RUN: retc-opt %s --convert-retention-to-cpu --canonicalize --cse | FileCheck %s
// The recurrent form: per (batch, head) and token, S = gamma S_prev + k^T v
// and o = s q S with vector.fma. The first token reads S_prev from the
// initial state, later ones from the final-state buffer, updated in place.

// CHECK: memref.global "private" constant @[[G:__retention_log2_gamma]] : memref<2xf32> = dense<[-1.000000e+00, -2.000000e+00]>
// CHECK-LABEL: func.func @recurrent
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x3x2x8xf32>, %[[S0:[^:]+]]: tensor<2x2x8x8xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[T:.+]] = arith.constant 3 : index
// The default scale, K^-1/2 = 8^-1/2.
// CHECK-DAG: %[[SCALE:.+]] = arith.constant dense<0.353553385> : vector<8xf32>
// CHECK: %[[S0B:.+]] = bufferization.to_buffer %[[S0]] read_only
// CHECK: %[[OB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2x3x2x8xf32>
// CHECK: %[[SB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2x2x8x8xf32>
// CHECK: scf.parallel (%[[B:[^,]+]], %[[H:[^)]+]]) =
// CHECK: %[[TABLE:.+]] = memref.get_global @[[G]] : memref<2xf32>
// CHECK: %[[LOG2G:.+]] = memref.load %[[TABLE]][%[[H]]] : memref<2xf32>
// CHECK: %[[GAMMA:.+]] = math.exp2 %[[LOG2G]] : f32
// CHECK: %[[GV:.+]] = vector.broadcast %[[GAMMA]] : f32 to vector<8xf32>
// Token 0: S_prev from s0.
// CHECK: %[[PREV0:.+]] = vector.transfer_read %[[S0B]][%[[B]], %[[H]], %{{.+}}, %[[C0]]]
// CHECK: %[[DECAYED0:.+]] = arith.mulf %[[GV]], %[[PREV0]] : vector<8xf32>
// CHECK: %[[NEW0:.+]] = vector.fma %{{.+}}, %{{.+}}, %[[DECAYED0]] : vector<8xf32>
// CHECK: vector.transfer_write %[[NEW0]], %[[SB]][%[[B]], %[[H]], %{{.+}}, %[[C0]]]
// CHECK: arith.mulf %{{.+}}, %[[SCALE]] : vector<8xf32>
// CHECK: vector.transfer_write %{{.+}}, %[[OB]][%[[B]], %[[C0]], %[[H]], %[[C0]]]
// Tokens 1..T-1: S_prev from the final-state buffer.
// CHECK: scf.for %[[TOK:.+]] = %[[C1]] to %[[T]] step %[[C1]] {
// CHECK: %[[PREV:.+]] = vector.transfer_read %[[SB]][%[[B]], %[[H]], %{{.+}}, %[[C0]]]
// CHECK: arith.mulf %[[GV]], %[[PREV]] : vector<8xf32>
// CHECK: vector.transfer_write %{{.+}}, %[[OB]][%[[B]], %[[TOK]], %[[H]], %[[C0]]]
// CHECK: bufferization.to_tensor %[[OB]] restrict
// CHECK-NOT: retention.
func.func @recurrent(%q: tensor<2x3x2x8xf32>, %s0: tensor<2x2x8x8xf32>) -> (tensor<2x3x2x8xf32>, tensor<2x2x8x8xf32>) {
  %o, %s = retention.recurrent %q, %q, %q initial %s0 {decay = #retention.decay<[0.5, 0.25]>}
      : tensor<2x3x2x8xf32>, tensor<2x3x2x8xf32>, tensor<2x3x2x8xf32>, tensor<2x2x8x8xf32> -> tensor<2x3x2x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x3x2x8xf32>, tensor<2x2x8x8xf32>
}
