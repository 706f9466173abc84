// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --verify-diagnostics
// A projection with a fused norm runs on gemv only (it normalizes the rows
// of x it stages whole): more rows than gemv takes, or another kernel
// given, is an error at the op; so is a swiglu_linear (two weights) off
// gemv.

func.func @too_many_rows(%x: tensor<64x64xf32>, %w: tensor<8x64xbf16>, %n: tensor<64xf32>) -> tensor<64x8xf32> {
  // expected-error @+1 {{'retention.linear' op with a fused norm runs on the gemv kernel only, which takes at most 16 rows of x, got 64}}
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-06 : f64} : tensor<64x64xf32> norm tensor<64xf32>, tensor<8x64xbf16> -> tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}

// -----

func.func @simt_given(%x: tensor<4x64xf32>, %w: tensor<8x64xf32>, %n: tensor<64xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'retention.linear' op gemm_schedule: kernel = simt cannot take a fused norm; only gemv normalizes its rows of x}}
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-06 : f64, retention.gemm_schedule = #retention.gemm_schedule<kernel = simt, block_m = 16, block_n = 64, block_k = 16, thread_n = 4>} : tensor<4x64xf32> norm tensor<64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// swiglu_linear has a gemv kernel only (two weights).
func.func @swiglu_too_many_rows(%x: tensor<64x64xbf16>, %wg: tensor<8x64xbf16>, %wu: tensor<8x64xbf16>) -> tensor<64x8xbf16> {
  // expected-error @+1 {{'retention.swiglu_linear' op runs on the gemv kernel only (the GEMM kernels have no two-weight form), which takes at most 16 rows of x, got 64}}
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<64x64xbf16>, tensor<8x64xbf16>, tensor<8x64xbf16> -> tensor<64x8xbf16>
  return %y : tensor<64x8xbf16>
}

// -----

func.func @swiglu_mma_given(%x: tensor<4x64xbf16>, %wg: tensor<8x64xbf16>, %wu: tensor<8x64xbf16>) -> tensor<4x8xbf16> {
  // expected-error @+1 {{'retention.swiglu_linear' op gemm_schedule: kernel = mma_sync has no two-weight (SwiGLU) form; only gemv takes one}}
  %y = retention.swiglu_linear %x, %wg, %wu {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 16, block_n = 64, block_k = 32, warps_m = 1, warps_n = 4, stages = 4>} : tensor<4x64xbf16>, tensor<8x64xbf16>, tensor<8x64xbf16> -> tensor<4x8xbf16>
  return %y : tensor<4x8xbf16>
}

// -----

// linear_group likewise (a group of weights).
func.func @group_too_many_rows(%x: tensor<64x64xbf16>, %w0: tensor<8x64xbf16>, %w1: tensor<8x64xbf16>) -> (tensor<64x8xbf16>, tensor<64x8xbf16>) {
  // expected-error @+1 {{'retention.linear_group' op runs on the gemv kernel only (the GEMM kernels have no grouped form), which takes at most 16 rows of x, got 64}}
  %a, %b = retention.linear_group %x, %w0, %w1 : tensor<64x64xbf16>, tensor<8x64xbf16>, tensor<8x64xbf16> -> tensor<64x8xbf16>, tensor<64x8xbf16>
  return %a, %b : tensor<64x8xbf16>, tensor<64x8xbf16>
}

// -----

func.func @group_simt_given(%x: tensor<4x64xf32>, %w0: tensor<8x64xf32>, %w1: tensor<8x64xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // expected-error @+1 {{'retention.linear_group' op gemm_schedule: kernel = simt has no grouped form; only gemv takes a group of weights}}
  %a, %b = retention.linear_group %x, %w0, %w1 {retention.gemm_schedule = #retention.gemm_schedule<kernel = simt, block_m = 16, block_n = 64, block_k = 16, thread_n = 4>} : tensor<4x64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<4x8xf32>, tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A written gemv schedule for two weights: thread_n rows of each.
func.func @swiglu_too_many_rows_a_warp(%x: tensor<16x2048xbf16>, %wg: tensor<64x2048xbf16>, %wu: tensor<64x2048xbf16>) -> tensor<16x64xbf16> {
  // expected-error @+1 {{'retention.swiglu_linear' op gemm_schedule: kernel = gemv with two weights streams thread_n rows of each: 2 * thread_n must be at most 8 and 2 * thread_n * stages at most 32, got 16 and 64}}
  %y = retention.swiglu_linear %x, %wg, %wu {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 16, block_n = 64, block_k = 2048, warps_n = 8, thread_n = 8, stages = 4>} : tensor<16x2048xbf16>, tensor<64x2048xbf16>, tensor<64x2048xbf16> -> tensor<16x64xbf16>
  return %y : tensor<16x64xbf16>
}

// -----

// A gated head norm's factors (rows x heads, f32) are static shared
// memory: 16 rows of 4096 heads of 4 would take 256 KiB.
func.func @head_norm_too_many_heads(%x: tensor<16x16384xf32>, %w: tensor<8x16384xf32>, %n: tensor<4xf32>) -> tensor<16x8xf32> {
  // expected-error @+1 {{'retention.linear' op with a head norm of 4096 heads over 16 rows: their factors take 262144 bytes of static shared memory, more than the 49152 a kernel may declare}}
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-06 : f64, norm_head_dim = 4 : i64} : tensor<16x16384xf32> norm tensor<4xf32>, tensor<8x16384xf32> -> tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}
