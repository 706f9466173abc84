// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/graph_kernels_check.py %t.mlir %s | FileCheck %s
// A planted bug must fail: the rows check `row < rows` made `row <= rows`
// (the only comparison with a parameter), so that the row at `rows` is read.
// RUN: sed -E 's/("arith.cmpi"\(%[0-9]+, %arg[0-9]+\)) <\{predicate = 2/\1 <{predicate = 3/' %t.mlir | not %python %testlib/graph_kernels_check.py - %s | FileCheck %s --check-prefix=BUG
// BUG: add_w100: add 7x100 rows=7/7: FAIL: out-of-bounds load
// BUG: add_w100: add 7x100 rows=1/7: FAIL: thread {{[0-9]+}} read an element it must not: [1, 0]
//
// The kernels of add, swiglu, embedding and repeat_heads
// (codegen/gpu/GraphKernels.h) as convert-retention-to-gpu emits them, run by
// test/lib/simt_sim.py (every thread of every block in lockstep) through
// graph_kernels_check.py on fresh random inputs against a float64 reference,
// for all the rows, two thirds of them and one (rows past `rows` NaN, never
// to be read, and never written): pieces of 4, 2 and 1 elements, narrow rows
// packed into a block, checked last rounds and the loop over batches of
// rounds. Not timing, not the NVVM lowering.

// 25 pieces of 4 a row: 32 threads a row, 4 rows a block (two blocks for 7 rows)
func.func @add_w100(%a: tensor<7x100xf32>, %b: tensor<7x100xf32>) -> tensor<7x100xf32> {
  %y = retention.add %a, %b : tensor<7x100xf32>, tensor<7x100xf32> -> tensor<7x100xf32>
  return %y : tensor<7x100xf32>
}
// CHECK: add_w100: {{.+}} rows=7/7: rel err = {{.+}} PASS
// CHECK: add_w100: {{.+}} rows=4/7: rel err = {{.+}} PASS
// CHECK: add_w100: {{.+}} rows=1/7: rel err = {{.+}} PASS

// -----

// an odd width: pieces of 1, 16 threads a row
func.func @add_w13(%a: tensor<5x13xf32>, %b: tensor<5x13xf32>) -> tensor<5x13xf32> {
  %y = retention.add %a, %b : tensor<5x13xf32>, tensor<5x13xf32> -> tensor<5x13xf32>
  return %y : tensor<5x13xf32>
}
// CHECK: add_w13: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: add_w13: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: add_w13: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// 1025 pieces: 512 threads a row, the third round checked
func.func @add_w4100(%a: tensor<3x4100xf32>, %b: tensor<3x4100xf32>) -> tensor<3x4100xf32> {
  %y = retention.add %a, %b : tensor<3x4100xf32>, tensor<3x4100xf32> -> tensor<3x4100xf32>
  return %y : tensor<3x4100xf32>
}
// CHECK: add_w4100: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: add_w4100: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: add_w4100: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// 9001 pieces of 2: a loop of 4 batches of 4 rounds, a round and the checked one
// SIM: rows=2,1
func.func @add_w18002(%a: tensor<2x18002xf32>, %b: tensor<2x18002xf32>) -> tensor<2x18002xf32> {
  %y = retention.add %a, %b : tensor<2x18002xf32>, tensor<2x18002xf32> -> tensor<2x18002xf32>
  return %y : tensor<2x18002xf32>
}
// CHECK: add_w18002: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: add_w18002: {{.+}} rows=1/2: rel err = {{.+}} PASS

// -----

// 125 pieces of 2: 128 threads a row
func.func @swiglu_w250(%g: tensor<6x250xf32>, %u: tensor<6x250xf32>) -> tensor<6x250xf32> {
  %y = retention.swiglu %g, %u : tensor<6x250xf32>, tensor<6x250xf32> -> tensor<6x250xf32>
  return %y : tensor<6x250xf32>
}
// CHECK: swiglu_w250: {{.+}} rows=6/6: rel err = {{.+}} PASS
// CHECK: swiglu_w250: {{.+}} rows=4/6: rel err = {{.+}} PASS
// CHECK: swiglu_w250: {{.+}} rows=1/6: rel err = {{.+}} PASS

// -----

