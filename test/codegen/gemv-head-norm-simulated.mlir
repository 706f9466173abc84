// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --head-dim 32 --gate --norm-eps 1e-5 | FileCheck %s
// With a run-time row count (as in a model): 1 row of each kernel's bound.
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu=runtime-sizes --canonicalize --cse --mlir-print-op-generic > %t.rows.mlir
// RUN: %python %testlib/simt_sim.py %t.rows.mlir --head-dim 32 --gate --norm-eps 1e-5 --count 1 | FileCheck %s --check-prefix=ROWS
// Planted bugs must fail: the reference normalizing heads of 64 instead of
// 32, and with eps 1e-1 instead of the kernel's 1e-5 (the f32 case).
// RUN: not %python %testlib/simt_sim.py %t.mlir --head-dim 64 --gate --norm-eps 1e-5 | FileCheck %s --check-prefix=BUG
// RUN: not %python %testlib/simt_sim.py %t.mlir --head-dim 32 --gate --norm-eps 1e-1 | FileCheck %s --check-prefix=BUG
// BUG: FAIL
//
// retention.linear with a gated head norm folded in (decode's o_proj:
// retention-fuse-elementwise{norm-max-rows} folds gated_head_norm(o, w,
// gate g) into the projection it feeds): warps compute each (row, head)'s
// 1 / rms into shared memory, and x is staged times that factor, the norm
// weight at its place in the head and swish(gate). Simulated against
// float64 (test/lib/simt_sim.py --head-dim --gate).

// decode's shape, smaller: one bf16 row of 4 heads of 32, a bf16 gate,
// the f32 residual stream added
// CHECK: M=1 N=40 K=128 x bf16 weight bf16 residual norm heads of 32 gate y f32: y rel err = {{.+}} PASS
// ROWS: M=1 N=40 K=128 x bf16 weight bf16 residual norm heads of 32 gate y f32 rows 1: y rel err = {{.+}} PASS
func.func @o_proj(%o: tensor<1x128xbf16>, %w: tensor<40x128xbf16>, %h: tensor<1x40xf32>, %n: tensor<32xf32>, %g: tensor<1x128xbf16>) -> tensor<1x40xf32> {
  %y = retention.linear %o norm %n gate %g, %w residual %h {norm_eps = 1.0e-05 : f64, norm_head_dim = 32 : i64} : tensor<1x128xbf16> norm tensor<32xf32> gate tensor<1x128xbf16>, tensor<40x128xbf16>, tensor<1x40xf32> -> tensor<1x40xf32>
  return %y : tensor<1x40xf32>
}

// -----

// 5 rows of f32, K = 608 (19 heads of 32) in slices of 256 and the rest:
// more (row, head) pairs than warps
// CHECK: M=5 N=21 K=608 x f32 weight f32 residual norm heads of 32 gate: y rel err = {{.+}} PASS
// ROWS: M=5 N=21 K=608 x f32 weight f32 residual norm heads of 32 gate rows 1: y rel err = {{.+}} PASS
func.func @o_proj(%o: tensor<5x608xf32>, %w: tensor<21x608xf32>, %h: tensor<5x21xf32>, %n: tensor<32xf32>, %g: tensor<5x608xf32>) -> tensor<5x21xf32> {
  %y = retention.linear %o norm %n gate %g, %w residual %h {norm_eps = 1.0e-05 : f64, norm_head_dim = 32 : i64, retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 5, block_n = 16, block_k = 256, warps_n = 4, thread_n = 4, stages = 2>} : tensor<5x608xf32> norm tensor<32xf32> gate tensor<5x608xf32>, tensor<21x608xf32>, tensor<5x21xf32> -> tensor<5x21xf32>
  return %y : tensor<5x21xf32>
}
