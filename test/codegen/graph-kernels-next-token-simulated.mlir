// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/graph_kernels_check.py %t.mlir %s | FileCheck %s
// Planted bugs must fail: an equal value never preferred (the tie rule's
// `equal` always false), and NaN taken as the largest (an ordered
// greater-than made unordered).
// RUN: sed -E 's/"arith.cmpf"\((%[0-9#]+), (%[0-9#]+)\) <\{fastmath = #arith.fastmath<none>, predicate = 1 : i64\}>/"arith.cmpf"(\1, \2) <{fastmath = #arith.fastmath<none>, predicate = 0 : i64}>/' %t.mlir | not %python %testlib/graph_kernels_check.py - %s | FileCheck %s --check-prefix=TIES
// TIES: FAIL: row 1 chose
// RUN: sed -E 's/"arith.cmpf"\((%[0-9#]+), (%[0-9#]+)\) <\{fastmath = #arith.fastmath<none>, predicate = 2 : i64\}>/"arith.cmpf"(\1, \2) <{fastmath = #arith.fastmath<none>, predicate = 9 : i64}>/' %t.mlir | not %python %testlib/graph_kernels_check.py - %s | FileCheck %s --check-prefix=NAN
// NAN: FAIL: row 2 chose
//
// The next_token kernel (codegen/gpu/GraphKernels.h: greedy decoding on
// the device) as convert-retention-to-gpu emits it, run by
// test/lib/simt_sim.py through graph_kernels_check.py for all the rows, two
// thirds of them and one (rows past `rows` NaN, never read, their outputs
// never written). The logits plant the rule's cases: row 1 one value but
// for its first 4, smaller (every thread's best a tie; index 4 the lowest),
// row 2 NaNs among the values (skipped, one left of the largest), row 3 all
// NaN (token 0), row 4 all -inf (token 0, the first of equal values). The
// token and the next position must be the reference's exactly.

// A vocabulary of 1001: pieces of 1, 512 threads a row (16 warps).
func.func @next_v1001(%logits: tensor<5x1001xf32>, %pos: tensor<5xi64>) -> (tensor<5xi32>, tensor<5xi64>) {
  %t, %n = retention.next_token %logits, %pos : tensor<5x1001xf32>, tensor<5xi64> -> tensor<5xi32>, tensor<5xi64>
  return %t, %n : tensor<5xi32>, tensor<5xi64>
}
// CHECK: next_v1001: next_token 5x1001 rows=5/5: tokens {{.+}} PASS
// CHECK: next_v1001: next_token 5x1001 rows=3/5: tokens {{.+}} PASS
// CHECK: next_v1001: next_token 5x1001 rows=1/5: tokens {{.+}} PASS

// -----

// 100 logits in pieces of 4: 25 threads rounded to 32, one warp a row, 4
// rows a block.
func.func @next_v100(%logits: tensor<6x100xf32>, %pos: tensor<6xi64>) -> (tensor<6xi32>, tensor<6xi64>) {
  %t, %n = retention.next_token %logits, %pos : tensor<6x100xf32>, tensor<6xi64> -> tensor<6xi32>, tensor<6xi64>
  return %t, %n : tensor<6xi32>, tensor<6xi64>
}
// CHECK: next_v100: next_token 6x100 rows=6/6: tokens {{.+}} PASS
// CHECK: next_v100: next_token 6x100 rows=4/6: tokens {{.+}} PASS
// CHECK: next_v100: next_token 6x100 rows=1/6: tokens {{.+}} PASS

// -----

// The RetNet-1.3B vocabulary, one row (decode): 8000 pieces of 4 over 512
// threads, 16 rounds (a loop of batches).
// SIM: rows=1
func.func @next_v32000(%logits: tensor<1x32000xf32>, %pos: tensor<1xi64>) -> (tensor<1xi32>, tensor<1xi64>) {
  %t, %n = retention.next_token %logits, %pos : tensor<1x32000xf32>, tensor<1xi64> -> tensor<1xi32>, tensor<1xi64>
  return %t, %n : tensor<1xi32>, tensor<1xi64>
}
// CHECK: next_v32000: next_token 1x32000 rows=1/1: tokens {{.+}} PASS
