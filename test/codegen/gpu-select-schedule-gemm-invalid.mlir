// RUN: retc-opt %s --split-input-file --verify-diagnostics --retention-gpu-select-schedule=target=sm_80
// GEMM schedules: the attribute's own invariants, its fit to the op, and
// the fit on the target.

func.func @mma_f32(%x: tensor<64x256xf32>, %w: tensor<64x256xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'retention.linear' op gemm_schedule: kernel = mma_sync needs x and the weight both bf16 or both f16, got 'f32' and 'f32'}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 64, block_k = 32, warps_m = 2, warps_n = 2, stages = 2>} : tensor<64x256xf32>, tensor<64x256xf32> -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}

// -----

func.func @mma_odd_k(%x: tensor<64x100xbf16>, %w: tensor<64x100xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{'retention.linear' op gemm_schedule: kernel = mma_sync needs the input width K a multiple of 8 (16-byte rows), got 100}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 64, block_k = 32, warps_m = 2, warps_n = 2, stages = 2>} : tensor<64x100xbf16>, tensor<64x100xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @too_much_shared(%x: tensor<256x256xbf16>, %w: tensor<256x256xbf16>) -> tensor<256x256xbf16> {
  // expected-error @+1 {{'retention.linear' op gemm_schedule: its tiles take 245760 bytes of shared memory, more than the 166912 a block of sm_80 may use}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 256, block_n = 256, block_k = 32, warps_m = 4, warps_n = 4, stages = 6>} : tensor<256x256xbf16>, tensor<256x256xbf16> -> tensor<256x256xbf16>
  return %y : tensor<256x256xbf16>
}

// -----

func.func @wrong_bytes(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{'retention.linear' op gemm_schedule: shared_bytes = 100 but its tiles take 30720}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 64, block_k = 32, warps_m = 2, warps_n = 2, stages = 3, shared_bytes = 100>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @warp_tiles(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = mma_sync: each warp's outputs must be whole 16 x 16 tiles and block_k a multiple of 16, got block 64 x 48 x 32 over warps 2 x 2}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 48, block_k = 32, warps_m = 2, warps_n = 2, stages = 2>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @one_stage(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = mma_sync: stages must be at least 2 (one tile computed while the next is copied), got 1}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 64, block_n = 64, block_k = 32, warps_m = 2, warps_n = 2>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @simt_threads(%x: tensor<64x256xf32>, %w: tensor<64x256xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{gemm_schedule: kernel = simt: 16 threads per block; must be a multiple of 32 from 32 to 1024}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = simt, block_m = 16, block_n = 16, block_k = 16, thread_m = 4, thread_n = 4>} : tensor<64x256xf32>, tensor<64x256xf32> -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}

// -----

func.func @gemv_warps_m(%x: tensor<1x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<1x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = gemv: warps_m and thread_m must be 1 (a block takes block_m rows of x whole), got 2 and 1}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 1, block_n = 16, block_k = 256, warps_m = 2, warps_n = 2, thread_n = 4>} : tensor<1x256xbf16>, tensor<64x256xbf16> -> tensor<1x64xbf16>
  return %y : tensor<1x64xbf16>
}

// -----

func.func @gemv_block_n(%x: tensor<1x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<1x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = gemv: block_n must be warps_n * thread_n (weight rows of a warp) = 16, got 32}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 1, block_n = 32, block_k = 256, warps_n = 4, thread_n = 4>} : tensor<1x256xbf16>, tensor<64x256xbf16> -> tensor<1x64xbf16>
  return %y : tensor<1x64xbf16>
}

// -----

func.func @gemv_rows(%x: tensor<1x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<1x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = gemv: block_m must be at most 16 and thread_n at most 8 (a lane's block_m * thread_n sums), got 17 and 4}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 17, block_n = 16, block_k = 256, warps_n = 4, thread_n = 4>} : tensor<1x256xbf16>, tensor<64x256xbf16> -> tensor<1x64xbf16>
  return %y : tensor<1x64xbf16>
}

// -----

func.func @gemv_block_k(%x: tensor<1x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<1x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = gemv: block_k (columns of x staged at a time) must be a positive multiple of 256, got 200}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 1, block_n = 16, block_k = 200, warps_n = 4, thread_n = 4>} : tensor<1x256xbf16>, tensor<64x256xbf16> -> tensor<1x64xbf16>
  return %y : tensor<1x64xbf16>
}

