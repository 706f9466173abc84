// RUN: retc-opt %s --split-input-file --retention-fuse-elementwise="swiglu-max-rows=16 norm-max-rows=16" | FileCheck %s
// RUN: retc-opt %s --split-input-file --retention-fuse-elementwise="swiglu-max-rows=16" | FileCheck %s --check-prefix=NONORM
// retention-fuse-elementwise as the GPU runs it (swiglu-max-rows and
// norm-max-rows 16, the gemv kernel's rows): in a function of at most 16
// rows, swiglu(linear(x, wg), linear(x, wu)) becomes one swiglu_linear,
// and the norm feeding both is folded into it, whichever pattern applies
// first; in larger functions the SwiGLU product stays an op of its own
// (the GEMM kernels have no two-weight form).

// CHECK-LABEL: func.func @decode_ffn
// CHECK-SAME: (%[[H:[^:]+]]: tensor<?x64xf32>, %[[N:[^:]+]]: tensor<64xf32>, %[[WG:[^:]+]]: tensor<256x64xbf16>, %[[WU:[^:]+]]: tensor<256x64xbf16>)
// CHECK-NOT: retention.rms_norm
// CHECK-NOT: retention.swiglu %
// CHECK: retention.swiglu_linear %[[H]] norm %[[N]], %[[WG]], %[[WU]] {norm_eps = 9.9999999999999995E-7 : f64} : tensor<?x64xf32> norm tensor<64xf32>, tensor<256x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xbf16>
// NONORM-LABEL: func.func @decode_ffn
// NONORM: %[[X:.+]] = retention.rms_norm
// NONORM: retention.swiglu_linear %[[X]], %{{.+}}, %{{.+}} : tensor<?x64xbf16>
func.func @decode_ffn(%h: tensor<?x64xf32>, %n: tensor<64xf32>, %wg: tensor<256x64xbf16>, %wu: tensor<256x64xbf16>) -> tensor<?x256xbf16> attributes {retention.max_tokens = 1 : i64} {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xbf16>
  %g = retention.linear %x, %wg : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xbf16>
  %u = retention.linear %x, %wu : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xbf16>
  %f = retention.swiglu %g, %u : tensor<?x256xbf16>, tensor<?x256xbf16> -> tensor<?x256xbf16>
  return %f : tensor<?x256xbf16>
}

// -----

// Prefill (64 rows): neither fusion.
// CHECK-LABEL: func.func @prefill_ffn
// CHECK: retention.rms_norm
// CHECK: retention.linear
// CHECK: retention.linear
// CHECK: retention.swiglu %
func.func @prefill_ffn(%h: tensor<?x64xf32>, %n: tensor<64xf32>, %wg: tensor<256x64xbf16>, %wu: tensor<256x64xbf16>) -> tensor<?x256xbf16> attributes {retention.max_tokens = 64 : i64} {
  %x = retention.rms_norm %h, %n {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xbf16>
  %g = retention.linear %x, %wg : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xbf16>
  %u = retention.linear %x, %wu : tensor<?x64xbf16>, tensor<256x64xbf16> -> tensor<?x256xbf16>
  %f = retention.swiglu %g, %u : tensor<?x256xbf16>, tensor<?x256xbf16> -> tensor<?x256xbf16>
  return %f : tensor<?x256xbf16>
}

// -----

// Two projections with different folded norms (or, below, one without)
// stay apart.
// CHECK-LABEL: func.func @different_norms
// CHECK: retention.linear %{{.+}} norm
// CHECK: retention.linear %{{.+}} norm
// CHECK: retention.swiglu %
func.func @different_norms(%h: tensor<1x64xf32>, %n1: tensor<64xf32>, %n2: tensor<64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) -> tensor<1x256xf32> attributes {retention.max_tokens = 1 : i64} {
  %g = retention.linear %h norm %n1, %wg {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<256x64xf32> -> tensor<1x256xf32>
  %u = retention.linear %h norm %n2, %wu {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<256x64xf32> -> tensor<1x256xf32>
  %f = retention.swiglu %g, %u : tensor<1x256xf32>, tensor<1x256xf32> -> tensor<1x256xf32>
  return %f : tensor<1x256xf32>
}

// -----

// CHECK-LABEL: func.func @one_without_norm
// CHECK: retention.linear %{{.+}} norm
// CHECK: retention.linear %{{[^ ]+}}, %
// CHECK: retention.swiglu %
func.func @one_without_norm(%h: tensor<1x64xf32>, %n1: tensor<64xf32>, %wg: tensor<256x64xf32>, %wu: tensor<256x64xf32>) -> tensor<1x256xf32> attributes {retention.max_tokens = 1 : i64} {
  %g = retention.linear %h norm %n1, %wg {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<256x64xf32> -> tensor<1x256xf32>
  %u = retention.linear %h, %wu : tensor<1x64xf32>, tensor<256x64xf32> -> tensor<1x256xf32>
  %f = retention.swiglu %g, %u : tensor<1x256xf32>, tensor<1x256xf32> -> tensor<1x256xf32>
  return %f : tensor<1x256xf32>
}
