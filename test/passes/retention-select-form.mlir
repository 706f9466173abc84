// RUN: retc-opt %s --split-input-file --retention-select-form | FileCheck %s
// form=auto (the default): T = 1 -> recurrent, T <= 64 -> parallel, longer
// (or dynamic) -> chunkwise with chunk size 64. Operands, results, decay,
// scale and initial state are kept.

// CHECK-LABEL: func.func @decode_step
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<4x1x2x8xf32>, %[[S0:[^:]+]]: tensor<4x2x8x8xf32>)
// CHECK: %[[O:.+]], %[[S:.+]] = retention.recurrent %[[Q]], %[[Q]], %[[Q]] initial %[[S0]] {decay = #retention.decay<retnet>}
// CHECK-SAME: -> tensor<4x1x2x8xf32>, tensor<4x2x8x8xf32>
// CHECK-NOT: retention.retention
// CHECK: return %[[O]], %[[S]]
func.func @decode_step(%q: tensor<4x1x2x8xf32>, %s0: tensor<4x2x8x8xf32>) -> (tensor<4x1x2x8xf32>, tensor<4x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<4x1x2x8xf32>, tensor<4x1x2x8xf32>, tensor<4x1x2x8xf32>, tensor<4x2x8x8xf32> -> tensor<4x1x2x8xf32>, tensor<4x2x8x8xf32>
  return %o, %s : tensor<4x1x2x8xf32>, tensor<4x2x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @short_t2
// CHECK: retention.parallel
// CHECK-SAME: {decay = #retention.decay<paper>}
func.func @short_t2(%q: tensor<1x2x2x8xf32>) -> (tensor<1x2x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<paper>}
      : tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32> -> tensor<1x2x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x2x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @boundary_t64
// CHECK: retention.parallel
// CHECK-NOT: chunk_size
func.func @boundary_t64(%q: tensor<1x64x2x8xf32>) -> (tensor<1x64x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x64x2x8xf32>, tensor<1x64x2x8xf32>, tensor<1x64x2x8xf32> -> tensor<1x64x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x64x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @boundary_t65
// CHECK: retention.chunkwise %{{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
func.func @boundary_t65(%q: tensor<1x65x2x8xf32>) -> (tensor<1x65x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x65x2x8xf32>, tensor<1x65x2x8xf32>, tensor<1x65x2x8xf32> -> tensor<1x65x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x65x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// Everything a prefill op carries is kept: initial state, explicit decay,
// scale, element type, a discardable attribute.
// CHECK-LABEL: func.func @prefill_keeps_everything
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x4096x3x16xbf16>, %[[K:[^:]+]]: tensor<2x4096x3x16xbf16>, %[[V:[^:]+]]: tensor<2x4096x3x24xbf16>, %[[S0:[^:]+]]: tensor<2x3x16x24xf32>)
// CHECK: %[[O:.+]], %[[S:.+]] = retention.chunkwise %[[Q]], %[[K]], %[[V]] initial %[[S0]]
// CHECK-SAME: {chunk_size = 64 : i64, decay = #retention.decay<[9.000000e-01, 9.375000e-01, 9.843750e-01]>, scale = 2.500000e-01 : f64, user.tag = 7 : i32}
// CHECK-SAME: : tensor<2x4096x3x16xbf16>, tensor<2x4096x3x16xbf16>, tensor<2x4096x3x24xbf16>, tensor<2x3x16x24xf32> -> tensor<2x4096x3x24xbf16>, tensor<2x3x16x24xf32>
// CHECK: return %[[O]], %[[S]]
func.func @prefill_keeps_everything(%q: tensor<2x4096x3x16xbf16>, %k: tensor<2x4096x3x16xbf16>, %v: tensor<2x4096x3x24xbf16>, %s0: tensor<2x3x16x24xf32>) -> (tensor<2x4096x3x24xbf16>, tensor<2x3x16x24xf32>) {
  %o, %s = retention.retention %q, %k, %v initial %s0 {decay = #retention.decay<[0.9, 0.9375, 0.984375]>, scale = 0.25 : f64, user.tag = 7 : i32}
      : tensor<2x4096x3x16xbf16>, tensor<2x4096x3x16xbf16>, tensor<2x4096x3x24xbf16>, tensor<2x3x16x24xf32> -> tensor<2x4096x3x24xbf16>, tensor<2x3x16x24xf32>
  return %o, %s : tensor<2x4096x3x24xbf16>, tensor<2x3x16x24xf32>
}

// -----

// A dynamic sequence length could be anything: chunkwise.
// CHECK-LABEL: func.func @dynamic_length
// CHECK: retention.chunkwise {{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>} : tensor<1x?x2x8xf16>
func.func @dynamic_length(%q: tensor<1x?x2x8xf16>) -> (tensor<1x?x2x8xf16>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x?x2x8xf16>, tensor<1x?x2x8xf16>, tensor<1x?x2x8xf16> -> tensor<1x?x2x8xf16>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x?x2x8xf16>, tensor<1x2x8x8xf32>
}

// -----

// Ops that already have a form are left alone, whatever their length.
// CHECK-LABEL: func.func @already_formed
// CHECK: retention.parallel {{.+}} : tensor<1x1000x2x8xf32>
// CHECK: retention.chunkwise {{.+}} {chunk_size = 3 : i64, decay = #retention.decay<retnet>} : tensor<1x1x2x8xf32>
// CHECK: retention.recurrent {{.+}} : tensor<1x1000x2x8xf32>
func.func @already_formed(%a: tensor<1x1000x2x8xf32>, %b: tensor<1x1x2x8xf32>) {
  %o1, %s1 = retention.parallel %a, %a, %a {decay = #retention.decay<retnet>}
      : tensor<1x1000x2x8xf32>, tensor<1x1000x2x8xf32>, tensor<1x1000x2x8xf32> -> tensor<1x1000x2x8xf32>, tensor<1x2x8x8xf32>
  %o2, %s2 = retention.chunkwise %b, %b, %b {chunk_size = 3 : i64, decay = #retention.decay<retnet>}
      : tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32> -> tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>
  %o3, %s3 = retention.recurrent %a, %a, %a {decay = #retention.decay<retnet>}
      : tensor<1x1000x2x8xf32>, tensor<1x1000x2x8xf32>, tensor<1x1000x2x8xf32> -> tensor<1x1000x2x8xf32>, tensor<1x2x8x8xf32>
  return
}

// -----

// Several ops in one function each get the form of their own length, and the
// uses follow the replaced results.
// CHECK-LABEL: func.func @two_ops
// CHECK: %[[O1:[^,]+]], %{{.+}} = retention.parallel
// CHECK: %[[O2:[^,]+]], %{{.+}} = retention.recurrent
// CHECK: return %[[O1]], %[[O2]]
func.func @two_ops(%a: tensor<1x8x1x4xf32>, %b: tensor<1x1x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x1x4xf32>) {
  %o1, %s1 = retention.retention %a, %a, %a {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  %o2, %s2 = retention.retention %b, %b, %b {decay = #retention.decay<retnet>}
      : tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32> -> tensor<1x1x1x4xf32>, tensor<1x1x4x4xf32>
  return %o1, %o2 : tensor<1x8x1x4xf32>, tensor<1x1x1x4xf32>
}
