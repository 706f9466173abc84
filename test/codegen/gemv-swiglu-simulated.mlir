// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --swiglu --norm-eps 1e-5 | FileCheck %s
// With a run-time row count (as in a model): 1 row of each kernel's bound.
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu=runtime-sizes --canonicalize --cse --mlir-print-op-generic > %t.rows.mlir
// RUN: %python %testlib/simt_sim.py %t.rows.mlir --swiglu --norm-eps 1e-5 --count 1 | FileCheck %s --check-prefix=ROWS
// A planted bug must fail: swish's exp(-g) taken as sqrt(-g).
// RUN: sed 's/"math.exp"/"math.sqrt"/' %t.mlir | not %python %testlib/simt_sim.py - --swiglu --norm-eps 1e-5 | FileCheck %s --check-prefix=BUG
// BUG: FAIL
//
// retention.swiglu_linear on the gemv kernel (decode's gate and up
// projections, retention-fuse-elementwise{swiglu-max-rows}): each warp
// streams thread_n rows of the gate weight and the same rows of the up
// weight, both lists of sums are reduced over the lanes alike, and each
// output is swish(gate sum) * up sum (each scaled by the row's 1 / rms
// first, with a fused norm). Simulated against float64
// (test/lib/simt_sim.py --swiglu).

// decode's shape: one row of the f32 residual stream, normalized in the
// kernel, bf16 weights, a bf16 product; N = 44 is not a multiple of the
// block's 8 columns
// CHECK: M=1 N=44 K=2048 x f32 weight bf16 up norm y bf16: y rel err = {{.+}} PASS
// ROWS: M=1 N=44 K=2048 x f32 weight bf16 up norm y bf16 rows 1: y rel err = {{.+}} PASS
func.func @swiglu(%x: tensor<1x2048xf32>, %wg: tensor<44x2048xbf16>, %wu: tensor<44x2048xbf16>, %n: tensor<2048xf32>) -> tensor<1x44xbf16> {
  %y = retention.swiglu_linear %x norm %n, %wg, %wu {norm_eps = 1.0e-05 : f64} : tensor<1x2048xf32> norm tensor<2048xf32>, tensor<44x2048xbf16>, tensor<44x2048xbf16> -> tensor<1x44xbf16>
  return %y : tensor<1x44xbf16>
}

// -----

// bf16 rows without a norm, K = 600 (8-element loads, a masked last step)
// CHECK: M=3 N=13 K=600 x bf16 weight bf16 up: y rel err = {{.+}} PASS
// ROWS: M=3 N=13 K=600 x bf16 weight bf16 up rows 1: y rel err = {{.+}} PASS
func.func @swiglu(%x: tensor<3x600xbf16>, %wg: tensor<13x600xbf16>, %wu: tensor<13x600xbf16>) -> tensor<3x13xbf16> {
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<3x600xbf16>, tensor<13x600xbf16>, tensor<13x600xbf16> -> tensor<3x13xbf16>
  return %y : tensor<3x13xbf16>
}

// -----

// 5 rows, f32, K = 600 in slices of 256 (a loop of two, then the rest),
// a norm; 4 warps of 2 rows of each weight
// CHECK: M=5 N=17 K=600 x f32 weight f32 up norm: y rel err = {{.+}} PASS
// ROWS: M=5 N=17 K=600 x f32 weight f32 up norm rows 1: y rel err = {{.+}} PASS
func.func @swiglu(%x: tensor<5x600xf32>, %wg: tensor<17x600xf32>, %wu: tensor<17x600xf32>, %n: tensor<600xf32>) -> tensor<5x17xf32> {
  %y = retention.swiglu_linear %x norm %n, %wg, %wu {norm_eps = 1.0e-05 : f64, retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 5, block_n = 8, block_k = 256, warps_n = 4, thread_n = 2, stages = 2>} : tensor<5x600xf32> norm tensor<600xf32>, tensor<17x600xf32>, tensor<17x600xf32> -> tensor<5x17xf32>
  return %y : tensor<5x17xf32>
}
