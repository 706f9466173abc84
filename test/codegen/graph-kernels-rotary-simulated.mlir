// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/graph_kernels_check.py %t.mlir %s | FileCheck %s
// Planted bugs must fail: the interleaved layout's rotated pairs put back
// swapped, inv_freq[0] 1.01 instead of 1, and every row's position read
// from the block's first row (%9 is the block index, 0 here).
// RUN: sed -E 's/"vector.interleave"\((%[0-9#]+), (%[0-9#]+)\)/"vector.interleave"(\2, \1)/' %t.mlir | not %python %testlib/graph_kernels_check.py - %s | FileCheck %s --check-prefix=INTERLEAVE
// INTERLEAVE: rot_inter_d16: rotary 3x64 rows=3/3: rel err = {{.+}} FAIL
// RUN: sed 's/initial_value = dense<\[1.000000e+00,/initial_value = dense<[1.010000e+00,/' %t.mlir | not %python %testlib/graph_kernels_check.py - %s | FileCheck %s --check-prefix=TABLE
// TABLE: rot_half_d16: rotary 3x64 rows=3/3: rel err = {{.+}} FAIL
// RUN: sed -E 's/"memref.load"\(%arg1, %13\) <\{nontemporal = false\}> : \(memref<5xi64>/"memref.load"(%arg1, %9) <{nontemporal = false}> : (memref<5xi64>/' %t.mlir | not %python %testlib/graph_kernels_check.py - %s | FileCheck %s --check-prefix=POSITIONS
// POSITIONS: rot_half_d16_positions: rotary positions 5x64 rows=5/5: rel err = {{.+}} FAIL
//
// The rotary kernel (codegen/gpu/GraphKernels.h) as convert-retention-to-gpu
// emits it, run by test/lib/simt_sim.py through graph_kernels_check.py on
// fresh random inputs against a float64 reference, for all the rows, two
// thirds of them and one (rows past `rows` NaN, never to be read, and never
// written), at position 1000 unless a SIM line says otherwise: both layouts,
// pieces of 4, 2 and 1 pairs, heads strided over the row's groups (a loop
// past 8 rounds). Each line gives the error against the reference with the
// kernel's own angle (float(position + row) * f32 inv_freq) and against the
// exact angle, whose bound grows with the position (the angle's f32
// rounding). Not timing, not the NVVM lowering.

// head_dim 16: pieces of 4 pairs, 2 a head, 4 heads: 8 threads a row
func.func @rot_half_d16(%x: tensor<3x64xf32>, %pos: index) -> tensor<3x64xf32> {
  %y = retention.rotary %x at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<3x64xf32> -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}
// CHECK: rot_half_d16: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: rot_half_d16: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: rot_half_d16: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// interleaved: pieces of 4 elements (2 pairs)
func.func @rot_inter_d16(%x: tensor<3x64xf32>, %pos: index) -> tensor<3x64xf32> {
  %y = retention.rotary %x at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "interleaved"} : tensor<3x64xf32> -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}
