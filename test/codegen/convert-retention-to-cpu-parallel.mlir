// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s
// RUN: retc-opt %s --convert-retention-to-cpu --canonicalize --cse | FileCheck %s --check-prefix=LOOPS
// RUN: retc-opt %s --convert-retention-to-cpu=parallel-tile=32 --canonicalize --cse | FileCheck %s --check-prefix=TILE32
// The parallel form: per (batch, head), query tiles of parallel-tile tokens
// (default 64), and for each the key tiles up to it (causal); the initial
// state enters through Q S0, scaled by s gamma^(n+1).

// Paper decay with H = 2: log2(1 - 1/32), log2(1 - 1/512).
// CHECK: memref.global "private" constant @[[G:__retention_log2_gamma]] : memref<2xf32> = dense<[-0.0458036885, -0.00282051903]>
// CHECK-LABEL: func.func @parallel
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x100x2x8xf32>, %[[S0:[^:]+]]: tensor<2x2x8x8xf32>)
// CHECK: %[[QB:.+]] = bufferization.to_buffer %[[Q]] read_only
// CHECK: %[[S0B:.+]] = bufferization.to_buffer %[[S0]] read_only : tensor<2x2x8x8xf32> to memref<2x2x8x8xf32>
// CHECK: %[[OB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2x100x2x8xf32>
// CHECK: %[[SB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2x2x8x8xf32>
// CHECK: scf.parallel (%[[B:[^,]+]], %[[H:[^)]+]]) =
// CHECK: memref.get_global @[[G]] : memref<2xf32>
// The explicit scale is a constant of the task.
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: vector.transfer_read %[[S0B]][%[[B]], %[[H]], %{{.+}}, %{{.+}}]
// CHECK: math.exp2
// CHECK: vector.fma {{.+}} : vector<8xf32>
// CHECK: bufferization.to_tensor %[[OB]] restrict
// CHECK: bufferization.to_tensor %[[SB]] restrict
// CHECK-NOT: retention.

// LOOPS-DAG: %[[C0:.+]] = arith.constant 0 : index
// LOOPS-DAG: %[[T:.+]] = arith.constant 100 : index
// LOOPS-DAG: %[[TILE:.+]] = arith.constant 64 : index
// LOOPS: scf.parallel
// LOOPS: scf.for %[[T0:.+]] = %[[C0]] to %[[T]] step %[[TILE]] {
// Key tiles run up to the query tile (inclusive): a bound of t0 + 1.
// LOOPS: %[[END:[0-9]+]] = arith.addi %[[T0]], %c1 : index
// LOOPS: scf.for %{{[^ ]+}} = %[[C0]] to %[[END]] step %[[TILE]] {
// LOOPS: vector.fma

// Scratch tiles are 32 x 32 (the score tile) instead of 64 x 64.
// TILE32: %[[TILE:.+]] = arith.constant 32 : index
// TILE32: memref.alloc() {alignment = 64 : i64} : memref<32x32xf32>
// TILE32-NOT: memref<64x{{[0-9]}}
// TILE32: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %[[TILE]] {
// TILE32-NOT: memref<64x{{[0-9]}}
func.func @parallel(%q: tensor<2x100x2x8xf32>, %s0: tensor<2x2x8x8xf32>) -> (tensor<2x100x2x8xf32>, tensor<2x2x8x8xf32>) {
  %o, %s = retention.parallel %q, %q, %q initial %s0 {decay = #retention.decay<paper>, scale = 0.5 : f64}
      : tensor<2x100x2x8xf32>, tensor<2x100x2x8xf32>, tensor<2x100x2x8xf32>, tensor<2x2x8x8xf32> -> tensor<2x100x2x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x100x2x8xf32>, tensor<2x2x8x8xf32>
}
