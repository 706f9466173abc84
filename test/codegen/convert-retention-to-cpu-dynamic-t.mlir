// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s
// A dynamic T (a model's entry points) is read from q at run time; the
// output is allocated with it and the chunk loop runs to it.

// CHECK-LABEL: func.func @dynamic_length
// CHECK: %[[Q:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x?x2x16xf32> to memref<1x?x2x16xf32>
// CHECK: %[[T:.*]] = memref.dim %[[Q]], %c1
// CHECK: memref.alloc(%[[T]]) {alignment = 64 : i64} : memref<1x?x2x8xf32>
// CHECK: scf.parallel
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[T]] step %{{.*}}
// CHECK-NOT: retention.chunkwise
func.func @dynamic_length(%q: tensor<1x?x2x16xf32>, %k: tensor<1x?x2x16xf32>, %v: tensor<1x?x2x8xf32>, %s: tensor<1x2x16x8xf32>) -> (tensor<1x?x2x8xf32>, tensor<1x2x16x8xf32>) {
  %o, %st = retention.chunkwise %q, %k, %v initial %s {chunk_size = 16 : i64, decay = #retention.decay<retnet>} : tensor<1x?x2x16xf32>, tensor<1x?x2x16xf32>, tensor<1x?x2x8xf32>, tensor<1x2x16x8xf32> -> tensor<1x?x2x8xf32>, tensor<1x2x16x8xf32>
  return %o, %st : tensor<1x?x2x8xf32>, tensor<1x2x16x8xf32>
}
