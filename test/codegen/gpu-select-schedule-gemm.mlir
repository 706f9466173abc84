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

// Decode-sized: 16-row blocks, 64 columns so that 32 blocks become 64.
// CHECK-LABEL: func.func @decode_bf16
// CHECK: kernel = mma_sync, block_m = 16, block_n = 64, block_k = 32, warps_n = 4, stages = 4, shared_bytes = 25600
// WG: kernel = mma_sync, block_m = 16, block_n = 64
func.func @decode_bf16(%x: tensor<8x2048xbf16>, %w: tensor<4096x2048xbf16>) -> tensor<8x4096xbf16> {
  %y = retention.linear %x, %w : tensor<8x2048xbf16>, tensor<4096x2048xbf16> -> tensor<8x4096xbf16>
  return %y : tensor<8x4096xbf16>
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
// CHECK: kernel = simt, block_m = 16, block_n = 64, block_k = 16, thread_n = 4
// WHY: remark: gemm schedule on sm_80: simt: bf16 x and bf16 weight, K not a multiple of 8
func.func @odd_k(%x: tensor<3x100xbf16>, %w: tensor<64x100xbf16>) -> tensor<3x64xbf16> {
  %y = retention.linear %x, %w : tensor<3x100xbf16>, tensor<64x100xbf16> -> tensor<3x64xbf16>
  return %y : tensor<3x64xbf16>
}

// -----

// Mixed types: f32 activations, bf16 weights.
// CHECK-LABEL: func.func @mixed
// CHECK: kernel = simt
func.func @mixed(%x: tensor<3x128xf32>, %w: tensor<64x128xbf16>) -> tensor<3x64xf32> {
  %y = retention.linear %x, %w : tensor<3x128xf32>, tensor<64x128xbf16> -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

// -----

// A schedule written in the IR is kept and its bytes filled in.
// CHECK-LABEL: func.func @explicit
// CHECK: #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 64, block_k = 64, warps_m = 2, warps_n = 2, stages = 3, shared_bytes = 55296>
func.func @explicit(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 64, block_k = 64, warps_m = 2, warps_n = 2, stages = 3>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}
