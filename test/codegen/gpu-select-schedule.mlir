// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_90a" | FileCheck %s --check-prefix=A
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_90" | FileCheck %s --check-prefix=H
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80" | FileCheck %s --check-prefix=S80
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_90 choose-chunk=1" | FileCheck %s --check-prefix=CHOOSE
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_90a num-sms=16 wgmma=off" | FileCheck %s --check-prefix=SMALL
// retention-gpu-select-schedule: the schedule each form op gets on each
// target, and why (docs/gpu-codegen.md, "Choosing the schedule"):
// - sm_90a takes the wgmma kernel (chunk 64, K up to 256, two warpgroups a
//   block where V allows) wherever the op takes it; sm_80 and sm_90 the
//   mma.sync kernel, which pads a chunk longer than T to 16 rows (short_t:
//   chunk 32; t1_state: 16) and rewrites the op's chunk_size to it;
// - few long sequences (long_few_heads: 16 blocks) split T into segments,
//   the states kernel's parts and stages within the target's shared memory
//   (sm_80: 6 segments of 5504, 2 states stages);
// - RetNet-1.3B heads (K = 256, V = 512): two stages fit sm_90 but not
//   sm_80; choose-chunk gives the mma.sync kernel chunk 32 at K > 128;
// - V = 428 (not a multiple of 8) and f32 take the SIMT kernel; with
//   choose-chunk on 16-bit inputs its score tile runs on mma.sync;
// - decode: one warp of 4-column threads, K split over 16 thread rows
//   (V = 30: one column a thread); parallel: 32-token tiles;
// - num-sms=16 keeps wide slices only while they fill half the SMs.

// A-LABEL: func.func @wide_bf16
// A: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 133636>}
// H-LABEL: func.func @wide_bf16
// H: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 113664>}
// S80-LABEL: func.func @wide_bf16
// S80: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 113664>}
// CHOOSE-LABEL: func.func @wide_bf16
// CHOOSE: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 113664>}
// SMALL-LABEL: func.func @wide_bf16
// SMALL: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 113664>}
func.func @wide_bf16(%q: tensor<8x4096x16x128xbf16>, %k: tensor<8x4096x16x128xbf16>, %v: tensor<8x4096x16x128xbf16>) -> (tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<8x4096x16x128xbf16>, tensor<8x4096x16x128xbf16>, tensor<8x4096x16x128xbf16> -> tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>
  return %o, %s : tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>
}

// -----

// A-LABEL: func.func @long_few_heads
// A: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 2, segments = 8, segment_length = 4096, parts = 2, states_stages = 3, states_blocks_per_sm = 2, shared_bytes = 133636, states_shared_bytes = 104448, workspace_bytes = 15728640>}
// H-LABEL: func.func @long_few_heads
// H: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, segments = 8, segment_length = 4096, parts = 2, states_stages = 3, states_blocks_per_sm = 2, shared_bytes = 113664, states_shared_bytes = 104448, workspace_bytes = 15728640>}
// S80-LABEL: func.func @long_few_heads
// S80: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, segments = 6, segment_length = 5504, parts = 2, states_stages = 2, states_blocks_per_sm = 2, shared_bytes = 113664, states_shared_bytes = 69632, workspace_bytes = 11534336>}
// CHOOSE-LABEL: func.func @long_few_heads
// CHOOSE: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, segments = 8, segment_length = 4096, parts = 2, states_stages = 3, states_blocks_per_sm = 2, shared_bytes = 113664, states_shared_bytes = 104448, workspace_bytes = 15728640>}
// SMALL-LABEL: func.func @long_few_heads
// SMALL: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 113664>}
func.func @long_few_heads(%q: tensor<1x32768x16x128xbf16>, %k: tensor<1x32768x16x128xbf16>, %v: tensor<1x32768x16x128xbf16>) -> (tensor<1x32768x16x128xbf16>, tensor<1x16x128x128xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x32768x16x128xbf16>, tensor<1x32768x16x128xbf16>, tensor<1x32768x16x128xbf16> -> tensor<1x32768x16x128xbf16>, tensor<1x16x128x128xf32>
  return %o, %s : tensor<1x32768x16x128xbf16>, tensor<1x16x128x128xf32>
}

// -----

