// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/graph_kernels_check.py %t.mlir %s | FileCheck %s
// A planted bug must fail: the kernel given each sequence's end one row
// early (the row before its last read).
// RUN: not %python %testlib/graph_kernels_check.py %t.mlir %s --plant-offsets | FileCheck %s --check-prefix=BUG
// BUG-COUNT-6: FAIL
//
// The last_rows kernel (the last row of each of N packed sequences: a
// packed prefill's logits rows; codegen/gpu/GraphKernels.h) as
// convert-retention-to-gpu emits it, run by test/lib/simt_sim.py through
// graph_kernels_check.py for N = all the rows, two thirds and one, the
// sequences' lengths random (at least 1 each; the rows after the last
// sequence NaN, never read; the offsets past N + 1 never read). A copy:
// exactly the reference's rows.

// f32 rows of 64: pieces of 4.
func.func @last_d64(%x: tensor<12x64xf32>, %off: tensor<13xi64>) -> tensor<12x64xf32> {
  %y = retention.last_rows %x, %off : tensor<12x64xf32>, tensor<13xi64> -> tensor<12x64xf32>
  return %y : tensor<12x64xf32>
}
// CHECK: last_d64: last_rows 12x64 rows=12/12: rel err = 0.000e+00 (tol 0.0e+00) PASS
// CHECK: last_d64: last_rows 12x64 rows=8/12: rel err = 0.000e+00 (tol 0.0e+00) PASS
// CHECK: last_d64: last_rows 12x64 rows=1/12: rel err = 0.000e+00 (tol 0.0e+00) PASS

// -----

// A width of 2050 (pieces of 2, several rounds a thread).
func.func @last_d2050(%x: tensor<7x2050xf32>, %off: tensor<8xi64>) -> tensor<7x2050xf32> {
  %y = retention.last_rows %x, %off : tensor<7x2050xf32>, tensor<8xi64> -> tensor<7x2050xf32>
  return %y : tensor<7x2050xf32>
}
// CHECK: last_d2050: last_rows 7x2050 rows=7/7: rel err = 0.000e+00 (tol 0.0e+00) PASS
// CHECK: last_d2050: last_rows 7x2050 rows=4/7: rel err = 0.000e+00 (tol 0.0e+00) PASS
// CHECK: last_d2050: last_rows 7x2050 rows=1/7: rel err = 0.000e+00 (tol 0.0e+00) PASS
