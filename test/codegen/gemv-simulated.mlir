// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir | FileCheck %s
// A planted bug must fail: the x values' second run of four 132 columns
// on instead of 128 (the staging and the reads alike).
// RUN: sed 's/value = 128 : index/value = 132 : index/' %t.mlir | not %python %testlib/simt_sim.py - | FileCheck %s --check-prefix=BUG
// BUG: FAIL
//
// The gemv kernel (codegen/gpu/GemvKernel.cpp) as convert-retention-to-gpu
// emits it, run on the CPU by test/lib/simt_sim.py (every thread of every
// block in lockstep over numpy arrays) on random inputs against a float64
// reference: the indexing of the weight pieces and of the staged x (its
// lanes' order, its slices), the masks of ragged k-steps, rows past N and
// M, the reduce-scatter of shuffles and the epilogue, on shapes and types
// the GPU suite (test/gpu/linear-gemv.test) runs for real. Not timing, not
// memory ordering, not the NVVM lowering.

// one row, groups of 4 k-steps in a loop; N = 40 fills no block
// CHECK: M=1 N=40 K=2048 x bf16 weight bf16: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<1x2048xbf16>, %w: tensor<40x2048xbf16>) -> tensor<1x40xbf16> {
  %y = retention.linear %x, %w : tensor<1x2048xbf16>, tensor<40x2048xbf16> -> tensor<1x40xbf16>
  return %y : tensor<1x40xbf16>
}

// -----

// K = 200 in one ragged k-step (lanes past K masked), 12 sums padded to 16
// CHECK: M=3 N=75 K=200 x bf16 weight bf16 residual: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<3x200xbf16>, %w: tensor<75x200xbf16>, %r: tensor<3x75xbf16>) -> tensor<3x75xbf16> {
  %y = retention.linear %x, %w residual %r : tensor<3x200xbf16>, tensor<75x200xbf16>, tensor<3x75xbf16> -> tensor<3x75xbf16>
  return %y : tensor<3x75xbf16>
}

// -----

// K = 2040 (a multiple of 8, not of 64): the loop, the peeled groups, a ragged last k-step; N odd
// CHECK: M=16 N=33 K=2040 x bf16 weight bf16 residual: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<16x2040xbf16>, %w: tensor<33x2040xbf16>, %r: tensor<16x33xbf16>) -> tensor<16x33xbf16> {
  %y = retention.linear %x, %w residual %r : tensor<16x2040xbf16>, tensor<33x2040xbf16>, tensor<16x33xbf16> -> tensor<16x33xbf16>
  return %y : tensor<16x33xbf16>
}

// -----

// x in two straight-line slices (16 x 5000 f32 is more than a block's shared memory)
// CHECK: M=16 N=9 K=5000 x f16 weight f16 residual: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<16x5000xf16>, %w: tensor<9x5000xf16>, %r: tensor<16x9xf16>) -> tensor<16x9xf16> {
  %y = retention.linear %x, %w residual %r : tensor<16x5000xf16>, tensor<9x5000xf16>, tensor<16x9xf16> -> tensor<16x9xf16>
  return %y : tensor<16x9xf16>
}

// -----

// x in a loop of two whole slices and the rest
// CHECK: M=16 N=5 K=8200 x bf16 weight bf16: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<16x8200xbf16>, %w: tensor<5x8200xbf16>) -> tensor<16x5xbf16> {
  %y = retention.linear %x, %w : tensor<16x8200xbf16>, tensor<5x8200xbf16> -> tensor<16x5xbf16>
  return %y : tensor<16x5xbf16>
}

// -----

// f32: 4-element loads
// CHECK: M=5 N=17 K=1000 x f32 weight f32 residual: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<5x1000xf32>, %w: tensor<17x1000xf32>, %r: tensor<5x17xf32>) -> tensor<5x17xf32> {
  %y = retention.linear %x, %w residual %r : tensor<5x1000xf32>, tensor<17x1000xf32>, tensor<5x17xf32> -> tensor<5x17xf32>
  return %y : tensor<5x17xf32>
}

// -----

