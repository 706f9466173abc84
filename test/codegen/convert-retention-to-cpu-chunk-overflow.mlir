// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s
// BUG: with chunk_size = 2^63 - 1 the padding arithmetic of the scratch
// tiles (roundUp in TileSizes::get) overflows: the pass creates memref types
// with negative sizes (memref<-9223372036854775776x...>) and succeeds, and
// the package built from it writes zeros for the output, exit status 0.
// Expected: the chunk is capped at T (it cannot matter beyond T), so no
// negative or huge size appears.

// CHECK-LABEL: func.func @overflow
// CHECK-NOT: memref<-
// CHECK-NOT: memref<{{[0-9]*}}x-
// CHECK: vector.fma
// CHECK-NOT: memref<-
// CHECK: return
func.func @overflow(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 9223372036854775807 : i64, decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
