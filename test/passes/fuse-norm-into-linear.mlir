// RUN: retc-opt %s --split-input-file --retention-fuse-elementwise=norm-max-rows=16 | FileCheck %s
// RUN: retc-opt %s --split-input-file --retention-fuse-elementwise | FileCheck %s --check-prefix=OFF
// retention-fuse-elementwise{norm-max-rows=16}: an rms_norm whose every
// user is a linear taking it as x becomes those linears' norm, in functions
// of at most 16 rows (retention.max_tokens); elsewhere, with another user,
// or without the option, the norm stays.

// CHECK-LABEL: func.func @decode_qkv
// CHECK-SAME: (%[[H:[^:]+]]: tensor<?x64xf32>, %[[N:[^:]+]]: tensor<64xf32>, %[[WQ:[^:]+]]: tensor<32x64xbf16>, %[[WK:[^:]+]]: tensor<16x64xbf16>)
// CHECK-NOT: retention.rms_norm
// CHECK: retention.linear %[[H]] norm %[[N]], %[[WQ]] {norm_eps = 9.9999999999999995E-7 : f64} : tensor<?x64xf32> norm tensor<64xf32>, tensor<32x64xbf16> -> tensor<?x32xbf16>
// CHECK: retention.linear %[[H]] norm %[[N]], %[[WK]] {norm_eps = 9.9999999999999995E-7 : f64} : tensor<?x64xf32> norm tensor<64xf32>, tensor<16x64xbf16> -> tensor<?x16xbf16>
// OFF-LABEL: func.func @decode_qkv
// OFF: retention.rms_norm
func.func @decode_qkv(%h: tensor<?x64xf32>, %n: tensor<64xf32>, %wq: tensor<32x64xbf16>, %wk: tensor<16x64xbf16>) -> (tensor<?x32xbf16>, tensor<?x16xbf16>) attributes {retention.max_tokens = 1 : i64} {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xbf16>
  %q = retention.linear %x, %wq : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  %k = retention.linear %x, %wk : tensor<?x64xbf16>, tensor<16x64xbf16> -> tensor<?x16xbf16>
  return %q, %k : tensor<?x32xbf16>, tensor<?x16xbf16>
}

// -----

// Prefill-sized: the norm stays (its GEMMs stream x in tiles).
// CHECK-LABEL: func.func @prefill_q
// CHECK: retention.rms_norm
// CHECK: retention.linear %{{.+}}, %{{.+}} : tensor<?x64xbf16>
func.func @prefill_q(%h: tensor<?x64xf32>, %n: tensor<64xf32>, %wq: tensor<32x64xbf16>) -> tensor<?x32xbf16> attributes {retention.max_tokens = 64 : i64} {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xbf16>
  %q = retention.linear %x, %wq : tensor<?x64xbf16>, tensor<32x64xbf16> -> tensor<?x32xbf16>
  return %q : tensor<?x32xbf16>
}

// -----

// The normalized rows have another user: the norm stays.
// CHECK-LABEL: func.func @other_user
// CHECK: %[[X:.+]] = retention.rms_norm
// CHECK: retention.linear %[[X]],
// CHECK: return
func.func @other_user(%h: tensor<?x64xf32>, %n: tensor<64xf32>, %wq: tensor<32x64xf32>) -> (tensor<?x32xf32>, tensor<?x64xf32>) attributes {retention.max_tokens = 1 : i64} {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %q = retention.linear %x, %wq : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %q, %x : tensor<?x32xf32>, tensor<?x64xf32>
}

// -----

// No bound on the function's rows: the norm stays.
// CHECK-LABEL: func.func @unbounded
// CHECK: retention.rms_norm
func.func @unbounded(%h: tensor<?x64xf32>, %n: tensor<64xf32>, %wq: tensor<32x64xf32>) -> tensor<?x32xf32> {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %q = retention.linear %x, %wq : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  return %q : tensor<?x32xf32>
}

// -----

