// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_90" | FileCheck %s
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 explain=1" 2>&1 | FileCheck %s --check-prefix=WHY
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_90a explain=1" 2>&1 | FileCheck %s --check-prefix=WG
// retention-gpu-select-schedule on retention.linear (codegen/gpu/GemmSchedule.cpp):
// - where there are several row blocks and the weight is the larger
//   operand (N > M), blocks run down M first (m_first), so that the weight
//   is streamed once;
// - on sm_90a, bf16/f16 operands of one type with K a multiple of 8 and
//   M > 64 take wgmma: two warpgroups of 64 rows, 256 columns where the
//   grid still has a block for every SM (else 128), 64-deep tiles, as
//   many stages as 192 KiB hold (WG);
// - M <= 16 (a decode batch), any types, every target: gemv, four weight
//   rows a warp; up to M = 4 four warps and four k-steps a group, above
//   eight warps and two; x whole in shared memory as f32 where it fits,
//   else in equal slices of a multiple of 256 columns;
// - bf16/f16 operands of one type with K a multiple of 8 take mma_sync,
//   4 stages of 32-deep tiles, 8 warps, the block's rows following M (16,
//   64 or 128) and its columns 64 where 128 would leave SMs without a block;
// - f32 (or mixed types, or K not a multiple of 8) take simt, 16-deep tiles
//   of 4 x 4 outputs a thread (1 x 4 for M <= 16).

// CHECK-LABEL: func.func @prefill_bf16
// CHECK: retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 128, block_n = 128, block_k = 32, warps_m = 2, warps_n = 4, stages = 4, shared_bytes = 81920, m_first = true>
// WHY: remark: gemm schedule on sm_80: mma_sync: bf16 operands, K = 2048 a multiple of 8; 128 x 128 outputs a block for M = 4096, N = 6144; blocks run down M first (the weight is the larger operand)
// WG: remark: gemm schedule on sm_90a: wgmma: bf16 operands, K = 2048 a multiple of 8, M = 4096 > 64; 128 x 256 outputs a block for N = 6144; blocks run down M first (the weight is the larger operand)
// WG: retention.gemm_schedule = #retention.gemm_schedule<kernel = wgmma, block_m = 128, block_n = 256, block_k = 64, warps_m = 8, stages = 4, shared_bytes = 196608, m_first = true>
func.func @prefill_bf16(%x: tensor<4096x2048xbf16>, %w: tensor<6144x2048xbf16>) -> tensor<4096x6144xbf16> {
  %y = retention.linear %x, %w : tensor<4096x2048xbf16>, tensor<6144x2048xbf16> -> tensor<4096x6144xbf16>
  return %y : tensor<4096x6144xbf16>
}

// -----

// A run-time row count is tiled as for a prefill of 4096 rows.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: kernel = mma_sync, block_m = 128, block_n = 128
// WG: kernel = wgmma, block_m = 128, block_n = 256
func.func @dynamic_rows(%x: tensor<?x2048xf16>, %w: tensor<2048x2048xf16>) -> tensor<?x2048xf16> {
  %y = retention.linear %x, %w : tensor<?x2048xf16>, tensor<2048x2048xf16> -> tensor<?x2048xf16>
  return %y : tensor<?x2048xf16>
}

// -----

// Decode: one row streams the weight in gemv, 16 columns a block (256
// blocks), x (8 KiB as f32) whole in shared memory.
// CHECK-LABEL: func.func @decode_m1
// CHECK: kernel = gemv, block_m = 1, block_n = 16, block_k = 2048, warps_n = 4, thread_n = 4, stages = 4, shared_bytes = 8192
// WHY: remark: gemm schedule on sm_80: gemv: M = 1 <= 16 rows of x (SIMT FMAs keep up with the weight stream); 4 warps of 4 weight rows a block, 256 blocks for N = 4096; 16-byte weight loads, 4 k-steps a group; x staged as f32, 2048 columns at a time
func.func @decode_m1(%x: tensor<1x2048xbf16>, %w: tensor<4096x2048xbf16>) -> tensor<1x4096xbf16> {
  %y = retention.linear %x, %w : tensor<1x2048xbf16>, tensor<4096x2048xbf16> -> tensor<1x4096xbf16>
  return %y : tensor<1x4096xbf16>
}

// -----

