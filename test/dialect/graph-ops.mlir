// RUN: retc-opt %s --split-input-file | retc-opt --split-input-file | FileCheck %s
// RUN: retc-opt %s --split-input-file --mlir-print-op-generic | retc-opt --split-input-file | FileCheck %s
// Round trip of every graph-level op of the model (RetentionGraphOps.td)
// through its custom assembly format, with a dynamic T (a model's entry
// points) and a static one; printing in the generic form and parsing it
// back gives the same ops.

// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[TOK:[^:]+]]: tensor<?xi32>, %[[TABLE:[^:]+]]: tensor<100x64xf32>, %[[TOK5:[^:]+]]: tensor<5xi32>)
// CHECK: %[[H:.+]] = retention.embedding %[[TOK]], %[[TABLE]] : tensor<?xi32>, tensor<100x64xf32> -> tensor<?x64xf32>
// CHECK: %[[H5:.+]] = retention.embedding %[[TOK5]], %[[TABLE]] : tensor<5xi32>, tensor<100x64xf32> -> tensor<5x64xf32>
// CHECK: return %[[H]], %[[H5]]
func.func @embedding(%tok: tensor<?xi32>, %table: tensor<100x64xf32>, %tok5: tensor<5xi32>) -> (tensor<?x64xf32>, tensor<5x64xf32>) {
  %h = retention.embedding %tok, %table : tensor<?xi32>, tensor<100x64xf32> -> tensor<?x64xf32>
  %h5 = retention.embedding %tok5, %table : tensor<5xi32>, tensor<100x64xf32> -> tensor<5x64xf32>
  return %h, %h5 : tensor<?x64xf32>, tensor<5x64xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x64xf32>, %[[W:[^:]+]]: tensor<64xf32>, %[[X3:[^:]+]]: tensor<3x64xf32>)
// CHECK: retention.rms_norm %[[X]], %[[W]] {eps = 9.9999999999999995E-7 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
// CHECK: retention.rms_norm %[[X3]], %[[W]] {eps = 1.000000e-05 : f64} : tensor<3x64xf32>, tensor<64xf32> -> tensor<3x64xf32>
func.func @rms_norm(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %x3: tensor<3x64xf32>) -> (tensor<?x64xf32>, tensor<3x64xf32>) {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %y3 = retention.rms_norm %x3, %w {eps = 1.0e-05 : f64} : tensor<3x64xf32>, tensor<64xf32> -> tensor<3x64xf32>
  return %y, %y3 : tensor<?x64xf32>, tensor<3x64xf32>
}

// -----

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x128xf32>, %[[W:[^:]+]]: tensor<64x128xf32>, %[[R:[^:]+]]: tensor<?x64xf32>, %[[X1:[^:]+]]: tensor<1x128xf32>, %[[R1:[^:]+]]: tensor<1x64xf32>)
// CHECK: %[[A:.+]] = retention.linear %[[X]], %[[W]] : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
// CHECK: %[[B:.+]] = retention.linear %[[X]], %[[W]] residual %[[R]] : tensor<?x128xf32>, tensor<64x128xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK: %[[C:.+]] = retention.linear %[[X1]], %[[W]] : tensor<1x128xf32>, tensor<64x128xf32> -> tensor<1x64xf32>
// CHECK: %[[D:.+]] = retention.linear %[[X1]], %[[W]] residual %[[R1]] : tensor<1x128xf32>, tensor<64x128xf32>, tensor<1x64xf32> -> tensor<1x64xf32>
// CHECK: return %[[A]], %[[B]], %[[C]], %[[D]]
func.func @linear(%x: tensor<?x128xf32>, %w: tensor<64x128xf32>, %r: tensor<?x64xf32>, %x1: tensor<1x128xf32>, %r1: tensor<1x64xf32>)
    -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>) {
  %a = retention.linear %x, %w : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x64xf32>
  %b = retention.linear %x, %w residual %r : tensor<?x128xf32>, tensor<64x128xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  %c = retention.linear %x1, %w : tensor<1x128xf32>, tensor<64x128xf32> -> tensor<1x64xf32>
  %d = retention.linear %x1, %w residual %r1 : tensor<1x128xf32>, tensor<64x128xf32>, tensor<1x64xf32> -> tensor<1x64xf32>
  return %a, %b, %c, %d : tensor<?x64xf32>, tensor<?x64xf32>, tensor<1x64xf32>, tensor<1x64xf32>
}

// -----

