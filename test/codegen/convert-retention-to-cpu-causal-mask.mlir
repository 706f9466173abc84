// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s
// The causal mask selects (issue 13): the score tile's entries above the
// diagonal are selected to 0, not multiplied by the decay table's 0, and
// A V never reads them, so that a NaN or Inf in k or v at a later token (or
// in padding) cannot reach an earlier output (0 * Inf is NaN). Default
// microkernel: 8 lanes, 4 rows x 2 vectors; chunk 8 pads the tiles to 16.
// The numbers: test/numerics/causality-*.test.

// CHECK-LABEL: func.func @chunkwise
// Lane offsets jv W + l - r, one constant per accumulator: lane l of vector
// jv of row r is kept where its offset is at most n0 + delta - m0.
// CHECK-DAG: %[[OFF00:.+]] = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : vector<8xi32>
// CHECK-DAG: %[[OFF01:.+]] = arith.constant dense<[8, 9, 10, 11, 12, 13, 14, 15]> : vector<8xi32>
// CHECK-DAG: %[[OFF30:.+]] = arith.constant dense<[-3, -2, -1, 0, 1, 2, 3, 4]> : vector<8xi32>
// A score block: its reach, clamped to the block, as an i32 vector.
// CHECK: %[[CLAMPED:.+]] = arith.minsi %{{.+}}, %c16{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[REACH:.+]] = arith.index_cast %[[CLAMPED]] : index to i32
// CHECK-NEXT: %[[REACHV:.+]] = vector.broadcast %[[REACH]] : i32 to vector<8xi32>
// CHECK: %[[SCALED:.+]] = arith.mulf %{{.+}}, %{{.+}} : vector<8xf32>
// CHECK-NEXT: %[[KEEP:.+]] = arith.cmpi sle, %[[OFF00]], %[[REACHV]] : vector<8xi32>
// CHECK-NEXT: %[[MASKED:.+]] = arith.select %[[KEEP]], %[[SCALED]], %{{.+}} : vector<8xi1>, vector<8xf32>
// CHECK: vector.store %[[MASKED]], %{{.+}} : memref<16x16xf32>, vector<8xf32>
// CHECK: arith.cmpi sle, %[[OFF01]], %[[REACHV]] : vector<8xi32>
// CHECK: arith.cmpi sle, %[[OFF30]], %[[REACHV]] : vector<8xi32>
// A V: the microkernel over the columns every row of the block sees,
// [0, min(n0 + delta + 1, pEnd)) ...
// CHECK: %[[PEND:.+]] = arith.minsi %{{.+}}, %{{.+}} : index
// CHECK: %[[DIAG:.+]] = arith.addi %{{.+}}, %{{.+}} : index
// CHECK: %[[AFTER:.+]] = arith.addi %[[DIAG]], %c1{{(_[0-9]+)?}} : index
// CHECK-NEXT: %[[SHARED:.+]] = arith.minsi %[[AFTER]], %[[PEND]] : index
// CHECK: %[[AV:.+]]:8 = scf.for %{{.+}} = %{{.+}} to %[[SHARED]] step
// ... then the triangle past them, unrolled: row 0 takes none of its
// columns, so its first FMA updates row 1's accumulators.
// CHECK: %[[IN:.+]] = arith.cmpi slt, %[[SHARED]], %{{.+}} : index
// CHECK-NEXT: scf.if %[[IN]] -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK-NOT: %[[AV]]#0
// CHECK: vector.fma %{{.+}}, %{{.+}}, %[[AV]]#2 : vector<8xf32>
// CHECK: scf.yield %[[AV]]#0, %[[AV]]#1, %{{.+}}
// CHECK-NEXT: } else {
// CHECK-NEXT: scf.yield %[[AV]]#0, %[[AV]]#1, %[[AV]]#2, %[[AV]]#3, %[[AV]]#4, %[[AV]]#5, %[[AV]]#6, %[[AV]]#7
func.func @chunkwise(%q: tensor<1x20x1x8xf32>, %k: tensor<1x20x1x8xf32>, %v: tensor<1x20x1x8xf32>) -> (tensor<1x20x1x8xf32>, tensor<1x1x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<1x20x1x8xf32>, tensor<1x20x1x8xf32>, tensor<1x20x1x8xf32> -> tensor<1x20x1x8xf32>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x20x1x8xf32>, tensor<1x1x8x8xf32>
}
