// RUN: retc-opt %s --split-input-file --verify-diagnostics
// One case per message of the graph-op verifiers
// (dialect/RetentionGraphOps.cpp): row counts, widths against the weights,
// head sizes, rotary layout and base, eps, groups, the residual and the gate.

//===- embedding ------------------------------------------------------===//

func.func @embedding_rows(%tok: tensor<5xi32>, %table: tensor<100x64xf32>) {
  // expected-error @+1 {{'retention.embedding' op tokens has 5 rows, expected 4}}
  %h = retention.embedding %tok, %table : tensor<5xi32>, tensor<100x64xf32> -> tensor<4x64xf32>
  return
}

// -----

func.func @embedding_width(%tok: tensor<?xi32>, %table: tensor<100x64xf32>) {
  // expected-error @+1 {{'retention.embedding' op the result width is 32, expected 64}}
  %h = retention.embedding %tok, %table : tensor<?xi32>, tensor<100x64xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @embedding_token_type(%tok: tensor<?xi64>, %table: tensor<100x64xf32>) {
  // expected-error @+1 {{'retention.embedding' op operand #0 must be 1-D i32 tensor}}
  %h = retention.embedding %tok, %table : tensor<?xi64>, tensor<100x64xf32> -> tensor<?x64xf32>
  return
}

// -----

//===- rms_norm -------------------------------------------------------===//

func.func @rms_norm_weight(%x: tensor<?x64xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'retention.rms_norm' op the weight length is 32, expected 64}}
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_rows(%x: tensor<3x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'retention.rms_norm' op the result has 4 rows, expected 3}}
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<3x64xf32>, tensor<64xf32> -> tensor<4x64xf32>
  return
}

// -----

func.func @rms_norm_width(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'retention.rms_norm' op the result width is 65, expected 64}}
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x65xf32>
  return
}

// -----