// K = 13: 1-element loads
// CHECK: M=2 N=9 K=13 x f16 weight f16: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<2x13xf16>, %w: tensor<9x13xf16>) -> tensor<2x9xf16> {
  %y = retention.linear %x, %w : tensor<2x13xf16>, tensor<9x13xf16> -> tensor<2x9xf16>
  return %y : tensor<2x9xf16>
}

// -----

// f32 x, bf16 weight
// CHECK: M=3 N=20 K=100 x f32 weight bf16 residual: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<3x100xf32>, %w: tensor<20x100xbf16>, %r: tensor<3x20xf32>) -> tensor<3x20xf32> {
  %y = retention.linear %x, %w residual %r : tensor<3x100xf32>, tensor<20x100xbf16>, tensor<3x20xf32> -> tensor<3x20xf32>
  return %y : tensor<3x20xf32>
}

// -----

// bf16 x, f32 weight
// CHECK: M=4 N=7 K=64 x bf16 weight f32: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<4x64xbf16>, %w: tensor<7x64xf32>) -> tensor<4x7xbf16> {
  %y = retention.linear %x, %w : tensor<4x64xbf16>, tensor<7x64xf32> -> tensor<4x7xbf16>
  return %y : tensor<4x7xbf16>
}

// -----

// pinned: 2 rows of x a block (grid y = 4), one warp of 5 rows, 1 k-step a group, 512-column slices
// CHECK: M=7 N=21 K=600 x f16 weight f16 residual: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<7x600xf16>, %w: tensor<21x600xf16>, %r: tensor<7x21xf16>) -> tensor<7x21xf16> {
  %y = retention.linear %x, %w residual %r {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 2, block_n = 5, block_k = 512, thread_n = 5>} : tensor<7x600xf16>, tensor<21x600xf16>, tensor<7x21xf16> -> tensor<7x21xf16>
  return %y : tensor<7x21xf16>
}

// -----

// pinned: 3 rows a warp, 3 k-steps a group, a loop of three 256-column slices and the rest
// CHECK: M=3 N=50 K=1000 x bf16 weight bf16 residual: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<3x1000xbf16>, %w: tensor<50x1000xbf16>, %r: tensor<3x50xbf16>) -> tensor<3x50xbf16> {
  %y = retention.linear %x, %w residual %r {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 3, block_n = 12, block_k = 256, warps_n = 4, thread_n = 3, stages = 3>} : tensor<3x1000xbf16>, tensor<50x1000xbf16>, tensor<3x50xbf16> -> tensor<3x50xbf16>
  return %y : tensor<3x50xbf16>
}

// -----

// K = 0: no slice, y = the residual.
// CHECK: M=2 N=8 K=0 x bf16 weight bf16 residual: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<2x0xbf16>, %w: tensor<8x0xbf16>, %r: tensor<2x8xbf16>) -> tensor<2x8xbf16> {
  %y = retention.linear %x, %w residual %r : tensor<2x0xbf16>, tensor<8x0xbf16>, tensor<2x8xbf16> -> tensor<2x8xbf16>
  return %y : tensor<2x8xbf16>
}

// -----

// A bf16 model's decode projection into the f32 residual stream: bf16 x
// and weight, f32 residual and y.
// CHECK: M=1 N=48 K=512 x bf16 weight bf16 residual y f32: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<1x512xbf16>, %w: tensor<48x512xbf16>, %r: tensor<1x48xf32>) -> tensor<1x48xf32> {
  %y = retention.linear %x, %w residual %r : tensor<1x512xbf16>, tensor<48x512xbf16>, tensor<1x48xf32> -> tensor<1x48xf32>
  return %y : tensor<1x48xf32>
}

// -----

// The logits of a bf16 model: bf16 x and table, f32 y.
// CHECK: M=1 N=100 K=64 x bf16 weight bf16 y f32: y rel err = {{.+}} PASS
func.func @linear(%x: tensor<1x64xbf16>, %w: tensor<100x64xbf16>) -> tensor<1x100xf32> {
  %y = retention.linear %x, %w : tensor<1x64xbf16>, tensor<100x64xbf16> -> tensor<1x100xf32>
  return %y : tensor<1x100xf32>
}
