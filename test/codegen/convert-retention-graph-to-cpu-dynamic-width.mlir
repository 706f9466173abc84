// RUN: not retc-opt %s --split-input-file --convert-retention-graph-to-cpu 2>&1 | FileCheck %s
// The graph-op verifiers accept dynamic widths ("dynamic sizes match
// anything", RetentionGraphOps.cpp), but convert-retention-graph-to-cpu
// unrolls and bounds its loops by the static widths. An op whose width it
// needs is dynamic must fail with an error at the op, not be lowered.
//
// BUG: the pass reads the widths with getDimSize and uses
// ShapedType::kDynamic (INT64_MIN) as a size: loops run to
// -9223372036854775808, rms_norm divides by -9.22e18, the pass succeeds
// (exit 0) and retc-opt prints that code; for add/swiglu with a dynamic
// result width it builds a memref.alloc with too few dynamic sizes and
// only the verifier after the pass catches it ("'memref.alloc' op
// incorrect number of dynamic sizes, has 1, expected 2"), which names
// neither the graph op nor the cause.

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
