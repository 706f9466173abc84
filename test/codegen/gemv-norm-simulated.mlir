// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --norm-eps 1e-5 | FileCheck %s
// (Arguments in the order the outlined kernels take them: x, weight,
// residual, norm.)
// Planted bugs must fail: the reference's eps 1e-1 instead of the kernel's
// 1e-5 (3.7e-5 apart on rows of mean square 37^2), and the mean of the
// squares over 2000 columns instead of K = 2048.
// RUN: not %python %testlib/simt_sim.py %t.mlir --norm-eps 1e-1 | FileCheck %s --check-prefix=EPS
// EPS: M=1 N=40 K=2048 x f32 weight bf16 norm: y rel err = {{.+}} FAIL
// RUN: sed 's/value = 2.048000e+03 : f32/value = 2.000000e+03 : f32/' %t.mlir | not %python %testlib/simt_sim.py - --norm-eps 1e-5 | FileCheck %s --check-prefix=MEAN
// MEAN: M=1 N=40 K=2048 x f32 weight bf16 norm: y rel err = {{.+}} FAIL
//
// The gemv kernel with a fused RMSNorm (a bf16 model's decode: the f32
// residual stream normalized inside the projection it feeds;
// retention-fuse-elementwise{norm-max-rows}): every thread sums the squares
// of its pieces of the block's rows of x, the warps' sums meet in shared
// memory, x is staged times the norm weight and each output is scaled by
// its row's 1 / rms as it is stored. Run by test/lib/simt_sim.py against
// float64 (x scaled by 37 so that a missing norm shows), at one and
// several rows, K in several slices, K not a multiple of 4 (the sums'
// pieces of 2) and a residual; gemv-norm-rows-simulated.mlir runs them
// with a run-time row count.

// one row, K in one slice of 2048 (decode's q, k, v, g)
// CHECK: M=1 N=40 K=2048 x f32 weight bf16 norm y bf16: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<1x2048xf32>, %w: tensor<40x2048xbf16>, %n: tensor<2048xf32>) -> tensor<1x40xbf16> {
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-05 : f64} : tensor<1x2048xf32> norm tensor<2048xf32>, tensor<40x2048xbf16> -> tensor<1x40xbf16>
  return %y : tensor<1x40xbf16>
}

// -----

// the LM head: f32 logits
// CHECK: M=1 N=40 K=2048 x f32 weight bf16 norm: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<1x2048xf32>, %w: tensor<40x2048xbf16>, %n: tensor<2048xf32>) -> tensor<1x40xf32> {
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-05 : f64} : tensor<1x2048xf32> norm tensor<2048xf32>, tensor<40x2048xbf16> -> tensor<1x40xf32>
  return %y : tensor<1x40xf32>
}

// -----

// 5 rows, K = 600 in slices of 256 (a loop of two, then the rest), a
// residual, f32 weights
// CHECK: M=5 N=33 K=600 x f32 weight f32 residual norm: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<5x600xf32>, %w: tensor<33x600xf32>, %r: tensor<5x33xf32>, %n: tensor<600xf32>) -> tensor<5x33xf32> {
  %y = retention.linear %x norm %n, %w residual %r {norm_eps = 1.0e-05 : f64, retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 5, block_n = 16, block_k = 256, warps_n = 4, thread_n = 4, stages = 2>} : tensor<5x600xf32> norm tensor<600xf32>, tensor<33x600xf32>, tensor<5x33xf32> -> tensor<5x33xf32>
  return %y : tensor<5x33xf32>
}

// -----

// K = 602: the norm's pieces of 2, x's of 2 (bf16 weights in 4-byte loads)
// CHECK: M=3 N=17 K=602 x f32 weight bf16 norm y bf16: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<3x602xf32>, %w: tensor<17x602xbf16>, %n: tensor<602xf32>) -> tensor<3x17xbf16> {
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-05 : f64} : tensor<3x602xf32> norm tensor<602xf32>, tensor<17x602xbf16> -> tensor<3x17xbf16>
  return %y : tensor<3x17xbf16>
}
