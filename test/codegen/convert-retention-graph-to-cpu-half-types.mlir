// RUN: not retc-opt %s --split-input-file --convert-retention-graph-to-cpu 2>&1 | FileCheck %s
// Half-typed graph ops (a bf16 or f16 model, GPU targets only) have no CPU
// lowering: each fails at the op, naming the type, and nothing is lowered.

// CHECK: convert-retention-graph-to-cpu-half-types.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.linear' op with 'bf16' operands has no CPU lowering yet (f32 only)
func.func @linear_weight(%x: tensor<?x16xf32>, %w: tensor<8x16xbf16>) -> tensor<?x8xf32> {
  %y = retention.linear %x, %w : tensor<?x16xf32>, tensor<8x16xbf16> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// CHECK: convert-retention-graph-to-cpu-half-types.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.rms_norm' op with 'f16' operands has no CPU lowering yet (f32 only)
func.func @rms_norm(%x: tensor<?x16xf32>, %w: tensor<16xf32>) -> tensor<?x16xf16> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf16>
  return %y : tensor<?x16xf16>
}

// -----

// CHECK: convert-retention-graph-to-cpu-half-types.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.embedding' op with 'bf16' operands has no CPU lowering yet (f32 only)
func.func @embedding(%tok: tensor<?xi32>, %table: tensor<10x16xbf16>) -> tensor<?x16xf32> {
  %h = retention.embedding %tok, %table : tensor<?xi32>, tensor<10x16xbf16> -> tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// -----

// CHECK: convert-retention-graph-to-cpu-half-types.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.linear' op with a fused norm has no CPU lowering (the GPU's gemv kernel takes it)
func.func @linear_norm(%x: tensor<?x16xf32>, %n: tensor<16xf32>, %w: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-06 : f64} : tensor<?x16xf32> norm tensor<16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// CHECK: convert-retention-graph-to-cpu-half-types.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.swiglu_linear' op with a fused norm has no CPU lowering (the GPU's gemv kernel takes it)
func.func @swiglu_linear_norm(%x: tensor<?x16xf32>, %n: tensor<16xf32>, %wg: tensor<8x16xf32>, %wu: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %y = retention.swiglu_linear %x norm %n, %wg, %wu {norm_eps = 1.0e-06 : f64} : tensor<?x16xf32> norm tensor<16xf32>, tensor<8x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// CHECK: convert-retention-graph-to-cpu-half-types.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.linear_group' op has no CPU lowering (the GPU's gemv kernel takes it; on the CPU each projection is its own loop nest)
func.func @linear_group(%x: tensor<?x16xf32>, %w0: tensor<8x16xf32>, %w1: tensor<4x16xf32>) -> (tensor<?x8xf32>, tensor<?x4xf32>) {
  %a, %b = retention.linear_group %x, %w0, %w1 : tensor<?x16xf32>, tensor<8x16xf32>, tensor<4x16xf32> -> tensor<?x8xf32>, tensor<?x4xf32>
  return %a, %b : tensor<?x8xf32>, tensor<?x4xf32>
}