func.func @rms_norm_eps_zero(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'retention.rms_norm' op eps must be positive and finite, got 0.000000e+00}}
  %y = retention.rms_norm %x, %w {eps = 0.0 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_eps_negative(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'retention.rms_norm' op eps must be positive and finite, got -1.000000e+00}}
  %y = retention.rms_norm %x, %w {eps = -1.0 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_eps_inf(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'retention.rms_norm' op eps must be positive and finite, got INF}}
  %y = retention.rms_norm %x, %w {eps = 0x7FF0000000000000 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rms_norm_eps_nan(%x: tensor<?x64xf32>, %w: tensor<64xf32>) {
  // expected-error @+1 {{'retention.rms_norm' op eps must be positive and finite, got nan}}
  %y = retention.rms_norm %x, %w {eps = 0x7FF8000000000000 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  return
}

// -----

//===- linear ---------------------------------------------------------===//

func.func @linear_weight_input(%x: tensor<?x128xf32>, %w: tensor<64x96xf32>) {
  // expected-error @+1 {{'retention.linear' op the weight's input width is 96, expected 128}}
  %y = retention.linear %x, %w : tensor<?x128xf32>, tensor<64x96xf32> -> tensor<?x64xf32>
  return
}

// -----

// The weight is [out, in] as checkpoints store it, not [in, out].
func.func @linear_weight_transposed(%x: tensor<?x128xf32>, %w: tensor<128x64xf32>) {
  // expected-error @+1 {{'retention.linear' op the weight's input width is 64, expected 128}}
  %y = retention.linear %x, %w : tensor<?x128xf32>, tensor<128x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @linear_rows(%x: tensor<2x128xf32>, %w: tensor<64x128xf32>) {
  // expected-error @+1 {{'retention.linear' op the result has 1 rows, expected 2}}
  %y = retention.linear %x, %w : tensor<2x128xf32>, tensor<64x128xf32> -> tensor<1x64xf32>
  return
}

// -----

func.func @linear_width(%x: tensor<?x128xf32>, %w: tensor<64x128xf32>) {
  // expected-error @+1 {{'retention.linear' op the result width is 128, expected 64}}
  %y = retention.linear %x, %w : tensor<?x128xf32>, tensor<64x128xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @linear_residual_rows(%x: tensor<2x128xf32>, %w: tensor<64x128xf32>, %r: tensor<3x64xf32>) {
  // expected-error @+1 {{'retention.linear' op the residual has 3 rows, expected 2}}
  %y = retention.linear %x, %w residual %r : tensor<2x128xf32>, tensor<64x128xf32>, tensor<3x64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @linear_residual_width(%x: tensor<?x128xf32>, %w: tensor<64x128xf32>, %r: tensor<?x128xf32>) {
  // expected-error @+1 {{'retention.linear' op the residual width is 128, expected 64}}
  %y = retention.linear %x, %w residual %r : tensor<?x128xf32>, tensor<64x128xf32>, tensor<?x128xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @linear_weight_rank(%x: tensor<?x128xf32>, %w: tensor<128xf32>) {
  // expected-error @+1 {{'retention.linear' op operand #1 must be 2-D f32, bf16 or f16 tensor}}
  %y = "retention.linear"(%x, %w) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<?x128xf32>, tensor<128xf32>) -> tensor<?x1xf32>
  return
}

// -----

func.func @linear_i8(%x: tensor<?x128xi8>, %w: tensor<64x128xbf16>) {
  // expected-error @+1 {{'retention.linear' op operand #0 must be 2-D f32, bf16 or f16 tensor [T, N]}}
  %y = retention.linear %x, %w : tensor<?x128xi8>, tensor<64x128xbf16> -> tensor<?x64xbf16>
  return
}

// -----

func.func @linear_mixed_residual(%x: tensor<?x128xf16>, %w: tensor<64x128xbf16>, %r: tensor<?x64xf32>) {
  // expected-error @+1 {{'retention.linear' op residual element type 'f32' differs from the result's 'f16'}}
  %y = retention.linear %x, %w residual %r : tensor<?x128xf16>, tensor<64x128xbf16>, tensor<?x64xf32> -> tensor<?x64xf16>
  return
}

// -----

//===- swiglu ---------------------------------------------------------===//

func.func @swiglu_up_rows(%g: tensor<4x256xf32>, %u: tensor<5x256xf32>) {
  // expected-error @+1 {{'retention.swiglu' op up has 5 rows, expected 4}}
  %y = retention.swiglu %g, %u : tensor<4x256xf32>, tensor<5x256xf32> -> tensor<4x256xf32>
  return
}

// -----

func.func @swiglu_up_width(%g: tensor<?x256xf32>, %u: tensor<?x128xf32>) {
  // expected-error @+1 {{'retention.swiglu' op up's width is 128, expected 256}}
  %y = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x128xf32> -> tensor<?x256xf32>
  return
}

// -----

func.func @swiglu_rows(%g: tensor<4x256xf32>, %u: tensor<?x256xf32>) {
  // expected-error @+1 {{'retention.swiglu' op the result has 8 rows, expected 4}}
  %y = retention.swiglu %g, %u : tensor<4x256xf32>, tensor<?x256xf32> -> tensor<8x256xf32>
  return
}

// -----

func.func @swiglu_width(%g: tensor<?x256xf32>, %u: tensor<?x256xf32>) {
  // expected-error @+1 {{'retention.swiglu' op the result width is 255, expected 256}}
  %y = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x255xf32>
  return
}

// -----

//===- swiglu_linear --------------------------------------------------===//

func.func @swiglu_linear_gate_input(%x: tensor<?x64xf32>, %wg: tensor<256x32xf32>, %wu: tensor<256x64xf32>) {
  // expected-error @+1 {{'retention.swiglu_linear' op the gate weight's input width is 32, expected 64}}
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<?x64xf32>, tensor<256x32xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
  return
}

// -----

func.func @swiglu_linear_up_input(%x: tensor<?x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x32xf32>) {
  // expected-error @+1 {{'retention.swiglu_linear' op the up weight's input width is 32, expected 64}}
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x32xf32> -> tensor<?x256xf32>
  return
}

// -----

func.func @swiglu_linear_up_output(%x: tensor<?x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<128x64xf32>) {
  // expected-error @+1 {{'retention.swiglu_linear' op the up weight's output width is 128, expected 256}}
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<?x64xf32>, tensor<256x64xf32>, tensor<128x64xf32> -> tensor<?x256xf32>
  return
}

// -----

func.func @swiglu_linear_rows(%x: tensor<1x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) {
  // expected-error @+1 {{'retention.swiglu_linear' op the result has 2 rows, expected 1}}
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<1x64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<2x256xf32>
  return
}

// -----

func.func @swiglu_linear_width(%x: tensor<?x64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) {
  // expected-error @+1 {{'retention.swiglu_linear' op the result width is 64, expected 256}}
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @swiglu_linear_weight_types(%x: tensor<1x64xf32>, %wg: tensor<256x64xbf16>, %wu: tensor<256x64xf16>) {
  // expected-error @+1 {{'retention.swiglu_linear' op the gate weight is 'bf16' but the up weight 'f16'}}
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<1x64xf32>, tensor<256x64xbf16>, tensor<256x64xf16> -> tensor<1x256xbf16>
  return
}

// -----

func.func @swiglu_linear_norm_without_eps(%x: tensor<1x64xf32>, %n: tensor<64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) {
  // expected-error @+1 {{'retention.swiglu_linear' op takes 'norm' and 'norm_eps' together}}
  %y = retention.swiglu_linear %x norm %n, %wg, %wu : tensor<1x64xf32> norm tensor<64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<1x256xf32>
  return
}

// -----

func.func @swiglu_linear_norm_length(%x: tensor<1x64xf32>, %n: tensor<32xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) {
  // expected-error @+1 {{'retention.swiglu_linear' op the norm length is 32, expected 64}}
  %y = retention.swiglu_linear %x norm %n, %wg, %wu {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<32xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<1x256xf32>
  return
}

// -----

func.func @linear_gate_without_norm(%x: tensor<1x64xf32>, %g: tensor<1x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear' op takes 'gate' and 'norm_head_dim' only with 'norm'}}
  %y = "retention.linear"(%x, %w, %g) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 1>}> : (tensor<1x64xf32>, tensor<8x64xf32>, tensor<1x64xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @linear_head_dim_divides(%x: tensor<1x64xf32>, %n: tensor<24xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear' op norm_head_dim 24 does not divide the width 64}}
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-06 : f64, norm_head_dim = 24 : i64} : tensor<1x64xf32> norm tensor<24xf32>, tensor<8x64xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @linear_head_norm_length(%x: tensor<1x64xf32>, %n: tensor<64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear' op the norm length is 64, expected 32}}
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-06 : f64, norm_head_dim = 32 : i64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<8x64xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @linear_gate_width(%x: tensor<1x64xf32>, %n: tensor<32xf32>, %g: tensor<1x32xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear' op the gate width is 32, expected 64}}
  %y = retention.linear %x norm %n gate %g, %w {norm_eps = 1.0e-06 : f64, norm_head_dim = 32 : i64} : tensor<1x64xf32> norm tensor<32xf32> gate tensor<1x32xf32>, tensor<8x64xf32> -> tensor<1x8xf32>
  return
}

// -----

//===- linear_group ---------------------------------------------------===//

func.func @linear_group_one(%x: tensor<1x64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear_group' op takes two or more weights, got 1}}
  %y = retention.linear_group %x, %w : tensor<1x64xf32>, tensor<8x64xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @linear_group_results(%x: tensor<1x64xf32>, %w0: tensor<8x64xf32>, %w1: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear_group' op has 1 results for 2 weights}}
  %y = retention.linear_group %x, %w0, %w1 : tensor<1x64xf32>, tensor<8x64xf32>, tensor<8x64xf32> -> tensor<1x8xf32>
  return
}

// -----

func.func @linear_group_input(%x: tensor<1x64xf32>, %w0: tensor<8x64xf32>, %w1: tensor<8x32xf32>) {
  // expected-error @+1 {{'retention.linear_group' op weight 1's input width is 32, expected 64}}
  %a, %b = retention.linear_group %x, %w0, %w1 : tensor<1x64xf32>, tensor<8x64xf32>, tensor<8x32xf32> -> tensor<1x8xf32>, tensor<1x8xf32>
  return
}

// -----

func.func @linear_group_width(%x: tensor<1x64xf32>, %w0: tensor<8x64xf32>, %w1: tensor<16x64xf32>) {
  // expected-error @+1 {{'retention.linear_group' op result 1's width is 8, expected 16}}
  %a, %b = retention.linear_group %x, %w0, %w1 : tensor<1x64xf32>, tensor<8x64xf32>, tensor<16x64xf32> -> tensor<1x8xf32>, tensor<1x8xf32>
  return
}

// -----

func.func @linear_group_types(%x: tensor<1x64xf32>, %w0: tensor<8x64xbf16>, %w1: tensor<8x64xf16>) {
  // expected-error @+1 {{'retention.linear_group' op weight 1 is 'f16', weight 0 'bf16'}}
  %a, %b = retention.linear_group %x, %w0, %w1 : tensor<1x64xf32>, tensor<8x64xbf16>, tensor<8x64xf16> -> tensor<1x8xbf16>, tensor<1x8xbf16>
  return
}

// -----

//===- rotary ---------------------------------------------------------===//

func.func @rotary_head_dim_divides(%q: tensor<?x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op head_dim 24 does not divide the width 64}}
  %r = retention.rotary %q at %pos {head_dim = 24 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rotary_head_dim_zero(%q: tensor<?x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op head_dim must be positive, got 0}}
  %r = retention.rotary %q at %pos {head_dim = 0 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rotary_head_dim_negative(%q: tensor<?x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op head_dim must be positive, got -16}}
  %r = retention.rotary %q at %pos {head_dim = -16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

// 5 divides 15 but a head of odd size has no pairs to rotate.
func.func @rotary_head_dim_odd(%q: tensor<?x15xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op head_dim must be even, got 5}}
  %r = retention.rotary %q at %pos {head_dim = 5 : i64, base = 1.0e+04 : f64, layout = "interleaved"} : tensor<?x15xf32> -> tensor<?x15xf32>
  return
}

// -----

func.func @rotary_layout(%q: tensor<?x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op layout must be 'rotate_half' or 'interleaved', got 'neox'}}
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "neox"} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rotary_base_one(%q: tensor<?x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op base must be finite and greater than 1, got 1.000000e+00}}
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0 : f64, layout = "rotate_half"} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rotary_base_negative(%q: tensor<?x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op base must be finite and greater than 1, got -1.000000e+04}}
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = -1.0e+04 : f64, layout = "rotate_half"} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rotary_base_inf(%q: tensor<?x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op base must be finite and greater than 1, got INF}}
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 0x7FF0000000000000 : f64, layout = "rotate_half"} : tensor<?x64xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @rotary_rows(%q: tensor<3x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op the result has 2 rows, expected 3}}
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<3x64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @rotary_width(%q: tensor<?x64xf32>, %pos: index) {
  // expected-error @+1 {{'retention.rotary' op the result width is 32, expected 64}}
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x64xf32> -> tensor<?x32xf32>
  return
}

