// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_90a stages=3" | FileCheck %s --check-prefix=ST3
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_90a stages=3 choose-chunk=1" | FileCheck %s --check-prefix=CHOOSE3
// Three staging buffers asked for: the wgmma kernel keeps them where they
// fit; at K = 256 they do not, and the op falls back to the mma.sync kernel
// (at the op's chunk 64 only a 32-column slice fits 3 stages; with
// choose-chunk, chunk 32 and the full 128-column slice).

// ST3-LABEL: func.func @wide_bf16
// ST3: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 3, shared_bytes = 182788>}
// CHOOSE3-LABEL: func.func @wide_bf16
// CHOOSE3: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 3, shared_bytes = 182788>}
func.func @wide_bf16(%q: tensor<8x4096x16x128xbf16>, %k: tensor<8x4096x16x128xbf16>, %v: tensor<8x4096x16x128xbf16>) -> (tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<8x4096x16x128xbf16>, tensor<8x4096x16x128xbf16>, tensor<8x4096x16x128xbf16> -> tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>
  return %o, %s : tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>
}

// -----

// ST3-LABEL: func.func @long_few_heads
// ST3: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 3, segments = 8, segment_length = 4096, parts = 2, states_stages = 3, states_blocks_per_sm = 2, shared_bytes = 182788, states_shared_bytes = 104448, workspace_bytes = 15728640>}
// CHOOSE3-LABEL: func.func @long_few_heads
// CHOOSE3: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 3, segments = 8, segment_length = 4096, parts = 2, states_stages = 3, states_blocks_per_sm = 2, shared_bytes = 182788, states_shared_bytes = 104448, workspace_bytes = 15728640>}
func.func @long_few_heads(%q: tensor<1x32768x16x128xbf16>, %k: tensor<1x32768x16x128xbf16>, %v: tensor<1x32768x16x128xbf16>) -> (tensor<1x32768x16x128xbf16>, tensor<1x16x128x128xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x32768x16x128xbf16>, tensor<1x32768x16x128xbf16>, tensor<1x32768x16x128xbf16> -> tensor<1x32768x16x128xbf16>, tensor<1x16x128x128xf32>
  return %o, %s : tensor<1x32768x16x128xbf16>, tensor<1x16x128x128xf32>
}

// -----

// ST3-LABEL: func.func @retnet13b
// ST3: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 64, value_slice = 32, stages = 3, shared_bytes = 227328>}
// CHOOSE3-LABEL: func.func @retnet13b
// CHOOSE3: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 32, value_slice = 128, stages = 3, shared_bytes = 130048>}
func.func @retnet13b(%q: tensor<4x4096x8x256xbf16>, %k: tensor<4x4096x8x256xbf16>, %v: tensor<4x4096x8x512xbf16>) -> (tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<4x4096x8x256xbf16>, tensor<4x4096x8x256xbf16>, tensor<4x4096x8x512xbf16> -> tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>
  return %o, %s : tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>
}

// -----

// ST3-LABEL: func.func @short_t
// ST3: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 128, chunk = 64, value_slice = 64, stages = 3, shared_bytes = 91652>}
// CHOOSE3-LABEL: func.func @short_t
// CHOOSE3: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 128, chunk = 64, value_slice = 64, stages = 3, shared_bytes = 91652>}
func.func @short_t(%q: tensor<1x20x2x64xbf16>, %k: tensor<1x20x2x64xbf16>, %v: tensor<1x20x2x64xbf16>) -> (tensor<1x20x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x20x2x64xbf16>, tensor<1x20x2x64xbf16>, tensor<1x20x2x64xbf16> -> tensor<1x20x2x64xbf16>, tensor<1x2x64x64xf32>
  return %o, %s : tensor<1x20x2x64xbf16>, tensor<1x2x64x64xf32>
}