// -----

func.func @gemv_loads(%x: tensor<1x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<1x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = gemv: thread_n * stages (a lane's loads of a group) must be at most 32, got 40}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 1, block_n = 32, block_k = 256, warps_n = 4, thread_n = 8, stages = 5>} : tensor<1x256xbf16>, tensor<64x256xbf16> -> tensor<1x64xbf16>
  return %y : tensor<1x64xbf16>
}

// -----

func.func @gemv_warps(%x: tensor<1x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<1x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = gemv: at most 32 warps, got 33}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 1, block_n = 66, block_k = 256, warps_n = 33, thread_n = 2>} : tensor<1x256xbf16>, tensor<64x256xbf16> -> tensor<1x64xbf16>
  return %y : tensor<1x64xbf16>
}

// -----

func.func @gemv_too_much_shared(%x: tensor<16x4096xbf16>, %w: tensor<64x4096xbf16>) -> tensor<16x64xbf16> {
  // expected-error @+1 {{'retention.linear' op gemm_schedule: its tiles take 262144 bytes of shared memory, more than the 166912 a block of sm_80 may use}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 16, block_n = 16, block_k = 4096, warps_n = 4, thread_n = 4>} : tensor<16x4096xbf16>, tensor<64x4096xbf16> -> tensor<16x64xbf16>
  return %y : tensor<16x64xbf16>
}

// -----

func.func @wgmma_rows(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = wgmma: warps_m must be a multiple of 4 (whole warpgroups) and block_m 16 x warps_m (64 rows a warpgroup), got block_m 64 over warps_m 1}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = wgmma, block_m = 64, block_n = 64, block_k = 64>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @wgmma_columns(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = wgmma: each warpgroup's columns, block_n / warps_n, must be a multiple of 8 up to 256, got 512 / 1}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = wgmma, block_m = 64, block_n = 512, block_k = 64, warps_m = 4, stages = 3>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @wgmma_depth(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = wgmma: block_k must be 64 (128-byte rows of 16-bit elements), got 32}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = wgmma, block_m = 64, block_n = 64, block_k = 32, warps_m = 4, stages = 3>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @wgmma_stages(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = wgmma: stages must be at least 2 (one tile computed while the next is copied), got 1}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = wgmma, block_m = 64, block_n = 64, block_k = 64, warps_m = 4, stages = 1>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @wgmma_f32(%x: tensor<64x256xf32>, %w: tensor<64x256xf32>) -> tensor<64x64xf32> {
  // expected-error @+1 {{'retention.linear' op gemm_schedule: kernel = wgmma needs x and the weight both bf16 or both f16, got 'f32' and 'f32'}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = wgmma, block_m = 64, block_n = 64, block_k = 64, warps_m = 4, stages = 3>} : tensor<64x256xf32>, tensor<64x256xf32> -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}

// -----

func.func @wgmma_on_sm_80(%x: tensor<64x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<64x64xbf16> {
  // expected-error @+1 {{'retention.linear' op gemm_schedule: kernel = wgmma needs wgmma (sm_90a), which sm_80 lacks}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = wgmma, block_m = 64, block_n = 64, block_k = 64, warps_m = 4, stages = 3>} : tensor<64x256xbf16>, tensor<64x256xbf16> -> tensor<64x64xbf16>
  return %y : tensor<64x64xbf16>
}

// -----

func.func @gemv_m_first(%x: tensor<1x256xbf16>, %w: tensor<64x256xbf16>) -> tensor<1x64xbf16> {
  // expected-error @+1 {{gemm_schedule: kernel = gemv: m_first does not apply (a gemv grid has one row block)}}
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 1, block_n = 16, block_k = 256, warps_n = 4, thread_n = 4, m_first = true>} : tensor<1x256xbf16>, tensor<64x256xbf16> -> tensor<1x64xbf16>
  return %y : tensor<1x64xbf16>
}

// -----

func.func @on_rms_norm(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  // expected-error @+1 {{'retention.rms_norm' op retention.gemm_schedule belongs on retention.linear}}
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64, retention.gemm_schedule = #retention.gemm_schedule<kernel = simt, block_m = 64, block_n = 64, block_k = 16, thread_m = 4, thread_n = 4>} : tensor<4x64xf32>, tensor<64xf32> -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