// CHECK: rot_inter_d16: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: rot_inter_d16: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: rot_inter_d16: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// head_dim 12: pieces of 2 pairs
func.func @rot_half_d12(%x: tensor<5x48xf32>, %pos: index) -> tensor<5x48xf32> {
  %y = retention.rotary %x at %pos {head_dim = 12 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<5x48xf32> -> tensor<5x48xf32>
  return %y : tensor<5x48xf32>
}
// CHECK: rot_half_d12: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: rot_half_d12: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: rot_half_d12: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// head_dim 6: pieces of 1 pair (half = 3)
func.func @rot_half_d6(%x: tensor<4x18xf32>, %pos: index) -> tensor<4x18xf32> {
  %y = retention.rotary %x at %pos {head_dim = 6 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<4x18xf32> -> tensor<4x18xf32>
  return %y : tensor<4x18xf32>
}
// CHECK: rot_half_d6: {{.+}} rows=4/4: rel err = {{.+}} PASS
// CHECK: rot_half_d6: {{.+}} rows=2/4: rel err = {{.+}} PASS
// CHECK: rot_half_d6: {{.+}} rows=1/4: rel err = {{.+}} PASS

// -----

// interleaved head_dim 6: pieces of 2 elements
func.func @rot_inter_d6(%x: tensor<4x18xf32>, %pos: index) -> tensor<4x18xf32> {
  %y = retention.rotary %x at %pos {head_dim = 6 : i64, base = 1.0e+04 : f64, layout = "interleaved"} : tensor<4x18xf32> -> tensor<4x18xf32>
  return %y : tensor<4x18xf32>
}
// CHECK: rot_inter_d6: {{.+}} rows=4/4: rel err = {{.+}} PASS
// CHECK: rot_inter_d6: {{.+}} rows=2/4: rel err = {{.+}} PASS
// CHECK: rot_inter_d6: {{.+}} rows=1/4: rel err = {{.+}} PASS

// -----

// 32 heads of 128: 16 pieces a head, 16 groups, two heads a thread
func.func @rot_half_d128(%x: tensor<2x4096xf32>, %pos: index) -> tensor<2x4096xf32> {
  %y = retention.rotary %x at %pos {head_dim = 128 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<2x4096xf32> -> tensor<2x4096xf32>
  return %y : tensor<2x4096xf32>
}
// CHECK: rot_half_d128: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: rot_half_d128: {{.+}} rows=1/2: rel err = {{.+}} PASS

// -----

// interleaved, 40 heads of 128: 32 pieces, 8 groups, 5 rounds
func.func @rot_inter_d128_h40(%x: tensor<2x5120xf32>, %pos: index) -> tensor<2x5120xf32> {
  %y = retention.rotary %x at %pos {head_dim = 128 : i64, base = 1.0e+04 : f64, layout = "interleaved"} : tensor<2x5120xf32> -> tensor<2x5120xf32>
  return %y : tensor<2x5120xf32>
}
// CHECK: rot_inter_d128_h40: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: rot_inter_d128_h40: {{.+}} rows=1/2: rel err = {{.+}} PASS

// -----

// 300 heads of 64: 32 groups, 10 rounds (a loop of batches)
// SIM: rows=1
func.func @rot_half_d64_h300(%x: tensor<1x19200xf32>, %pos: index) -> tensor<1x19200xf32> {
  %y = retention.rotary %x at %pos {head_dim = 64 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<1x19200xf32> -> tensor<1x19200xf32>
  return %y : tensor<1x19200xf32>
}
// CHECK: rot_half_d64_h300: {{.+}} rows=1/1: rel err = {{.+}} PASS

// -----

// position 0
// SIM: position=0
func.func @rot_half_d16_p0(%x: tensor<5x32xf32>, %pos: index) -> tensor<5x32xf32> {
  %y = retention.rotary %x at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<5x32xf32> -> tensor<5x32xf32>
  return %y : tensor<5x32xf32>
}
// CHECK: rot_half_d16_p0: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: rot_half_d16_p0: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: rot_half_d16_p0: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// position 1000000, base 500000
// SIM: position=1000000
func.func @rot_half_d64_p1e6(%x: tensor<3x128xf32>, %pos: index) -> tensor<3x128xf32> {
  %y = retention.rotary %x at %pos {head_dim = 64 : i64, base = 5.0e+05 : f64, layout = "rotate_half"} : tensor<3x128xf32> -> tensor<3x128xf32>
  return %y : tensor<3x128xf32>
}
// CHECK: rot_half_d64_p1e6: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: rot_half_d64_p1e6: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: rot_half_d64_p1e6: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// Positions in memory, one a row (a decode step's, or rows of several
// sequences), each drawn from [0, 2000]: the kernel loads the row's.
func.func @rot_half_d16_positions(%x: tensor<5x64xf32>, %pos: tensor<5xi64>) -> tensor<5x64xf32> {
  %y = retention.rotary %x positions %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<5x64xf32>, tensor<5xi64> -> tensor<5x64xf32>
  return %y : tensor<5x64xf32>
}
// CHECK: rot_half_d16_positions: rotary positions 5x64 rows=5/5: rel err = {{.+}} PASS
// CHECK: rot_half_d16_positions: rotary positions 5x64 rows=3/5: rel err = {{.+}} PASS
// CHECK: rot_half_d16_positions: rotary positions 5x64 rows=1/5: rel err = {{.+}} PASS

// -----

// interleaved, pieces of 2 elements, positions in memory
func.func @rot_inter_d6_positions(%x: tensor<4x18xf32>, %pos: tensor<4xi64>) -> tensor<4x18xf32> {
  %y = retention.rotary %x positions %pos {head_dim = 6 : i64, base = 1.0e+04 : f64, layout = "interleaved"} : tensor<4x18xf32>, tensor<4xi64> -> tensor<4x18xf32>
  return %y : tensor<4x18xf32>
}
// CHECK: rot_inter_d6_positions: rotary positions 4x18 rows=4/4: rel err = {{.+}} PASS
// CHECK: rot_inter_d6_positions: rotary positions 4x18 rows=2/4: rel err = {{.+}} PASS
// CHECK: rot_inter_d6_positions: rotary positions 4x18 rows=1/4: rel err = {{.+}} PASS
