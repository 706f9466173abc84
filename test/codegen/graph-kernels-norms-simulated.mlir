// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/graph_kernels_check.py %t.mlir %s | FileCheck %s
// A planted bug must fail: the last xor shuffle of every sum at distance 0
// instead of 1 (half the lanes' squares counted twice, half not at all).
// RUN: sed 's/value = 1 : i32/value = 0 : i32/' %t.mlir | not %python %testlib/graph_kernels_check.py - %s | FileCheck %s --check-prefix=SHUFFLE
// SHUFFLE: rms_w100: rms_norm 7x100 rows=7/7: rel err = {{.+}} FAIL
// SHUFFLE: gated_d32: gated_head_norm gate 5x128 rows=5/5: rel err = {{.+}} FAIL
//
// The kernels of rms_norm and gated_head_norm (codegen/gpu/GraphKernels.h)
// as convert-retention-to-gpu emits them, run by test/lib/simt_sim.py
// through graph_kernels_check.py on fresh random inputs against a float64
// reference, for all the rows, two thirds of them and one (rows past `rows`
// NaN, never to be read, and never written): the row's sum of squares over
// sub-warp groups, whole warps and several warps through shared memory, a
// row kept in registers or read twice; per-head sums over groups of 4 to 32
// lanes with idle lanes and checked pieces, heads strided over the row's
// groups (a loop past 8 rounds), with and without the gate; head_dim not a
// power of two. Not timing, not the NVVM lowering.

// 25 pieces of 4: one warp a row, 4 rows a block
func.func @rms_w100(%x: tensor<7x100xf32>, %w: tensor<100xf32>) -> tensor<7x100xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<7x100xf32>, tensor<100xf32> -> tensor<7x100xf32>
  return %y : tensor<7x100xf32>
}
// CHECK: rms_w100: {{.+}} rows=7/7: rel err = {{.+}} PASS
// CHECK: rms_w100: {{.+}} rows=4/7: rel err = {{.+}} PASS
// CHECK: rms_w100: {{.+}} rows=1/7: rel err = {{.+}} PASS

// -----

// an odd width: 16 lanes a row, xor shuffles within 16
func.func @rms_w13(%x: tensor<5x13xf32>, %w: tensor<13xf32>) -> tensor<5x13xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<5x13xf32>, tensor<13xf32> -> tensor<5x13xf32>
  return %y : tensor<5x13xf32>
}
// CHECK: rms_w13: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: rms_w13: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: rms_w13: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// 16 lanes a row, 8 rows a block: two blocks, the second with one row
func.func @rms_w64(%x: tensor<9x64xf32>, %w: tensor<64xf32>) -> tensor<9x64xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<9x64xf32>, tensor<64xf32> -> tensor<9x64xf32>
  return %y : tensor<9x64xf32>
}
// CHECK: rms_w64: {{.+}} rows=9/9: rel err = {{.+}} PASS
// CHECK: rms_w64: {{.+}} rows=6/9: rel err = {{.+}} PASS
// CHECK: rms_w64: {{.+}} rows=1/9: rel err = {{.+}} PASS

// -----

// 40 pieces: two warps a row, two rows a block, their sums through shared memory
func.func @rms_w160(%x: tensor<3x160xf32>, %w: tensor<160xf32>) -> tensor<3x160xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<3x160xf32>, tensor<160xf32> -> tensor<3x160xf32>
  return %y : tensor<3x160xf32>
}
// CHECK: rms_w160: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: rms_w160: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: rms_w160: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// 16 warps a row, three rounds (the last checked), the row in registers
func.func @rms_w4100(%x: tensor<3x4100xf32>, %w: tensor<4100xf32>) -> tensor<3x4100xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<3x4100xf32>, tensor<4100xf32> -> tensor<3x4100xf32>
  return %y : tensor<3x4100xf32>
}
// CHECK: rms_w4100: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: rms_w4100: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: rms_w4100: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// one row of 2048 (decode): 512 threads, one round
func.func @rms_w2048_decode(%x: tensor<1x2048xf32>, %w: tensor<2048xf32>) -> tensor<1x2048xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-05 : f64} : tensor<1x2048xf32>, tensor<2048xf32> -> tensor<1x2048xf32>
  return %y : tensor<1x2048xf32>
}
// CHECK: rms_w2048_decode: {{.+}} rows=1/1: rel err = {{.+}} PASS

// -----

// 9001 pieces of 2: past 8 rounds, the row read twice (a loop of batches)
// SIM: rows=2,1
func.func @rms_w18002(%x: tensor<2x18002xf32>, %w: tensor<18002xf32>) -> tensor<2x18002xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<2x18002xf32>, tensor<18002xf32> -> tensor<2x18002xf32>
  return %y : tensor<2x18002xf32>
}
// CHECK: rms_w18002: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: rms_w18002: {{.+}} rows=1/2: rel err = {{.+}} PASS

// -----

