// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s
// Several ops in one function are each lowered in place; the tensors
// between them flow through to_tensor -> to_buffer.

// CHECK-LABEL: func.func @chained
// CHECK: %[[OB1:.+]] = memref.alloc() {alignment = 64 : i64} : memref<1x8x2x8xf32>
// CHECK: %[[SB1:.+]] = memref.alloc() {alignment = 64 : i64} : memref<1x2x8x8xf32>
// CHECK: scf.parallel
// CHECK: %[[O1:.+]] = bufferization.to_tensor %[[OB1]] restrict
// CHECK: %[[S1:.+]] = bufferization.to_tensor %[[SB1]] restrict
// The second op reads the first one's output as q and its state as s0.
// CHECK: bufferization.to_buffer %[[O1]] read_only
// CHECK: bufferization.to_buffer %[[S1]] read_only
// CHECK: scf.parallel
// CHECK: %[[O2:.+]] = bufferization.to_tensor
// CHECK: %[[S2:.+]] = bufferization.to_tensor
// CHECK: return %[[O2]], %[[S2]]
// CHECK-NOT: retention.
func.func @chained(%q: tensor<1x8x2x8xf32>) -> (tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o1, %s1 = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32> -> tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
  %o2, %s2 = retention.chunkwise %o1, %q, %q initial %s1 {chunk_size = 4 : i64, decay = #retention.decay<retnet>}
      : tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
  return %o2, %s2 : tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
}
