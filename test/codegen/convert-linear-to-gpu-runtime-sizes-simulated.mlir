// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu=runtime-sizes=1 --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --count 1 | FileCheck %s --check-prefix=ONE
// RUN: %python %testlib/simt_sim.py %t.mlir --count -3 | FileCheck %s --check-prefix=TAIL
// A planted bug must fail: kernels given M = static M where the checks
// expect M = 1 (rows of x past it loaded, of y stored).
// RUN: not %python %testlib/simt_sim.py %t.mlir --count 1 --kernel-count 0 | FileCheck %s --check-prefix=BUG
// BUG-COUNT-4: rows 1: FAIL
//
// The simt GEMM and gemv kernels (codegen/gpu/GemmKernels.cpp,
// GemvKernel.cpp) with a run-time row count (convert-retention-to-gpu
// {runtime-sizes}: M is the last, index, parameter; x, the residual and y
// keep the static M, and so does the grid), run on the CPU by
// test/lib/simt_sim.py at M = 1 and M = static M - 3 on random inputs
// against a float64 reference. Rows of x and the residual at or past M are
// NaN and may not be loaded; rows of y there may not be stored and must
// keep their values. Tolerance as in gemv-simulated.mlir: 1e-5 for f32 y,
// 1.5 x the error of rounding the reference to y's type otherwise.

// simt (f32, M > 16): two row blocks of 64, the second wholly past M = 1
// (launched all the same: the grid is that of the static M).
// ONE: M=70 N=20 K=24 x f32 weight f32 residual rows 1: y rel err = {{.+}} PASS
// TAIL: M=70 N=20 K=24 x f32 weight f32 residual rows 67: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<70x24xf32>, %w: tensor<20x24xf32>, %r: tensor<70x20xf32>) -> tensor<70x20xf32> {
  %y = retention.linear %x, %w residual %r : tensor<70x24xf32>, tensor<20x24xf32>, tensor<70x20xf32> -> tensor<70x20xf32>
  return %y : tensor<70x20xf32>
}

// -----

// simt, mixed types, no residual, K not a multiple of the 16-deep slice.
// ONE: M=19 N=9 K=37 x f32 weight bf16 rows 1: y rel err = {{.+}} PASS
// TAIL: M=19 N=9 K=37 x f32 weight bf16 rows 16: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<19x37xf32>, %w: tensor<9x37xbf16>) -> tensor<19x9xf32> {
  %y = retention.linear %x, %w : tensor<19x37xf32>, tensor<9x37xbf16> -> tensor<19x9xf32>
  return %y : tensor<19x9xf32>
}

// -----

// gemv, 16 rows of x staged, a ragged last k-step, N odd.
// ONE: M=16 N=33 K=200 x bf16 weight bf16 residual rows 1: y rel err = {{.+}} PASS
// TAIL: M=16 N=33 K=200 x bf16 weight bf16 residual rows 13: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<16x200xbf16>, %w: tensor<33x200xbf16>, %r: tensor<16x33xbf16>) -> tensor<16x33xbf16> {
  %y = retention.linear %x, %w residual %r : tensor<16x200xbf16>, tensor<33x200xbf16>, tensor<16x33xbf16> -> tensor<16x33xbf16>
  return %y : tensor<16x33xbf16>
}

// -----

// gemv, f32, 4-element loads.
// ONE: M=5 N=17 K=1000 x f32 weight f32 rows 1: y rel err = {{.+}} PASS
// TAIL: M=5 N=17 K=1000 x f32 weight f32 rows 2: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<5x1000xf32>, %w: tensor<17x1000xf32>) -> tensor<5x17xf32> {
  %y = retention.linear %x, %w : tensor<5x1000xf32>, tensor<17x1000xf32> -> tensor<5x17xf32>
  return %y : tensor<5x17xf32>
}