// -----

//===- repeat_heads ---------------------------------------------------===//

func.func @repeat_heads_divides(%k: tensor<?x32xf32>) {
  // expected-error @+1 {{'retention.repeat_heads' op head_dim 12 does not divide the width 32}}
  %r = retention.repeat_heads %k {head_dim = 12 : i64, groups = 2 : i64} : tensor<?x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @repeat_heads_head_dim_zero(%k: tensor<?x32xf32>) {
  // expected-error @+1 {{'retention.repeat_heads' op head_dim must be positive, got 0}}
  %r = retention.repeat_heads %k {head_dim = 0 : i64, groups = 2 : i64} : tensor<?x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @repeat_heads_groups_zero(%k: tensor<?x32xf32>) {
  // expected-error @+1 {{'retention.repeat_heads' op groups must be positive, got 0}}
  %r = retention.repeat_heads %k {head_dim = 16 : i64, groups = 0 : i64} : tensor<?x32xf32> -> tensor<?x32xf32>
  return
}

// -----

func.func @repeat_heads_width(%k: tensor<?x32xf32>) {
  // expected-error @+1 {{'retention.repeat_heads' op the result width is 64, expected 96}}
  %r = retention.repeat_heads %k {head_dim = 16 : i64, groups = 3 : i64} : tensor<?x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @repeat_heads_rows(%k: tensor<2x32xf32>) {
  // expected-error @+1 {{'retention.repeat_heads' op the result has 1 rows, expected 2}}
  %r = retention.repeat_heads %k {head_dim = 16 : i64, groups = 2 : i64} : tensor<2x32xf32> -> tensor<1x64xf32>
  return
}

// -----

//===- gated_head_norm ------------------------------------------------===//

func.func @gated_head_norm_eps(%o: tensor<?x128xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'retention.gated_head_norm' op eps must be positive and finite, got -1.000000e-06}}
  %y = retention.gated_head_norm %o, %w {head_dim = 32 : i64, eps = -1.0e-06 : f64} : tensor<?x128xf32>, tensor<32xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @gated_head_norm_divides(%o: tensor<?x128xf32>, %w: tensor<48xf32>) {
  // expected-error @+1 {{'retention.gated_head_norm' op head_dim 48 does not divide the width 128}}
  %y = retention.gated_head_norm %o, %w {head_dim = 48 : i64, eps = 1.0e-06 : f64} : tensor<?x128xf32>, tensor<48xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @gated_head_norm_head_dim_negative(%o: tensor<?x128xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'retention.gated_head_norm' op head_dim must be positive, got -32}}
  %y = retention.gated_head_norm %o, %w {head_dim = -32 : i64, eps = 1.0e-06 : f64} : tensor<?x128xf32>, tensor<32xf32> -> tensor<?x128xf32>
  return
}

// -----

// The weight is per head ([head_dim], shared by all heads), not [width].
func.func @gated_head_norm_weight(%o: tensor<?x128xf32>, %w: tensor<128xf32>) {
  // expected-error @+1 {{'retention.gated_head_norm' op the weight length is 128, expected 32}}
  %y = retention.gated_head_norm %o, %w {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<?x128xf32>, tensor<128xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @gated_head_norm_gate_rows(%o: tensor<4x128xf32>, %w: tensor<32xf32>, %g: tensor<1x128xf32>) {
  // expected-error @+1 {{'retention.gated_head_norm' op the gate has 1 rows, expected 4}}
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<4x128xf32>, tensor<32xf32>, tensor<1x128xf32> -> tensor<4x128xf32>
  return
}

// -----

func.func @gated_head_norm_gate_width(%o: tensor<?x128xf32>, %w: tensor<32xf32>, %g: tensor<?x64xf32>) {
  // expected-error @+1 {{'retention.gated_head_norm' op the gate width is 64, expected 128}}
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<?x128xf32>, tensor<32xf32>, tensor<?x64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @gated_head_norm_rows(%o: tensor<4x128xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'retention.gated_head_norm' op the result has 5 rows, expected 4}}
  %y = retention.gated_head_norm %o, %w {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<4x128xf32>, tensor<32xf32> -> tensor<5x128xf32>
  return
}

// -----

func.func @gated_head_norm_width(%o: tensor<?x128xf32>, %w: tensor<32xf32>) {
  // expected-error @+1 {{'retention.gated_head_norm' op the result width is 32, expected 128}}
  %y = retention.gated_head_norm %o, %w {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<?x128xf32>, tensor<32xf32> -> tensor<?x32xf32>
  return
}

// -----

//===- add ------------------------------------------------------------===//

func.func @add_rows(%a: tensor<4x64xf32>, %b: tensor<3x64xf32>) {
  // expected-error @+1 {{'retention.add' op the right operand has 3 rows, expected 4}}
  %y = retention.add %a, %b : tensor<4x64xf32>, tensor<3x64xf32> -> tensor<4x64xf32>
  return
}

// -----

func.func @add_width(%a: tensor<?x64xf32>, %b: tensor<?x32xf32>) {
  // expected-error @+1 {{'retention.add' op the right operand's width is 32, expected 64}}
  %y = retention.add %a, %b : tensor<?x64xf32>, tensor<?x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @add_result_rows(%a: tensor<4x64xf32>, %b: tensor<?x64xf32>) {
  // expected-error @+1 {{'retention.add' op the result has 2 rows, expected 4}}
  %y = retention.add %a, %b : tensor<4x64xf32>, tensor<?x64xf32> -> tensor<2x64xf32>
  return
}

// -----

func.func @add_result_width(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) {
  // expected-error @+1 {{'retention.add' op the result width is 128, expected 64}}
  %y = retention.add %a, %b : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x128xf32>
  return
}

// -----

func.func @linear_norm_without_eps(%x: tensor<?x64xf32>, %n: tensor<64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear' op takes 'norm' and 'norm_eps' together}}
  %y = retention.linear %x norm %n, %w : tensor<?x64xf32> norm tensor<64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @linear_norm_length(%x: tensor<?x64xf32>, %n: tensor<32xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear' op the norm length is 32, expected 64}}
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-06 : f64} : tensor<?x64xf32> norm tensor<32xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @linear_norm_eps(%x: tensor<?x64xf32>, %n: tensor<64xf32>, %w: tensor<8x64xf32>) {
  // expected-error @+1 {{'retention.linear' op eps must be positive and finite, got 0}}
  %y = retention.linear %x norm %n, %w {norm_eps = 0.0 : f64} : tensor<?x64xf32> norm tensor<64xf32>, tensor<8x64xf32> -> tensor<?x8xf32>
  return
}

// -----

func.func @linear_norm_empty_rows(%x: tensor<?x0xf32>, %n: tensor<0xf32>, %w: tensor<8x0xf32>) {
  // expected-error @+1 {{'retention.linear' op a fused norm needs rows of at least one element (the mean of none is undefined)}}
  %y = retention.linear %x norm %n, %w {norm_eps = 1.0e-06 : f64} : tensor<?x0xf32> norm tensor<0xf32>, tensor<8x0xf32> -> tensor<?x8xf32>
  return
}

// -----

//===- rotary positions, next_token -----------------------------------===//

func.func @rotary_neither(%q: tensor<4x64xf32>) {
  // expected-error @+1 {{'retention.rotary' op takes either 'at' a starting position or 'positions' (one a row), got neither}}
  %r = retention.rotary %q {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<4x64xf32> -> tensor<4x64xf32>
  return
}

// -----

func.func @rotary_both(%q: tensor<4x64xf32>, %p: index, %ps: tensor<4xi64>) {
  // expected-error @+1 {{'retention.rotary' op takes either 'at' a starting position or 'positions' (one a row), got both}}
  %r = retention.rotary %q at %p positions %ps {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<4x64xf32>, tensor<4xi64> -> tensor<4x64xf32>
  return
}

// -----

func.func @rotary_positions_rows(%q: tensor<4x64xf32>, %ps: tensor<3xi64>) {
  // expected-error @+1 {{'retention.rotary' op the positions has 3 rows, expected 4}}
  %r = retention.rotary %q positions %ps {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<4x64xf32>, tensor<3xi64> -> tensor<4x64xf32>
  return
}

// -----

func.func @next_token_positions_rows(%l: tensor<2x100xf32>, %p: tensor<3xi64>) {
  // expected-error @+1 {{'retention.next_token' op the positions has 3 rows, expected 2}}
  %t, %n = retention.next_token %l, %p : tensor<2x100xf32>, tensor<3xi64> -> tensor<2xi32>, tensor<2xi64>
  return
}

// -----

func.func @next_token_tokens_rows(%l: tensor<2x100xf32>, %p: tensor<2xi64>) {
  // expected-error @+1 {{'retention.next_token' op the tokens has 1 rows, expected 2}}
  %t, %n = retention.next_token %l, %p : tensor<2x100xf32>, tensor<2xi64> -> tensor<1xi32>, tensor<2xi64>
  return
}

// -----

func.func @next_token_next_rows(%l: tensor<2x100xf32>, %p: tensor<?xi64>) {
  // expected-error @+1 {{'retention.next_token' op the next positions has 4 rows, expected 2}}
  %t, %n = retention.next_token %l, %p : tensor<2x100xf32>, tensor<?xi64> -> tensor<?xi32>, tensor<4xi64>
  return
}

// -----

func.func @next_token_empty(%l: tensor<2x0xf32>, %p: tensor<2xi64>) {
  // expected-error @+1 {{'retention.next_token' op needs at least one logit a row, got 0}}
  %t, %n = retention.next_token %l, %p : tensor<2x0xf32>, tensor<2xi64> -> tensor<2xi32>, tensor<2xi64>
  return
}
