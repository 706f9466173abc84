// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --group 4 --norm-eps 1e-5 | FileCheck %s
// With a run-time row count (as in a model): 1 row of each kernel's bound.
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu=runtime-sizes --canonicalize --cse --mlir-print-op-generic > %t.rows.mlir
// RUN: %python %testlib/simt_sim.py %t.rows.mlir --group 4 --norm-eps 1e-5 --count 1 | FileCheck %s --check-prefix=ROWS
// A planted bug must fail: the last matrix's blocks end one block early
// (blocks 10 and 11 of 12 are its; its outputs 16 to 20 never stored).
// RUN: sed 's/value = 12 : index/value = 11 : index/' %t.mlir | not %python %testlib/simt_sim.py - --group 4 --norm-eps 1e-5 | FileCheck %s --check-prefix=BUG
// BUG: FAIL
//
// retention.linear_group on the gemv kernel (decode's q, k, v and g
// projections of one input, retention-fuse-elementwise{group-max-rows}):
// the grid's blocks along x are each matrix's column blocks in turn, each
// block computes the norm factors of x once and takes its matrix's
// branch. Simulated against float64 (test/lib/simt_sim.py --group).

// decode's shape, smaller: one f32 row normalized in the kernel, bf16
// weights of 48, 32, 80 and 21 rows (the last not a multiple of the
// block's 16 columns), bf16 outputs
// CHECK-COUNT-4: group of 4: M=1 K=512 x f32 norm: y{{[0-3]}} N={{[0-9]+}} weight bf16 y bf16: rel err = {{.+}} PASS
// ROWS-COUNT-4: group of 4: M=1 K=512 x f32 norm rows 1: y{{[0-3]}} N={{[0-9]+}} weight bf16 y bf16: rel err = {{.+}} PASS
func.func @group(%x: tensor<1x512xf32>, %wq: tensor<48x512xbf16>, %wk: tensor<32x512xbf16>, %wv: tensor<80x512xbf16>, %wg: tensor<21x512xbf16>, %n: tensor<512xf32>) -> (tensor<1x48xbf16>, tensor<1x32xbf16>, tensor<1x80xbf16>, tensor<1x21xbf16>) {
  %q, %k, %v, %g = retention.linear_group %x norm %n, %wq, %wk, %wv, %wg {norm_eps = 1.0e-05 : f64} : tensor<1x512xf32> norm tensor<512xf32>, tensor<48x512xbf16>, tensor<32x512xbf16>, tensor<80x512xbf16>, tensor<21x512xbf16> -> tensor<1x48xbf16>, tensor<1x32xbf16>, tensor<1x80xbf16>, tensor<1x21xbf16>
  return %q, %k, %v, %g : tensor<1x48xbf16>, tensor<1x32xbf16>, tensor<1x80xbf16>, tensor<1x21xbf16>
}

// -----

// 5 rows of f32 without a norm, f32 weights, K = 600 in slices of 256 and
// the rest; outputs of different types
// CHECK-COUNT-4: group of 4: M=5 K=600 x f32: y{{[0-3]}} N={{[0-9]+}} weight f32 y {{f32|bf16}}: rel err = {{.+}} PASS
// ROWS-COUNT-4: group of 4: M=5 K=600 x f32 rows 1: y{{[0-3]}} N={{[0-9]+}} weight f32 y {{f32|bf16}}: rel err = {{.+}} PASS
func.func @group(%x: tensor<5x600xf32>, %w0: tensor<17x600xf32>, %w1: tensor<40x600xf32>, %w2: tensor<3x600xf32>, %w3: tensor<33x600xf32>) -> (tensor<5x17xf32>, tensor<5x40xbf16>, tensor<5x3xf32>, tensor<5x33xf32>) {
  %a, %b, %c, %d = retention.linear_group %x, %w0, %w1, %w2, %w3 {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 5, block_n = 32, block_k = 256, warps_n = 8, thread_n = 4, stages = 2>} : tensor<5x600xf32>, tensor<17x600xf32>, tensor<40x600xf32>, tensor<3x600xf32>, tensor<33x600xf32> -> tensor<5x17xf32>, tensor<5x40xbf16>, tensor<5x3xf32>, tensor<5x33xf32>
  return %a, %b, %c, %d : tensor<5x17xf32>, tensor<5x40xbf16>, tensor<5x3xf32>, tensor<5x33xf32>
}