// Half types: activations of one type, weights of any float type.
// CHECK-LABEL: func.func @linear_half
// CHECK: retention.linear %{{.+}}, %{{.+}} : tensor<?x128xbf16>, tensor<64x128xbf16> -> tensor<?x64xbf16>
// CHECK: retention.linear %{{.+}}, %{{.+}} residual %{{.+}} : tensor<?x128xf16>, tensor<64x128xbf16>, tensor<?x64xf16> -> tensor<?x64xf16>
// CHECK: retention.linear %{{.+}}, %{{.+}} : tensor<?x128xf32>, tensor<64x128xbf16> -> tensor<?x64xf32>
func.func @linear_half(%x: tensor<?x128xbf16>, %w: tensor<64x128xbf16>, %xh: tensor<?x128xf16>, %rh: tensor<?x64xf16>, %xf: tensor<?x128xf32>)
    -> (tensor<?x64xbf16>, tensor<?x64xf16>, tensor<?x64xf32>) {
  %a = retention.linear %x, %w : tensor<?x128xbf16>, tensor<64x128xbf16> -> tensor<?x64xbf16>
  %b = retention.linear %xh, %w residual %rh : tensor<?x128xf16>, tensor<64x128xbf16>, tensor<?x64xf16> -> tensor<?x64xf16>
  %c = retention.linear %xf, %w : tensor<?x128xf32>, tensor<64x128xbf16> -> tensor<?x64xf32>
  return %a, %b, %c : tensor<?x64xbf16>, tensor<?x64xf16>, tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[G:[^:]+]]: tensor<?x256xf32>, %[[U:[^:]+]]: tensor<?x256xf32>, %[[G7:[^:]+]]: tensor<7x256xf32>)
// CHECK: retention.swiglu %[[G]], %[[U]] : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
// CHECK: retention.swiglu %[[G7]], %[[G7]] : tensor<7x256xf32>, tensor<7x256xf32> -> tensor<7x256xf32>
func.func @swiglu(%g: tensor<?x256xf32>, %u: tensor<?x256xf32>, %g7: tensor<7x256xf32>) -> (tensor<?x256xf32>, tensor<7x256xf32>) {
  %y = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
  %y7 = retention.swiglu %g7, %g7 : tensor<7x256xf32>, tensor<7x256xf32> -> tensor<7x256xf32>
  return %y, %y7 : tensor<?x256xf32>, tensor<7x256xf32>
}

// -----

// CHECK-LABEL: func.func @swiglu_linear
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x64xf32>, %[[WG:[^:]+]]: tensor<256x64xf32>, %[[WU:[^:]+]]: tensor<256x64xf32>, %[[X2:[^:]+]]: tensor<2x64xf32>)
// CHECK: retention.swiglu_linear %[[X]], %[[WG]], %[[WU]] : tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
// CHECK: retention.swiglu_linear %[[X2]], %[[WU]], %[[WG]] : tensor<2x64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<2x256xf32>
func.func @swiglu_linear(%x: tensor<?x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>, %x2: tensor<2x64xf32>) -> (tensor<?x256xf32>, tensor<2x256xf32>) {
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  %y2 = retention.swiglu_linear %x2, %wu, %wg : tensor<2x64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<2x256xf32>
  return %y, %y2 : tensor<?x256xf32>, tensor<2x256xf32>
}

// -----

// With a folded norm, bf16 weights and product (a GPU model's decode).
// CHECK-LABEL: func.func @swiglu_linear_norm
// CHECK: retention.swiglu_linear %{{.+}} norm %{{.+}}, %{{.+}}, %{{.+}} {norm_eps = 9.9999999999999995E-7 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<256x64xbf16>, tensor<256x64xbf16> -> tensor<1x256xbf16>
func.func @swiglu_linear_norm(%h: tensor<1x64xf32>, %n: tensor<64xf32>, %wg: tensor<256x64xbf16>, %wu: tensor<256x64xbf16>) -> tensor<1x256xbf16> {
  %y = retention.swiglu_linear %h norm %n, %wg, %wu {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<256x64xbf16>, tensor<256x64xbf16> -> tensor<1x256xbf16>
  return %y : tensor<1x256xbf16>
}

// -----

// CHECK-LABEL: func.func @rotary
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<?x64xf32>, %[[POS:[^:]+]]: index, %[[Q4:[^:]+]]: tensor<4x32xf32>)
// CHECK: retention.rotary %[[Q]] at %[[POS]] {base = 1.000000e+04 : f64, head_dim = 16 : i64, layout = "rotate_half"} : tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK: retention.rotary %[[Q4]] at %[[POS]] {base = 5.000000e+05 : f64, head_dim = 8 : i64, layout = "interleaved"} : tensor<4x32xf32> -> tensor<4x32xf32>
func.func @rotary(%q: tensor<?x64xf32>, %pos: index, %q4: tensor<4x32xf32>) -> (tensor<?x64xf32>, tensor<4x32xf32>) {
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"}
      : tensor<?x64xf32> -> tensor<?x64xf32>
  %r4 = retention.rotary %q4 at %pos {head_dim = 8 : i64, base = 5.0e+05 : f64, layout = "interleaved"}
      : tensor<4x32xf32> -> tensor<4x32xf32>
  return %r, %r4 : tensor<?x64xf32>, tensor<4x32xf32>
}

