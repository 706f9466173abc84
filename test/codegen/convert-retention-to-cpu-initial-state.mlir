// RUN: retc-opt %s --split-input-file --convert-retention-to-cpu | FileCheck %s
// With an initial state, the chunkwise form packs s0[b, h] into its f32
// state tile; without one, the tile starts at zero and no state is read.

// CHECK-LABEL: func.func @with_state
// CHECK-SAME: %[[S0:[^:]+]]: tensor<2x2x8x8xf32>
// CHECK: %[[S0B:.+]] = bufferization.to_buffer %[[S0]] read_only : tensor<2x2x8x8xf32> to memref<2x2x8x8xf32>
// CHECK: scf.parallel (%[[B:[^,]+]], %[[H:[^)]+]]) =
// CHECK: %[[ROW:.+]] = vector.transfer_read %[[S0B]][%[[B]], %[[H]], %{{.+}}, %{{.+}}]{{.+}} : memref<2x2x8x8xf32>, vector<8xf32>
// CHECK-NEXT: vector.store %[[ROW]], %{{.+}} : memref<8x16xf32>, vector<8xf32>
func.func @with_state(%q: tensor<2x20x2x8xf32>, %s0: tensor<2x2x8x8xf32>) -> (tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q initial %s0 {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32> -> tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @without_state
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x20x2x8xf32>)
// CHECK-COUNT-3: bufferization.to_buffer %[[Q]] read_only
// CHECK-NOT: bufferization.to_buffer
// CHECK: scf.parallel
// CHECK-NOT: memref<2x2x8x8xf32>, vector<8xf32>
// The final state is still written.
// CHECK: vector.transfer_write %{{.+}} : vector<8xf32>, memref<2x2x8x8xf32>
func.func @without_state(%q: tensor<2x20x2x8xf32>) -> (tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32> -> tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
}

// -----

// The recurrent form without a state starts from zero: no read of a state
// before the first token's update.
// CHECK-LABEL: func.func @recurrent_without_state
// CHECK: scf.parallel
// CHECK-NOT: vector.transfer_read %{{.+}} : memref<1x1x4x8xf32>
// CHECK: vector.transfer_write %{{.+}} : vector<8xf32>, memref<1x1x4x8xf32>
// CHECK: scf.for
// CHECK: vector.transfer_read %{{.+}} : memref<1x1x4x8xf32>, vector<8xf32>
func.func @recurrent_without_state(%q: tensor<1x3x1x4xf32>, %v: tensor<1x3x1x8xf32>) -> (tensor<1x3x1x8xf32>, tensor<1x1x4x8xf32>) {
  %o, %s = retention.recurrent %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<1x3x1x4xf32>, tensor<1x3x1x4xf32>, tensor<1x3x1x8xf32> -> tensor<1x3x1x8xf32>, tensor<1x1x4x8xf32>
  return %o, %s : tensor<1x3x1x8xf32>, tensor<1x1x4x8xf32>
}