// one row (decode): a block of 16 threads
func.func @swiglu_w64_decode(%g: tensor<1x64xf32>, %u: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %y = retention.swiglu %g, %u : tensor<1x64xf32>, tensor<1x64xf32> -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
// CHECK: swiglu_w64_decode: {{.+}} rows=1/1: rel err = {{.+}} PASS

// -----

// 250 pieces of 4: 256 threads a row
func.func @swiglu_w1000(%g: tensor<5x1000xf32>, %u: tensor<5x1000xf32>) -> tensor<5x1000xf32> {
  %y = retention.swiglu %g, %u : tensor<5x1000xf32>, tensor<5x1000xf32> -> tensor<5x1000xf32>
  return %y : tensor<5x1000xf32>
}
// CHECK: swiglu_w1000: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: swiglu_w1000: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: swiglu_w1000: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// 9 pieces of 4: 16 threads a row, 5 rows a block
func.func @embedding_d36(%tokens: tensor<5xi32>, %table: tensor<50x36xf32>) -> tensor<5x36xf32> {
  %y = retention.embedding %tokens, %table : tensor<5xi32>, tensor<50x36xf32> -> tensor<5x36xf32>
  return %y : tensor<5x36xf32>
}
// CHECK: embedding_d36: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: embedding_d36: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: embedding_d36: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// an odd width: pieces of 1
func.func @embedding_d7(%tokens: tensor<3xi32>, %table: tensor<20x7xf32>) -> tensor<3x7xf32> {
  %y = retention.embedding %tokens, %table : tensor<3xi32>, tensor<20x7xf32> -> tensor<3x7xf32>
  return %y : tensor<3x7xf32>
}
// CHECK: embedding_d7: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: embedding_d7: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: embedding_d7: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// 512 threads a row, one round
func.func @embedding_d2048(%tokens: tensor<2xi32>, %table: tensor<10x2048xf32>) -> tensor<2x2048xf32> {
  %y = retention.embedding %tokens, %table : tensor<2xi32>, tensor<10x2048xf32> -> tensor<2x2048xf32>
  return %y : tensor<2x2048xf32>
}
// CHECK: embedding_d2048: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: embedding_d2048: {{.+}} rows=1/2: rel err = {{.+}} PASS

// -----

// GQA groups 2, head_dim 12: 6 pieces of 4 read, each stored twice
func.func @repeat_g2_d12(%x: tensor<5x24xf32>) -> tensor<5x48xf32> {
  %y = retention.repeat_heads %x {head_dim = 12 : i64, groups = 2 : i64} : tensor<5x24xf32> -> tensor<5x48xf32>
  return %y : tensor<5x48xf32>
}
// CHECK: repeat_g2_d12: {{.+}} rows=5/5: rel err = {{.+}} PASS
// CHECK: repeat_g2_d12: {{.+}} rows=3/5: rel err = {{.+}} PASS
// CHECK: repeat_g2_d12: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

// groups 4, head_dim 6: pieces of 2
func.func @repeat_g4_d6(%x: tensor<4x18xf32>) -> tensor<4x72xf32> {
  %y = retention.repeat_heads %x {head_dim = 6 : i64, groups = 4 : i64} : tensor<4x18xf32> -> tensor<4x72xf32>
  return %y : tensor<4x72xf32>
}
// CHECK: repeat_g4_d6: {{.+}} rows=4/4: rel err = {{.+}} PASS
// CHECK: repeat_g4_d6: {{.+}} rows=2/4: rel err = {{.+}} PASS
// CHECK: repeat_g4_d6: {{.+}} rows=1/4: rel err = {{.+}} PASS

// -----

// groups 4, head_dim 5: pieces of 1
func.func @repeat_g4_d5(%x: tensor<3x10xf32>) -> tensor<3x40xf32> {
  %y = retention.repeat_heads %x {head_dim = 5 : i64, groups = 4 : i64} : tensor<3x10xf32> -> tensor<3x40xf32>
  return %y : tensor<3x40xf32>
}
// CHECK: repeat_g4_d5: {{.+}} rows=3/3: rel err = {{.+}} PASS
// CHECK: repeat_g4_d5: {{.+}} rows=2/3: rel err = {{.+}} PASS
// CHECK: repeat_g4_d5: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

// groups 2, 8 heads of 128
func.func @repeat_g2_d128(%x: tensor<2x1024xf32>) -> tensor<2x2048xf32> {
  %y = retention.repeat_heads %x {head_dim = 128 : i64, groups = 2 : i64} : tensor<2x1024xf32> -> tensor<2x2048xf32>
  return %y : tensor<2x2048xf32>
}
// CHECK: repeat_g2_d128: {{.+}} rows=2/2: rel err = {{.+}} PASS
// CHECK: repeat_g2_d128: {{.+}} rows=1/2: rel err = {{.+}} PASS