// A-LABEL: func.func @retnet13b
// A: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 229892>}
// H-LABEL: func.func @retnet13b
// H: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 179200>}
// S80-LABEL: func.func @retnet13b
// S80: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, shared_bytes = 94208>}
// CHOOSE-LABEL: func.func @retnet13b
// CHOOSE: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 32, value_slice = 128, stages = 2, shared_bytes = 87552>}
// SMALL-LABEL: func.func @retnet13b
// SMALL: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 179200>}
func.func @retnet13b(%q: tensor<4x4096x8x256xbf16>, %k: tensor<4x4096x8x256xbf16>, %v: tensor<4x4096x8x512xbf16>) -> (tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<4x4096x8x256xbf16>, tensor<4x4096x8x256xbf16>, tensor<4x4096x8x512xbf16> -> tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>
  return %o, %s : tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>
}

// -----

// A-LABEL: func.func @retnet13b_chunk32
// A: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 32, value_slice = 128, stages = 2, shared_bytes = 87552>}
// H-LABEL: func.func @retnet13b_chunk32
// H: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 32, value_slice = 128, stages = 2, shared_bytes = 87552>}
// S80-LABEL: func.func @retnet13b_chunk32
// S80: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 32, value_slice = 128, stages = 2, shared_bytes = 87552>}
// CHOOSE-LABEL: func.func @retnet13b_chunk32
// CHOOSE: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 32, value_slice = 128, stages = 2, shared_bytes = 87552>}
// SMALL-LABEL: func.func @retnet13b_chunk32
// SMALL: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 32, value_slice = 128, stages = 2, shared_bytes = 87552>}
func.func @retnet13b_chunk32(%q: tensor<4x4096x8x256xbf16>, %k: tensor<4x4096x8x256xbf16>, %v: tensor<4x4096x8x512xbf16>) -> (tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 32 : i64, decay = #retention.decay<retnet>}
      : tensor<4x4096x8x256xbf16>, tensor<4x4096x8x256xbf16>, tensor<4x4096x8x512xbf16> -> tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>
  return %o, %s : tensor<4x4096x8x512xbf16>, tensor<4x8x256x512xf32>
}

// -----

// A-LABEL: func.func @v428
// A: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 64>}
// H-LABEL: func.func @v428
// H: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 64>}
// S80-LABEL: func.func @v428
// S80: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 64, chunk = 64>}
// CHOOSE-LABEL: func.func @v428
// CHOOSE: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 32, score_tile = mma_sync>}
// SMALL-LABEL: func.func @v428
// SMALL: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 128, chunk = 64>}
func.func @v428(%q: tensor<4x4096x8x256xbf16>, %k: tensor<4x4096x8x256xbf16>, %v: tensor<4x4096x8x428xbf16>) -> (tensor<4x4096x8x428xbf16>, tensor<4x8x256x428xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<4x4096x8x256xbf16>, tensor<4x4096x8x256xbf16>, tensor<4x4096x8x428xbf16> -> tensor<4x4096x8x428xbf16>, tensor<4x8x256x428xf32>
  return %o, %s : tensor<4x4096x8x428xbf16>, tensor<4x8x256x428xf32>
}

// -----

// A-LABEL: func.func @short_t
// A: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 128, chunk = 64, value_slice = 64, shared_bytes = 42500>}
// H-LABEL: func.func @short_t
// H: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 32, value_slice = 32>}
// S80-LABEL: func.func @short_t
// S80: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 32, value_slice = 32>}
// CHOOSE-LABEL: func.func @short_t
// CHOOSE: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 32, value_slice = 32>}
// SMALL-LABEL: func.func @short_t
// SMALL: {chunk_size = 32 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 32, value_slice = 32>}
func.func @short_t(%q: tensor<1x20x2x64xbf16>, %k: tensor<1x20x2x64xbf16>, %v: tensor<1x20x2x64xbf16>) -> (tensor<1x20x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x20x2x64xbf16>, tensor<1x20x2x64xbf16>, tensor<1x20x2x64xbf16> -> tensor<1x20x2x64xbf16>, tensor<1x2x64x64xf32>
  return %o, %s : tensor<1x20x2x64xbf16>, tensor<1x2x64x64xf32>
}

// -----

