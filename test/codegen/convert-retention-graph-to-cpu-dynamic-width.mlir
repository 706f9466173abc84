// RUN: not retc-opt %s --split-input-file --convert-retention-graph-to-cpu 2>&1 | FileCheck %s
// The graph-op verifiers accept dynamic widths ("dynamic sizes match
// anything"), but the CPU lowering sizes registers and loops by the widths:
// an op with a dynamic width fails at the op, it is not lowered.

// CHECK: convert-retention-graph-to-cpu-dynamic-width.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.linear'
func.func @linear(%x: tensor<?x?xf32>, %w: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %y = retention.linear %x, %w : tensor<?x?xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// CHECK: convert-retention-graph-to-cpu-dynamic-width.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.rms_norm'
func.func @rms_norm(%x: tensor<?x?xf32>, %w: tensor<?xf32>) -> tensor<?x16xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<?x?xf32>, tensor<?xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK: convert-retention-graph-to-cpu-dynamic-width.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.add'
func.func @add(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = retention.add %a, %b : tensor<?x?xf32>, tensor<?x?xf32> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// CHECK: convert-retention-graph-to-cpu-dynamic-width.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'retention.rotary'
func.func @rotary(%q: tensor<?x?xf32>, %pos: index) -> tensor<?x32xf32> {
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x?xf32> -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// CHECK-NOT: -9223372036854775808