// The last M of gemv: eight warps (32 columns a block), two k-steps a
// group, x 128 KiB.
// CHECK-LABEL: func.func @decode_m16
// CHECK: kernel = gemv, block_m = 16, block_n = 32, block_k = 2048, warps_n = 8, thread_n = 4, stages = 2, shared_bytes = 131072
func.func @decode_m16(%x: tensor<16x2048xbf16>, %w: tensor<4096x2048xbf16>) -> tensor<16x4096xbf16> {
  %y = retention.linear %x, %w : tensor<16x2048xbf16>, tensor<4096x2048xbf16> -> tensor<16x4096xbf16>
  return %y : tensor<16x4096xbf16>
}

// -----

// One row more: tensor cores (64-row blocks, 64 columns so that 32 blocks
// become 64).
// CHECK-LABEL: func.func @decode_m17
// CHECK: kernel = mma_sync, block_m = 64, block_n = 64, block_k = 32, warps_m = 2, warps_n = 4, stages = 4, shared_bytes = 40960
func.func @decode_m17(%x: tensor<17x2048xbf16>, %w: tensor<4096x2048xbf16>) -> tensor<17x4096xbf16> {
  %y = retention.linear %x, %w : tensor<17x2048xbf16>, tensor<4096x2048xbf16> -> tensor<17x4096xbf16>
  return %y : tensor<17x4096xbf16>
}

// -----

// x too wide for one block's shared memory (16 x 8192 f32 = 512 KiB):
// three equal slices of 2816 columns (sm_90a: at most 3584 of 16 rows).
// CHECK-LABEL: func.func @decode_wide_k
// CHECK: kernel = gemv, block_m = 16, block_n = 32, block_k = 2816, warps_n = 8, thread_n = 4, stages = 2, shared_bytes = 180224
func.func @decode_wide_k(%x: tensor<16x8192xf16>, %w: tensor<2048x8192xf16>) -> tensor<16x2048xf16> {
  %y = retention.linear %x, %w : tensor<16x8192xf16>, tensor<2048x8192xf16> -> tensor<16x2048xf16>
  return %y : tensor<16x2048xf16>
}

// -----