// A-LABEL: func.func @t1_state
// A: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 128, chunk = 64, value_slice = 64, shared_bytes = 42500>}
// H-LABEL: func.func @t1_state
// H: {chunk_size = 16 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 16, value_slice = 32>}
// S80-LABEL: func.func @t1_state
// S80: {chunk_size = 16 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 16, value_slice = 32>}
// CHOOSE-LABEL: func.func @t1_state
// CHOOSE: {chunk_size = 16 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 16, value_slice = 32>}
// SMALL-LABEL: func.func @t1_state
// SMALL: {chunk_size = 16 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 64, chunk = 16, value_slice = 32>}
func.func @t1_state(%q: tensor<3x1x2x64xf16>, %k: tensor<3x1x2x64xf16>, %v: tensor<3x1x2x64xf16>, %s0: tensor<3x2x64x64xf32>) -> (tensor<3x1x2x64xf16>, tensor<3x2x64x64xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v initial %s0 {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<3x1x2x64xf16>, tensor<3x1x2x64xf16>, tensor<3x1x2x64xf16>, tensor<3x2x64x64xf32> -> tensor<3x1x2x64xf16>, tensor<3x2x64x64xf32>
  return %o, %s : tensor<3x1x2x64xf16>, tensor<3x2x64x64xf32>
}

// -----

// A-LABEL: func.func @f32
// A: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 64>}
// H-LABEL: func.func @f32
// H: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 64>}
// S80-LABEL: func.func @f32
// S80: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 64>}
// CHOOSE-LABEL: func.func @f32
// CHOOSE: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 64>}
// SMALL-LABEL: func.func @f32
// SMALL: {chunk_size = 64 : i64, decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 64>}
func.func @f32(%q: tensor<2x100x4x64xf32>, %k: tensor<2x100x4x64xf32>, %v: tensor<2x100x4x64xf32>) -> (tensor<2x100x4x64xf32>, tensor<2x4x64x64xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<2x100x4x64xf32>, tensor<2x100x4x64xf32>, tensor<2x100x4x64xf32> -> tensor<2x100x4x64xf32>, tensor<2x4x64x64xf32>
  return %o, %s : tensor<2x100x4x64xf32>, tensor<2x4x64x64xf32>
}

// -----

// A-LABEL: func.func @decode
// A: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>}
// H-LABEL: func.func @decode
// H: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>}
// S80-LABEL: func.func @decode
// S80: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>}
// CHOOSE-LABEL: func.func @decode
// CHOOSE: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>}
// SMALL-LABEL: func.func @decode
// SMALL: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>}
func.func @decode(%q: tensor<1x1x16x128xbf16>, %k: tensor<1x1x16x128xbf16>, %v: tensor<1x1x16x128xbf16>, %s0: tensor<1x16x128x128xf32>) -> (tensor<1x1x16x128xbf16>, tensor<1x16x128x128xf32>) {
  %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<1x1x16x128xbf16>, tensor<1x1x16x128xbf16>, tensor<1x1x16x128xbf16>, tensor<1x16x128x128xf32> -> tensor<1x1x16x128xbf16>, tensor<1x16x128x128xf32>
  return %o, %s : tensor<1x1x16x128xbf16>, tensor<1x16x128x128xf32>
}

// -----

// A-LABEL: func.func @decode_v30
// A: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16>}
// H-LABEL: func.func @decode_v30
// H: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16>}
// S80-LABEL: func.func @decode_v30
// S80: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16>}
// CHOOSE-LABEL: func.func @decode_v30
// CHOOSE: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16>}
// SMALL-LABEL: func.func @decode_v30
// SMALL: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16>}
func.func @decode_v30(%q: tensor<2x5x3x100xf32>, %k: tensor<2x5x3x100xf32>, %v: tensor<2x5x3x30xf32>, %s0: tensor<2x3x100x30xf32>) -> (tensor<2x5x3x30xf32>, tensor<2x3x100x30xf32>) {
  %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<2x5x3x100xf32>, tensor<2x5x3x100xf32>, tensor<2x5x3x30xf32>, tensor<2x3x100x30xf32> -> tensor<2x5x3x30xf32>, tensor<2x3x100x30xf32>
  return %o, %s : tensor<2x5x3x30xf32>, tensor<2x3x100x30xf32>
}

// -----

// A-LABEL: func.func @parallel
// A: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 32>}
// H-LABEL: func.func @parallel
// H: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 32>}
// S80-LABEL: func.func @parallel
// S80: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 32>}
// CHOOSE-LABEL: func.func @parallel
// CHOOSE: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 32>}
// SMALL-LABEL: func.func @parallel
// SMALL: {decay = #retention.decay<retnet>, retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 32>}
func.func @parallel(%q: tensor<2x100x4x64xbf16>, %k: tensor<2x100x4x64xbf16>, %v: tensor<2x100x4x64xbf16>) -> (tensor<2x100x4x64xbf16>, tensor<2x4x64x64xf32>) {
  %o, %s = retention.parallel %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<2x100x4x64xbf16>, tensor<2x100x4x64xbf16>, tensor<2x100x4x64xbf16> -> tensor<2x100x4x64xbf16>, tensor<2x4x64x64xf32>
  return %o, %s : tensor<2x100x4x64xbf16>, tensor<2x4x64x64xf32>
}
