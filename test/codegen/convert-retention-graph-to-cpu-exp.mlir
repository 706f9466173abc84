// RUN: retc-opt %s --split-input-file --convert-retention-graph-to-cpu | FileCheck %s
// Post-condition of convert-retention-graph-to-cpu: the f32 exp of every
// swish is expanded into polynomials, so no math.exp (a libm call per lane
// after LLVM scalarizes it) is left.

// CHECK-LABEL: func.func @swiglu_vector
// CHECK: arith.negf %{{.+}} : vector<8xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @swiglu_vector(%g: tensor<?x16xf32>, %u: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %y = retention.swiglu %g, %u : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK-LABEL: func.func @swiglu_linear_scalar_epilogue
// CHECK: arith.negf %{{.+}} : f32
// CHECK-NOT: math.exp
// CHECK: return
func.func @swiglu_linear_scalar_epilogue(%x: tensor<?x16xf32>, %wg: tensor<4x16xf32>, %wu: tensor<4x16xf32>) -> tensor<?x4xf32> {
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<?x16xf32>, tensor<4x16xf32>, tensor<4x16xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// CHECK-LABEL: func.func @gated_head_norm_gate
// CHECK: arith.negf %{{.+}} : vector<8xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @gated_head_norm_gate(%o: tensor<?x32xf32>, %w: tensor<16xf32>, %g: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 16 : i64, eps = 1.0e-06 : f64} : tensor<?x32xf32>, tensor<16xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
