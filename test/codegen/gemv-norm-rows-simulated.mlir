// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu=runtime-sizes --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --norm-eps 1e-5 --count 3 | FileCheck %s --check-prefix=ROWS3
// RUN: %python %testlib/simt_sim.py %t.mlir --norm-eps 1e-5 --count 1 | FileCheck %s --check-prefix=ROWS1
// A planted bug must fail: the kernel told 4 rows where 3 are valid (the
// fourth is NaN; its sum of squares must not be taken, nor its output
// stored).
// RUN: not %python %testlib/simt_sim.py %t.mlir --norm-eps 1e-5 --count 3 --kernel-count 4 | FileCheck %s --check-prefix=BUG
// BUG: FAIL
//
// The gemv kernel with a fused norm and a run-time row count
// (convert-retention-to-gpu{runtime-sizes}, as in a model): rows at or
// past the count are NaN in x and the residual, never read into the sums
// of squares or the products, and never stored; simulated against float64
// (test/lib/simt_sim.py).

// 5 rows, K = 600 in slices of 256, a residual
// ROWS3: M=5 N=33 K=600 x f32 weight f32 residual norm rows 3: y rel err = {{.+}} PASS
// ROWS1: M=5 N=33 K=600 x f32 weight f32 residual norm rows 1: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<5x600xf32>, %w: tensor<33x600xf32>, %r: tensor<5x33xf32>, %n: tensor<600xf32>) -> tensor<5x33xf32> {
  %y = retention.linear %x norm %n, %w residual %r {norm_eps = 1.0e-05 : f64, retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 5, block_n = 16, block_k = 256, warps_n = 4, thread_n = 4, stages = 2>} : tensor<5x600xf32> norm tensor<600xf32>, tensor<33x600xf32>, tensor<5x33xf32> -> tensor<5x33xf32>
  return %y : tensor<5x33xf32>
}

// -----

// 3 rows of 16 (decode's largest batch takes 16), K = 602: pieces of 2
// ROWS3: M=16 N=17 K=602 x f32 weight bf16 norm y bf16 rows 3: y rel err = {{.+}} PASS
// ROWS1: M=16 N=17 K=602 x f32 weight bf16 norm y bf16 rows 1: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<16x602xf32>, %w: tensor<17x602xbf16>, %n: tensor<602xf32>) -> tensor<16x17xbf16> {
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-05 : f64} : tensor<16x602xf32> norm tensor<602xf32>, tensor<17x602xbf16> -> tensor<16x17xbf16>
  return %y : tensor<16x17xbf16>
}