// -----

// CHECK-LABEL: func.func @repeat_heads
// CHECK-SAME: (%[[K:[^:]+]]: tensor<?x32xf32>, %[[K1:[^:]+]]: tensor<1x16xf32>)
// CHECK: retention.repeat_heads %[[K]] {groups = 2 : i64, head_dim = 16 : i64} : tensor<?x32xf32> -> tensor<?x64xf32>
// CHECK: retention.repeat_heads %[[K1]] {groups = 4 : i64, head_dim = 8 : i64} : tensor<1x16xf32> -> tensor<1x64xf32>
func.func @repeat_heads(%k: tensor<?x32xf32>, %k1: tensor<1x16xf32>) -> (tensor<?x64xf32>, tensor<1x64xf32>) {
  %r = retention.repeat_heads %k {head_dim = 16 : i64, groups = 2 : i64} : tensor<?x32xf32> -> tensor<?x64xf32>
  %r1 = retention.repeat_heads %k1 {head_dim = 8 : i64, groups = 4 : i64} : tensor<1x16xf32> -> tensor<1x64xf32>
  return %r, %r1 : tensor<?x64xf32>, tensor<1x64xf32>
}

// -----

// CHECK-LABEL: func.func @gated_head_norm
// CHECK-SAME: (%[[O:[^:]+]]: tensor<?x128xf32>, %[[W:[^:]+]]: tensor<32xf32>, %[[G:[^:]+]]: tensor<?x128xf32>, %[[O3:[^:]+]]: tensor<3x128xf32>)
// CHECK: retention.gated_head_norm %[[O]], %[[W]] gate %[[G]] {eps = 9.9999999999999995E-7 : f64, head_dim = 32 : i64} : tensor<?x128xf32>, tensor<32xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
// CHECK: retention.gated_head_norm %[[O3]], %[[W]] {eps = 9.9999999999999995E-7 : f64, head_dim = 32 : i64} : tensor<3x128xf32>, tensor<32xf32> -> tensor<3x128xf32>
func.func @gated_head_norm(%o: tensor<?x128xf32>, %w: tensor<32xf32>, %g: tensor<?x128xf32>, %o3: tensor<3x128xf32>) -> (tensor<?x128xf32>, tensor<3x128xf32>) {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 32 : i64, eps = 1.0e-06 : f64}
      : tensor<?x128xf32>, tensor<32xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
  %y3 = retention.gated_head_norm %o3, %w {head_dim = 32 : i64, eps = 1.0e-06 : f64}
      : tensor<3x128xf32>, tensor<32xf32> -> tensor<3x128xf32>
  return %y, %y3 : tensor<?x128xf32>, tensor<3x128xf32>
}

// -----

// A dynamic and a static operand of one op: dynamic sizes match anything.
// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[A:[^:]+]]: tensor<?x64xf32>, %[[B:[^:]+]]: tensor<?x64xf32>, %[[C:[^:]+]]: tensor<6x64xf32>)
// CHECK: retention.add %[[A]], %[[B]] : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
// CHECK: retention.add %[[C]], %[[C]] : tensor<6x64xf32>, tensor<6x64xf32> -> tensor<6x64xf32>
// CHECK: retention.add %[[A]], %[[C]] : tensor<?x64xf32>, tensor<6x64xf32> -> tensor<6x64xf32>
func.func @add(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>, %c: tensor<6x64xf32>) -> (tensor<?x64xf32>, tensor<6x64xf32>, tensor<6x64xf32>) {
  %y = retention.add %a, %b : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  %y6 = retention.add %c, %c : tensor<6x64xf32>, tensor<6x64xf32> -> tensor<6x64xf32>
  %m = retention.add %a, %c : tensor<?x64xf32>, tensor<6x64xf32> -> tensor<6x64xf32>
  return %y, %y6, %m : tensor<?x64xf32>, tensor<6x64xf32>, tensor<6x64xf32>
}

// -----

