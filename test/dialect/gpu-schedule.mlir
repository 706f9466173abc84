// RUN: retc-opt %s | retc-opt | FileCheck %s
// #retention.gpu_schedule round-trips; fields at their defaults are elided.

// CHECK: retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 2, segments = 4, segment_length = 1024, parts = 2, states_stages = 3, states_blocks_per_sm = 2>
// CHECK: retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 16, score_tile = mma_sync>
// CHECK: retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>
func.func @f(%q: tensor<1x4000x2x64xbf16>, %v: tensor<1x4000x2x64xbf16>, %d: tensor<1x1x2x64xbf16>, %s0: tensor<1x2x64x64xf32>)
    -> (tensor<1x4000x2x64xbf16>, tensor<1x4000x2x64xbf16>, tensor<1x1x2x64xbf16>) {
  %o, %s = retention.chunkwise %q, %q, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 2,
                                                       segments = 4, segment_length = 1024, parts = 2, states_stages = 3, states_blocks_per_sm = 2>}
      : tensor<1x4000x2x64xbf16>, tensor<1x4000x2x64xbf16>, tensor<1x4000x2x64xbf16> -> tensor<1x4000x2x64xbf16>, tensor<1x2x64x64xf32>
  %o2, %s2 = retention.chunkwise %q, %q, %v {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 16, score_tile = mma_sync>}
      : tensor<1x4000x2x64xbf16>, tensor<1x4000x2x64xbf16>, tensor<1x4000x2x64xbf16> -> tensor<1x4000x2x64xbf16>, tensor<1x2x64x64xf32>
  %o3, %s3 = retention.recurrent %d, %d, %d initial %s0 {decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>}
      : tensor<1x1x2x64xbf16>, tensor<1x1x2x64xbf16>, tensor<1x1x2x64xbf16>, tensor<1x2x64x64xf32> -> tensor<1x1x2x64xbf16>, tensor<1x2x64x64xf32>
  return %o, %o2, %o3 : tensor<1x4000x2x64xbf16>, tensor<1x4000x2x64xbf16>, tensor<1x1x2x64xbf16>
}