// The normalized rows are also a projection's weight: the norm stays.
// CHECK-LABEL: func.func @norm_as_weight
// CHECK: %[[X:.+]] = retention.rms_norm
// CHECK: retention.linear %[[X]], %[[X]] :
func.func @norm_as_weight(%h: tensor<?x16xf32>, %n: tensor<16xf32>) -> tensor<?x?xf32> attributes {retention.max_tokens = 1 : i64} {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  %y = retention.linear %x, %x : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// More static rows than the bound: the norm stays.
// CHECK-LABEL: func.func @static_rows
// CHECK: retention.rms_norm
func.func @static_rows(%h: tensor<32x64xf32>, %n: tensor<64xf32>, %wq: tensor<8x64xf32>) -> tensor<32x8xf32> attributes {retention.max_tokens = 1 : i64} {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<32x64xf32>, tensor<64xf32> -> tensor<32x64xf32>
  %q = retention.linear %x, %wq : tensor<32x64xf32>, tensor<8x64xf32> -> tensor<32x8xf32>
  return %q : tensor<32x8xf32>
}

// -----

// A residual add after a projection with a folded norm keeps the norm.
// CHECK-LABEL: func.func @norm_then_residual
// CHECK-NOT: retention.rms_norm
// CHECK-NOT: retention.add
// CHECK: retention.linear %{{.+}} norm %{{.+}}, %{{.+}} residual %{{.+}} {norm_eps = 9.9999999999999995E-7 : f64}
func.func @norm_then_residual(%h: tensor<?x64xf32>, %n: tensor<64xf32>, %w: tensor<64x64xf32>) -> tensor<?x64xf32> attributes {retention.max_tokens = 1 : i64} {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
  %y = retention.linear %x, %w : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %z = retention.add %h, %y : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}

// -----

// The gated head norm feeding o_proj folds into it (norm_head_dim, gate),
// keeping the residual; in prefill it stays.
// CHECK-LABEL: func.func @decode_o_proj
// CHECK-SAME: (%[[O:[^:]+]]: tensor<?x128xbf16>, %[[G:[^:]+]]: tensor<?x128xbf16>, %[[N:[^:]+]]: tensor<32xf32>, %[[W:[^:]+]]: tensor<64x128xbf16>, %[[H:[^:]+]]: tensor<?x64xf32>)
// CHECK-NOT: retention.gated_head_norm
// CHECK: retention.linear %[[O]] norm %[[N]] gate %[[G]], %[[W]] residual %[[H]] {norm_eps = 9.9999999999999995E-7 : f64, norm_head_dim = 32 : i64} : tensor<?x128xbf16> norm tensor<32xf32> gate tensor<?x128xbf16>, tensor<64x128xbf16>, tensor<?x64xf32> -> tensor<?x64xf32>
// OFF-LABEL: func.func @decode_o_proj
// OFF: retention.gated_head_norm
func.func @decode_o_proj(%o: tensor<?x128xbf16>, %g: tensor<?x128xbf16>, %n: tensor<32xf32>, %w: tensor<64x128xbf16>, %h: tensor<?x64xf32>) -> tensor<?x64xf32> attributes {retention.max_tokens = 1 : i64} {
  %x = retention.gated_head_norm %o, %n gate %g {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<?x128xbf16>, tensor<32xf32>, tensor<?x128xbf16> -> tensor<?x128xbf16>
  %y = retention.linear %x, %w residual %h : tensor<?x128xbf16>, tensor<64x128xbf16>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// CHECK-LABEL: func.func @prefill_o_proj
// CHECK: retention.gated_head_norm
// CHECK: retention.linear %{{[^ ]+}}, %
func.func @prefill_o_proj(%o: tensor<?x128xbf16>, %n: tensor<32xf32>, %w: tensor<64x128xbf16>) -> tensor<?x64xbf16> attributes {retention.max_tokens = 64 : i64} {
  %x = retention.gated_head_norm %o, %n {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<?x128xbf16>, tensor<32xf32> -> tensor<?x128xbf16>
  %y = retention.linear %x, %w : tensor<?x128xbf16>, tensor<64x128xbf16> -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}
