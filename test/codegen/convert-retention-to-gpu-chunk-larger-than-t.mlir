// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 num-sms=132 tensor-cores=0" --convert-retention-to-gpu 2>&1 | FileCheck %s
// BUG: the shared-memory tiles of the chunkwise kernel are sized from
// chunk_size, not min(chunk_size, T). (1) chunk 128 with T = 8 is refused
// ("needs 66048 bytes of shared memory (chunk 128)") though a chunk of 8
// would do the same work; retc --target=sm_90 --shape=1,8,1,4,4
// --form=chunkwise --chunk=128 fails the same way. (2) The size check
// overflows: chunk 2^62 passes it (C * C * 4 wraps to 0) and yields a kernel
// with memref<4611686018427387904x4611686018427387904xf32, workgroup>, and
// retc emits PTX for it with exit status 0.

// CHECK-LABEL: gpu.func @chunk_128_t_8
// CHECK-NOT: error
// CHECK-LABEL: gpu.func @chunk_2p62_t_8
// CHECK-NOT: 4611686018427387904
func.func @chunk_128_t_8(%q: tensor<1x8x1x4xf32>, %k: tensor<1x8x1x4xf32>, %v: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 128 : i64, decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

func.func @chunk_2p62_t_8(%q: tensor<1x8x1x4xf32>, %k: tensor<1x8x1x4xf32>, %v: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 4611686018427387904 : i64, decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