// A bf16 model's graph on a GPU: a bf16 table embeds into f32 rows, norms
// round their output to bf16, projections take bf16 and write bf16 or
// (adding into the residual stream) f32.
// CHECK-LABEL: func.func @half_model_graph
// CHECK: retention.embedding {{.*}} : tensor<?xi32>, tensor<100x64xbf16> -> tensor<?x64xf32>
// CHECK: retention.rms_norm {{.*}} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xbf16>
// CHECK: retention.linear {{.*}} : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xbf16>
// CHECK: retention.rotary {{.*}} : tensor<?x128xbf16> -> tensor<?x128xbf16>
// CHECK: retention.repeat_heads {{.*}} : tensor<?x128xbf16> -> tensor<?x256xbf16>
// CHECK: retention.gated_head_norm {{.*}} : tensor<?x256xbf16>, tensor<32xf32>, tensor<?x256xbf16> -> tensor<?x256xbf16>
// CHECK: retention.swiglu {{.*}} : tensor<?x256xbf16>, tensor<?x256xbf16> -> tensor<?x256xbf16>
// CHECK: retention.linear {{.*}} residual {{.*}} : tensor<?x256xbf16>, tensor<64x256xbf16>, tensor<?x64xf32> -> tensor<?x64xf32>
func.func @half_model_graph(%tok: tensor<?xi32>, %table: tensor<100x64xbf16>, %nw: tensor<64xf32>, %wq: tensor<128x64xbf16>, %gw: tensor<32xf32>, %wo: tensor<64x256xbf16>, %pos: index) -> tensor<?x64xf32> {
  %h = retention.embedding %tok, %table : tensor<?xi32>, tensor<100x64xbf16> -> tensor<?x64xf32>
  %x = retention.rms_norm %h, %nw {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xbf16>
  %q = retention.linear %x, %wq : tensor<?x64xbf16>, tensor<128x64xbf16> -> tensor<?x128xbf16>
  %r = retention.rotary %q at %pos {head_dim = 32 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x128xbf16> -> tensor<?x128xbf16>
  %k = retention.repeat_heads %r {head_dim = 32 : i64, groups = 2 : i64} : tensor<?x128xbf16> -> tensor<?x256xbf16>
  %n = retention.gated_head_norm %k, %gw gate %k {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<?x256xbf16>, tensor<32xf32>, tensor<?x256xbf16> -> tensor<?x256xbf16>
  %f = retention.swiglu %n, %n : tensor<?x256xbf16>, tensor<?x256xbf16> -> tensor<?x256xbf16>
  %y = retention.linear %f, %wo residual %h : tensor<?x256xbf16>, tensor<64x256xbf16>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @linear_group
// CHECK: %{{.+}}:3 = retention.linear_group %{{.+}} norm %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} {norm_eps = 9.9999999999999995E-7 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<64x64xbf16>, tensor<32x64xbf16>, tensor<128x64xbf16> -> tensor<1x64xbf16>, tensor<1x32xbf16>, tensor<1x128xbf16>
// CHECK: retention.linear_group %{{.+}}, %{{.+}}, %{{.+}} : tensor<?x64xf32>, tensor<64x64xf32>, tensor<32x64xf32> -> tensor<?x64xf32>, tensor<?x32xf32>
func.func @linear_group(%h: tensor<1x64xf32>, %n: tensor<64xf32>, %wq: tensor<64x64xbf16>, %wk: tensor<32x64xbf16>, %wv: tensor<128x64xbf16>, %x: tensor<?x64xf32>, %a: tensor<64x64xf32>, %b: tensor<32x64xf32>) {
  %q, %k, %v = retention.linear_group %h norm %n, %wq, %wk, %wv {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<64x64xbf16>, tensor<32x64xbf16>, tensor<128x64xbf16> -> tensor<1x64xbf16>, tensor<1x32xbf16>, tensor<1x128xbf16>
  %y, %z = retention.linear_group %x, %a, %b : tensor<?x64xf32>, tensor<64x64xf32>, tensor<32x64xf32> -> tensor<?x64xf32>, tensor<?x32xf32>
  return
}

// -----

// Positions in memory (a decode step on the device), and the token chosen
// from the logits.
// CHECK-LABEL: func.func @device_step
// CHECK: retention.rotary %{{.+}} positions %{{.+}} {base = 1.000000e+04 : f64, head_dim = 16 : i64, layout = "rotate_half"} : tensor<?x64xbf16>, tensor<?xi64> -> tensor<?x64xbf16>
// CHECK: %{{.+}}, %{{.+}} = retention.next_token %{{.+}}, %{{.+}} : tensor<?x100xf32>, tensor<?xi64> -> tensor<?xi32>, tensor<?xi64>
func.func @device_step(%q: tensor<?x64xbf16>, %pos: tensor<?xi64>, %logits: tensor<?x100xf32>) -> (tensor<?x64xbf16>, tensor<?xi32>, tensor<?xi64>) {
  %r = retention.rotary %q positions %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x64xbf16>, tensor<?xi64> -> tensor<?x64xbf16>
  %t, %n = retention.next_token %logits, %pos : tensor<?x100xf32>, tensor<?xi64> -> tensor<?xi32>, tensor<?xi64>
  return %r, %t, %n : tensor<?x64xbf16>, tensor<?xi32>, tensor<?xi64>
}
