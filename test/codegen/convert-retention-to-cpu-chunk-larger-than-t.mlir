// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s
// BUG: the chunkwise scratch tiles are sized from chunk_size, not from
// min(chunk_size, T). A chunk larger than the sequence computes the same
// thing as chunk = T, but here allocates a 2^20 x 2^20 f32 score tile
// (4 TiB) per (batch, head) task for T = 8: the compiled kernel segfaults
// when malloc fails (retc --shape=1,8,1,4,4 --form=chunkwise --chunk=1048576,
// then retc-run: exit 139). Larger chunk sizes overflow the padding
// arithmetic: chunk_size = 2^63-1 gives memrefs with negative sizes and a
// kernel that silently writes zeros; 2^62 fails with "'memref.alloc' op
// incorrect number of dynamic sizes".

// The scratch tiles stay bounded by T (padded to the microkernel).
// CHECK-LABEL: func.func @huge_chunk
// CHECK-NOT: memref<1048576
// CHECK: vector.fma
// CHECK-NOT: memref<1048576
// CHECK: return
func.func @huge_chunk(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 1048576 : i64, decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