// gemv takes any types: f32 activations with bf16 weights, K odd (loads
// of one element).
// CHECK-LABEL: func.func @decode_mixed
// CHECK: kernel = gemv, block_m = 3, block_n = 16, block_k = 256, warps_n = 4, thread_n = 4, stages = 4, shared_bytes = 3072
// WHY: remark: gemm schedule on sm_80: gemv: M = 3 <= 16 rows of x (SIMT FMAs keep up with the weight stream); 4 warps of 4 weight rows a block, 4 blocks for N = 64; 2-byte weight loads, 4 k-steps a group; x staged as f32, 256 columns at a time
func.func @decode_mixed(%x: tensor<3x101xf32>, %w: tensor<64x101xbf16>) -> tensor<3x64xf32> {
  %y = retention.linear %x, %w : tensor<3x101xf32>, tensor<64x101xbf16> -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

// -----

// CHECK-LABEL: func.func @middle_rows
// CHECK: kernel = mma_sync, block_m = 64, block_n = 64, block_k = 32, warps_m = 2, warps_n = 4
// WG: kernel = mma_sync, block_m = 64, block_n = 64
func.func @middle_rows(%x: tensor<40x512xbf16>, %w: tensor<512x512xbf16>) -> tensor<40x512xbf16> {
  %y = retention.linear %x, %w : tensor<40x512xbf16>, tensor<512x512xbf16> -> tensor<40x512xbf16>
  return %y : tensor<40x512xbf16>
}

// -----

// M > 64 whose 128 x 256 grid would leave SMs idle (8 x 8 blocks): 128
// columns, 6 stages.
// CHECK-LABEL: func.func @rows_past_64
// CHECK: kernel = mma_sync, block_m = 128, block_n = 64
// WG: remark: gemm schedule on sm_90a: wgmma: f16 operands, K = 520 a multiple of 8, M = 1000 > 64; 128 x 128 outputs a block for N = 2048
// WG: kernel = wgmma, block_m = 128, block_n = 128, block_k = 64, warps_m = 8, stages = 6, shared_bytes = 196608
func.func @rows_past_64(%x: tensor<1000x520xf16>, %w: tensor<2048x520xf16>) -> tensor<1000x2048xf16> {
  %y = retention.linear %x, %w : tensor<1000x520xf16>, tensor<2048x520xf16> -> tensor<1000x2048xf16>
  return %y : tensor<1000x2048xf16>
}

// -----

// CHECK-LABEL: func.func @f32
// CHECK: kernel = simt, block_m = 64, block_n = 64, block_k = 16, thread_m = 4, thread_n = 4, shared_bytes = 8192
// WHY: remark: gemm schedule on sm_80: simt: f32 x and f32 weight
func.func @f32(%x: tensor<100x300xf32>, %w: tensor<200x300xf32>, %r: tensor<100x200xf32>) -> tensor<100x200xf32> {
  %y = retention.linear %x, %w residual %r : tensor<100x300xf32>, tensor<200x300xf32>, tensor<100x200xf32> -> tensor<100x200xf32>
  return %y : tensor<100x200xf32>
}

// -----

// CHECK-LABEL: func.func @odd_k
// CHECK: kernel = simt, block_m = 64, block_n = 64, block_k = 16, thread_m = 4, thread_n = 4
// WHY: remark: gemm schedule on sm_80: simt: bf16 x and bf16 weight, K not a multiple of 8
func.func @odd_k(%x: tensor<30x100xbf16>, %w: tensor<64x100xbf16>) -> tensor<30x64xbf16> {
  %y = retention.linear %x, %w : tensor<30x100xbf16>, tensor<64x100xbf16> -> tensor<30x64xbf16>
  return %y : tensor<30x64xbf16>
}

// -----

// Mixed types: f32 activations, bf16 weights.
// CHECK-LABEL: func.func @mixed
// CHECK: kernel = simt
func.func @mixed(%x: tensor<30x128xf32>, %w: tensor<64x128xbf16>) -> tensor<30x64xf32> {
  %y = retention.linear %x, %w : tensor<30x128xf32>, tensor<64x128xbf16> -> tensor<30x64xf32>
  return %y : tensor<30x64xf32>
}

// -----

// A schedule written in the IR is kept and its bytes filled in.
// CHECK-LABEL: func.func @explicit
// CHECK: #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 64, block_k = 64, warps_m = 2, warps_n = 2, stages = 3, shared_bytes = 55296>
func.func @explicit(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 64, block_k = 64, warps_m = 2, warps_n = 2, stages = 3>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

// A gemv schedule written in the IR is kept (one warp of 5 rows, 512-column
// slices) and its bytes filled in: 2 rows x 512 columns of f32.
// CHECK-LABEL: func.func @explicit_gemv
// CHECK: #retention.gemm_schedule<kernel = gemv, block_m = 2, block_n = 5, block_k = 512, thread_n = 5, shared_bytes = 4096>
func.func @explicit_gemv(%x: tensor<7x600xf16>, %w: tensor<21x600xf16>) -> tensor<7x21xf16> {
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 2, block_n = 5, block_k = 512, thread_n = 5>} : tensor<7x600xf16>, tensor<21x600xf16> -> tensor<7x21xf16>
  return %y : tensor<7x21xf16>
}

// -----

// Run-time N and K (the lowering needs them static; the schedule does
// not): x in slices as wide as fit (sm_90a: 232448 bytes, 58112 columns
// of one row).
// CHECK-LABEL: func.func @decode_dynamic_k
// CHECK: kernel = gemv, block_m = 1, block_n = 16, block_k = 58112, warps_n = 4, thread_n = 4, stages = 4, shared_bytes = 232448
// WHY: remark: gemm schedule on sm_80: gemv: M = 1 <= 16 rows of x (SIMT FMAs keep up with the weight stream); 4 warps of 4 weight rows a block, a run-time N; up to 16-byte weight loads, 4 k-steps a group; x staged as f32, 41728 columns at a time
func.func @decode_dynamic_k(%x: tensor<1x?xbf16>, %w: tensor<?x?xbf16>) -> tensor<1x?xbf16> {
  %y = retention.linear %x, %w : tensor<1x?xbf16>, tensor<?x?xbf16> -> tensor<1x?xbf16>
  return %y : tensor<1x?xbf16>
}

// -----

// No rows of x: not gemv (its slices are sized by the rows); the lowering
// refuses the empty grid. No columns of x (K = 0): gemv, y = the residual.
// CHECK-LABEL: func.func @no_rows
// CHECK: kernel = mma_sync
// CHECK-LABEL: func.func @no_columns
// CHECK: kernel = gemv, block_m = 2, block_n = 16, block_k = 256
func.func @no_rows(%x: tensor<0x64xbf16>, %w: tensor<8x64xbf16>) -> tensor<0x8xbf16> {
  %y = retention.linear %x, %w : tensor<0x64xbf16>, tensor<8x64xbf16> -> tensor<0x8xbf16>
  return %y : tensor<0x8xbf16>
}
func.func @no_columns(%x: tensor<2x0xbf16>, %w: tensor<8x0xbf16>) -> tensor<2x8xbf16> {
  %y = retention.linear %x, %w : tensor<2x0xbf16>, tensor<8x0xbf16> -> tensor<2x8xbf16>
  return %y : tensor<2x8xbf16>
}