// head_dim 32: 8 lanes a head, 4 heads a row, 4 rows a block
func.func @gated_d32(%o: tensor<5x128xf32>, %w: tensor<32xf32>, %g: tensor<5x128xf32>) -> tensor<5x128xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<5x128xf32>, tensor<32xf32>, tensor<5x128xf32> -> tensor<5x128xf32>
  return %y : tensor<5x128xf32>
}
// CHECK: gated_d32: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: gated_d32: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: gated_d32: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// the same without the gate
func.func @gated_d32_nogate(%o: tensor<5x128xf32>, %w: tensor<32xf32>) -> tensor<5x128xf32> {
  %y = retention.gated_head_norm %o, %w {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<5x128xf32>, tensor<32xf32> -> tensor<5x128xf32>
  return %y : tensor<5x128xf32>
}
// CHECK: gated_d32_nogate: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: gated_d32_nogate: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: gated_d32_nogate: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// head_dim 48: 12 pieces on 16 lanes (4 idle), 3 heads: 48 threads a row, two rows a block
func.func @gated_d48(%o: tensor<3x144xf32>, %w: tensor<48xf32>, %g: tensor<3x144xf32>) -> tensor<3x144xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 48 : i64, eps = 1.0e-06 : f64} : tensor<3x144xf32>, tensor<48xf32>, tensor<3x144xf32> -> tensor<3x144xf32>
  return %y : tensor<3x144xf32>
}
// CHECK: gated_d48: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: gated_d48: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: gated_d48: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// head_dim 6: pieces of 2, 3 on 4 lanes
func.func @gated_d6_nogate(%o: tensor<4x12xf32>, %w: tensor<6xf32>) -> tensor<4x12xf32> {
  %y = retention.gated_head_norm %o, %w {head_dim = 6 : i64, eps = 1.0e-06 : f64} : tensor<4x12xf32>, tensor<6xf32> -> tensor<4x12xf32>
  return %y : tensor<4x12xf32>
}
// CHECK: gated_d6_nogate: {{.+}} rows=4/4: rel err = {{.+}} PASS
// CHECK: gated_d6_nogate: {{.+}} rows=2/4: rel err = {{.+}} PASS
// CHECK: gated_d6_nogate: {{.+}} rows=1/4: rel err = {{.+}} PASS

// -----

// head_dim 5: pieces of 1 on 8 lanes
func.func @gated_d5(%o: tensor<3x15xf32>, %w: tensor<5xf32>, %g: tensor<3x15xf32>) -> tensor<3x15xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 5 : i64, eps = 1.0e-06 : f64} : tensor<3x15xf32>, tensor<5xf32>, tensor<3x15xf32> -> tensor<3x15xf32>
  return %y : tensor<3x15xf32>
}
// CHECK: gated_d5: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: gated_d5: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: gated_d5: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// head_dim 100: 25 pieces on 32 lanes
func.func @gated_d100(%o: tensor<2x300xf32>, %w: tensor<100xf32>, %g: tensor<2x300xf32>) -> tensor<2x300xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 100 : i64, eps = 1.0e-06 : f64} : tensor<2x300xf32>, tensor<100xf32>, tensor<2x300xf32> -> tensor<2x300xf32>
  return %y : tensor<2x300xf32>
}
// CHECK: gated_d100: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: gated_d100: {{.+}} rows=1/2: rel err = {{.+}} PASS

// -----

// head_dim 160: 40 pieces, two a lane (the second checked)
func.func @gated_d160(%o: tensor<2x320xf32>, %w: tensor<160xf32>) -> tensor<2x320xf32> {
  %y = retention.gated_head_norm %o, %w {head_dim = 160 : i64, eps = 1.0e-06 : f64} : tensor<2x320xf32>, tensor<160xf32> -> tensor<2x320xf32>
  return %y : tensor<2x320xf32>
}
// CHECK: gated_d160: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: gated_d160: {{.+}} rows=1/2: rel err = {{.+}} PASS

// -----

// head_dim 256: two pieces a lane, 16 groups a row for 40 heads: three rounds, the last checked
// SIM: rows=2,1
func.func @gated_d256(%o: tensor<2x10240xf32>, %w: tensor<256xf32>, %g: tensor<2x10240xf32>) -> tensor<2x10240xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 256 : i64, eps = 1.0e-06 : f64} : tensor<2x10240xf32>, tensor<256xf32>, tensor<2x10240xf32> -> tensor<2x10240xf32>
  return %y : tensor<2x10240xf32>
}
// CHECK: gated_d256: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: gated_d256: {{.+}} rows=1/2: rel err = {{.+}} PASS

// -----

// 140 heads of 128: 16 groups, 9 rounds (a loop of batches)
// SIM: rows=2,1
func.func @gated_d128_h140(%o: tensor<2x17920xf32>, %w: tensor<128xf32>, %g: tensor<2x17920xf32>) -> tensor<2x17920xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 128 : i64, eps = 1.0e-06 : f64} : tensor<2x17920xf32>, tensor<128xf32>, tensor<2x17920xf32> -> tensor<2x17920xf32>
  return %y : tensor<2x17920xf32>
}
// CHECK: gated_d128_h140: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: gated_d128_h140: {{.+}} rows=1/2: rel err = {{.+}} PASS
