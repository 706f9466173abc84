// RUN: retc-opt %s --split-input-file --retention-fuse-elementwise | FileCheck %s
// retention-fuse-elementwise: add(h, linear) -> linear residual h (either
// operand order), swiglu(linear(x), linear(x)) -> swiglu_linear; a linear
// with another use, one that already has a residual, or two linears of
// different inputs stay as they are.

// CHECK-LABEL: func.func @residual_rhs
// CHECK-SAME: (%[[H:[^:]+]]: tensor<?x64xf32>, %[[X:[^:]+]]: tensor<?x128xf32>, %[[W:[^:]+]]: tensor<64x128xf32>)
// CHECK-NEXT: %[[Y:.+]] = retention.linear %[[X]], %[[W]] residual %[[H]] : tensor<?x128xf32>, tensor<64x128xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: retention.add
func.func @residual_rhs(%h: tensor<?x64xf32>, %x: tensor<?x128xf32>, %w: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %d = retention.linear %x, %w : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %y = retention.add %h, %d : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @residual_lhs
// CHECK-SAME: (%[[H:[^:]+]]: tensor<?x64xf32>, %[[X:[^:]+]]: tensor<?x128xf32>, %[[W:[^:]+]]: tensor<64x128xf32>)
// CHECK-NEXT: %[[Y:.+]] = retention.linear %[[X]], %[[W]] residual %[[H]] : tensor<?x128xf32>, tensor<64x128xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @residual_lhs(%h: tensor<?x64xf32>, %x: tensor<?x128xf32>, %w: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %d = retention.linear %x, %w : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %y = retention.add %d, %h : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Static T: the fused op keeps the add's result type.
// CHECK-LABEL: func.func @residual_static
// CHECK-NEXT: %[[Y:.+]] = retention.linear %arg1, %arg2 residual %arg0 : tensor<3x128xf32>, tensor<64x128xf32>, tensor<3x64xf32> -> tensor<3x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @residual_static(%h: tensor<3x64xf32>, %x: tensor<3x128xf32>, %w: tensor<64x128xf32>) -> tensor<3x64xf32> {
  %d = retention.linear %x, %w : tensor<3x128xf32>, tensor<64x128xf32> -> tensor<3x64xf32>
  %y = retention.add %h, %d : tensor<3x64xf32>, tensor<3x64xf32> -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

// -----

// The FFN of a block: both patterns, as in the pass description.
// CHECK-LABEL: func.func @ffn
// CHECK-SAME: (%[[H:[^:]+]]: tensor<?x64xf32>, %[[X:[^:]+]]: tensor<?x64xf32>, %[[WG:[^:]+]]: tensor<256x64xf32>, %[[WU:[^:]+]]: tensor<256x64xf32>, %[[WD:[^:]+]]: tensor<64x256xf32>)
// CHECK-NEXT: %[[F:.+]] = retention.swiglu_linear %[[X]], %[[WG]], %[[WU]] : tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
// CHECK-NEXT: %[[Y:.+]] = retention.linear %[[F]], %[[WD]] residual %[[H]] : tensor<?x256xf32>, tensor<64x256xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK-NEXT: return %[[Y]]
// CHECK-NOT: retention.swiglu %
// CHECK-NOT: retention.add
func.func @ffn(%h: tensor<?x64xf32>, %x: tensor<?x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>, %wd: tensor<64x256xf32>) -> tensor<?x64xf32> {
  %g = retention.linear %x, %wg : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %u = retention.linear %x, %wu : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %f = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
  %d = retention.linear %f, %wd : tensor<?x256xf32>, tensor<64x256xf32> -> tensor<?x64xf32>
  %y = retention.add %h, %d : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// The gate is the swiglu's first operand: the weights keep their roles
// whatever order the two linears were written in.
// CHECK-LABEL: func.func @swiglu_order
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x64xf32>, %[[WG:[^:]+]]: tensor<256x64xf32>, %[[WU:[^:]+]]: tensor<256x64xf32>)
// CHECK-NEXT: retention.swiglu_linear %[[X]], %[[WG]], %[[WU]]
func.func @swiglu_order(%x: tensor<?x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) -> tensor<?x256xf32> {
  %u = retention.linear %x, %wu : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %g = retention.linear %x, %wg : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %f = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
  return %f : tensor<?x256xf32>
}

// -----

// The linear has a second use: computing it in the add's epilogue would
// lose the value the other user needs.
// CHECK-LABEL: func.func @residual_linear_two_uses
// CHECK: %[[D:.+]] = retention.linear %{{.+}}, %{{.+}} : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
// CHECK-NOT: residual
// CHECK: %[[Y:.+]] = retention.add %{{.+}}, %[[D]]
// CHECK: return %[[Y]], %[[D]]
func.func @residual_linear_two_uses(%h: tensor<?x64xf32>, %x: tensor<?x128xf32>, %w: tensor<64x128xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %d = retention.linear %x, %w : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %y = retention.add %h, %d : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y, %d : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// add(d, d): the linear's one value is used twice by the add.
// CHECK-LABEL: func.func @residual_self
// CHECK: %[[D:.+]] = retention.linear
// CHECK-NOT: residual
// CHECK: retention.add %[[D]], %[[D]]
func.func @residual_self(%x: tensor<?x128xf32>, %w: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %d = retention.linear %x, %w : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %y = retention.add %d, %d : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A linear that already has a residual keeps it; the add stays.
// CHECK-LABEL: func.func @residual_already
// CHECK-SAME: (%[[H:[^:]+]]: tensor<?x64xf32>, %[[H2:[^:]+]]: tensor<?x64xf32>, %[[X:[^:]+]]: tensor<?x128xf32>, %[[W:[^:]+]]: tensor<64x128xf32>)
// CHECK-NEXT: %[[D:.+]] = retention.linear %[[X]], %[[W]] residual %[[H]] :
// CHECK-NEXT: %[[Y:.+]] = retention.add %[[H2]], %[[D]] :
// CHECK-NEXT: return %[[Y]]
func.func @residual_already(%h: tensor<?x64xf32>, %h2: tensor<?x64xf32>, %x: tensor<?x128xf32>, %w: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %d = retention.linear %x, %w residual %h : tensor<?x128xf32>, tensor<64x128xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  %y = retention.add %h2, %d : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// The two projections read different inputs: no single pass over one x.
// CHECK-LABEL: func.func @swiglu_different_inputs
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x64xf32>, %[[X2:[^:]+]]: tensor<?x64xf32>,
// CHECK-NOT: swiglu_linear
// CHECK: %[[G:.+]] = retention.linear %[[X]], %{{.+}} :
// CHECK: %[[U:.+]] = retention.linear %[[X2]], %{{.+}} :
// CHECK: retention.swiglu %[[G]], %[[U]] :
// CHECK-NOT: swiglu_linear
func.func @swiglu_different_inputs(%x: tensor<?x64xf32>, %x2: tensor<?x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) -> tensor<?x256xf32> {
  %g = retention.linear %x, %wg : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %u = retention.linear %x2, %wu : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %f = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
  return %f : tensor<?x256xf32>
}

// -----

// The gate projection is used again: it must stay a value of its own.
// CHECK-LABEL: func.func @swiglu_gate_two_uses
// CHECK-NOT: swiglu_linear
// CHECK: %[[G:.+]] = retention.linear
// CHECK: %[[U:.+]] = retention.linear
// CHECK: %[[F:.+]] = retention.swiglu %[[G]], %[[U]] :
// CHECK: return %[[F]], %[[G]]
func.func @swiglu_gate_two_uses(%x: tensor<?x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) -> (tensor<?x256xf32>, tensor<?x256xf32>) {
  %g = retention.linear %x, %wg : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %u = retention.linear %x, %wu : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %f = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
  return %f, %g : tensor<?x256xf32>, tensor<?x256xf32>
}

// -----

// swiglu(g, g) of one linear: nothing to fuse into two projections.
// CHECK-LABEL: func.func @swiglu_same_linear
// CHECK-NOT: swiglu_linear
// CHECK: %[[G:.+]] = retention.linear
// CHECK: retention.swiglu %[[G]], %[[G]] :
func.func @swiglu_same_linear(%x: tensor<?x64xf32>, %wg: tensor<256x64xf32>) -> tensor<?x256xf32> {
  %g = retention.linear %x, %wg : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %f = retention.swiglu %g, %g : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
  return %f : tensor<?x256xf32>
}

// -----

// One operand is not a projection: the swiglu stays; an add of two
// activations that are not projections stays.
// CHECK-LABEL: func.func @not_linear
// CHECK-NOT: swiglu_linear
// CHECK-NOT: residual
// CHECK: retention.swiglu
// CHECK: retention.add
func.func @not_linear(%x: tensor<?x64xf32>, %u: tensor<?x256xf32>, %wg: tensor<256x64xf32>, %a: tensor<?x64xf32>) -> (tensor<?x256xf32>, tensor<?x64xf32>) {
  %g = retention.linear %x, %wg : tensor<?x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %f = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
  %y = retention.add %a, %x : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %f, %y : tensor<?x256xf32>, tensor<?x64xf32>
}

// -----

// add(linear a, linear b): one of them takes the add as its residual (the
// right operand is tried first), the other stays a plain projection.
// CHECK-LABEL: func.func @residual_two_linears
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x128xf32>, %[[W:[^:]+]]: tensor<64x128xf32>, %[[X2:[^:]+]]: tensor<?x128xf32>)
// CHECK-NEXT: %[[A:.+]] = retention.linear %[[X]], %[[W]] : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
// CHECK-NEXT: %[[Y:.+]] = retention.linear %[[X2]], %[[W]] residual %[[A]] :
// CHECK-NEXT: return %[[Y]]
func.func @residual_two_linears(%x: tensor<?x128xf32>, %w: tensor<64x128xf32>, %x2: tensor<?x128xf32>) -> tensor<?x64xf32> {
  %a = retention.linear %x, %w : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %b = retention.linear %x2, %w : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %y = retention.add %a, %b : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
