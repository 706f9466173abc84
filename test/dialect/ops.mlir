// RUN: retc-opt %s --split-input-file | retc-opt --split-input-file | FileCheck %s
// Round trip of the four retention ops through the custom assembly format.

// CHECK-LABEL: func.func @generic_no_state
// CHECK-SAME: (%[[Q:.+]]: tensor<2x8x2x4xf32>, %[[K:.+]]: tensor<2x8x2x4xf32>, %[[V:.+]]: tensor<2x8x2x6xf32>)
// CHECK: %[[O:.+]], %[[S:.+]] = retention.retention %[[Q]], %[[K]], %[[V]] {decay = #retention.decay<retnet>}
// CHECK-SAME: : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
// CHECK: return %[[O]], %[[S]]
func.func @generic_no_state(%q: tensor<2x8x2x4xf32>, %k: tensor<2x8x2x4xf32>, %v: tensor<2x8x2x6xf32>) -> (tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>) {
  %o, %s = retention.retention %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return %o, %s : tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
}

// -----

// CHECK-LABEL: func.func @generic_initial_state
// CHECK-SAME: (%[[Q:.+]]: tensor<2x8x2x4xbf16>, %[[V:.+]]: tensor<2x8x2x6xbf16>, %[[S0:.+]]: tensor<2x2x4x6xf32>)
// CHECK: retention.retention %[[Q]], %[[Q]], %[[V]] initial %[[S0]] {decay = #retention.decay<paper>}
// CHECK-SAME: : tensor<2x8x2x4xbf16>, tensor<2x8x2x4xbf16>, tensor<2x8x2x6xbf16>, tensor<2x2x4x6xf32> -> tensor<2x8x2x6xbf16>, tensor<2x2x4x6xf32>
func.func @generic_initial_state(%q: tensor<2x8x2x4xbf16>, %v: tensor<2x8x2x6xbf16>, %s0: tensor<2x2x4x6xf32>) -> (tensor<2x8x2x6xbf16>, tensor<2x2x4x6xf32>) {
  %o, %s = retention.retention %q, %q, %v initial %s0 {decay = #retention.decay<paper>}
      : tensor<2x8x2x4xbf16>, tensor<2x8x2x4xbf16>, tensor<2x8x2x6xbf16>, tensor<2x2x4x6xf32> -> tensor<2x8x2x6xbf16>, tensor<2x2x4x6xf32>
  return %o, %s : tensor<2x8x2x6xbf16>, tensor<2x2x4x6xf32>
}

// -----

// CHECK-LABEL: func.func @parallel_explicit_decay_scale
// CHECK: retention.parallel %{{.+}}, %{{.+}}, %{{.+}} {decay = #retention.decay<[5.000000e-01, 9.687500e-01]>, scale = 1.250000e-01 : f64}
// CHECK-SAME: : tensor<1x16x2x8xf16>, tensor<1x16x2x8xf16>, tensor<1x16x2x8xf16> -> tensor<1x16x2x8xf16>, tensor<1x2x8x8xf32>
func.func @parallel_explicit_decay_scale(%q: tensor<1x16x2x8xf16>) -> (tensor<1x16x2x8xf16>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<[0.5, 0.96875]>, scale = 0.125 : f64}
      : tensor<1x16x2x8xf16>, tensor<1x16x2x8xf16>, tensor<1x16x2x8xf16> -> tensor<1x16x2x8xf16>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x16x2x8xf16>, tensor<1x2x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @parallel_initial_state
// CHECK-SAME: %[[S0:[^:]+]]: tensor<1x2x8x8xf32>
// CHECK: retention.parallel %{{.+}} initial %[[S0]] {decay = #retention.decay<retnet>}
func.func @parallel_initial_state(%q: tensor<1x16x2x8xf32>, %s0: tensor<1x2x8x8xf32>) -> (tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.parallel %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @chunkwise
// CHECK: retention.chunkwise %{{.+}}, %{{.+}}, %{{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
// CHECK-SAME: : tensor<1x4096x8x128xf32>, tensor<1x4096x8x128xf32>, tensor<1x4096x8x128xf32> -> tensor<1x4096x8x128xf32>, tensor<1x8x128x128xf32>
func.func @chunkwise(%q: tensor<1x4096x8x128xf32>) -> (tensor<1x4096x8x128xf32>, tensor<1x8x128x128xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x4096x8x128xf32>, tensor<1x4096x8x128xf32>, tensor<1x4096x8x128xf32> -> tensor<1x4096x8x128xf32>, tensor<1x8x128x128xf32>
  return %o, %s : tensor<1x4096x8x128xf32>, tensor<1x8x128x128xf32>
}

// -----

// CHECK-LABEL: func.func @chunkwise_all_attrs
// CHECK-SAME: %[[S0:[^:]+]]: tensor<2x3x4x5xf32>
// CHECK: retention.chunkwise %{{.+}} initial %[[S0]] {chunk_size = 7 : i64, decay = #retention.decay<[2.500000e-01, 5.000000e-01, 7.500000e-01]>, scale = 2.000000e+00 : f64}
// CHECK-SAME: tensor<2x37x3x5xbf16>, tensor<2x3x4x5xf32>
func.func @chunkwise_all_attrs(%q: tensor<2x37x3x4xbf16>, %v: tensor<2x37x3x5xbf16>, %s0: tensor<2x3x4x5xf32>) -> (tensor<2x37x3x5xbf16>, tensor<2x3x4x5xf32>) {
  %o, %s = retention.chunkwise %q, %q, %v initial %s0 {chunk_size = 7 : i64, decay = #retention.decay<[0.25, 0.5, 0.75]>, scale = 2.0 : f64}
      : tensor<2x37x3x4xbf16>, tensor<2x37x3x4xbf16>, tensor<2x37x3x5xbf16>, tensor<2x3x4x5xf32> -> tensor<2x37x3x5xbf16>, tensor<2x3x4x5xf32>
  return %o, %s : tensor<2x37x3x5xbf16>, tensor<2x3x4x5xf32>
}

// -----

// CHECK-LABEL: func.func @recurrent_decode
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<8x1x2x64xf16>, %[[S0:[^:]+]]: tensor<8x2x64x64xf32>)
// CHECK: %[[O:.+]], %[[S:.+]] = retention.recurrent %[[Q]], %[[Q]], %[[Q]] initial %[[S0]] {decay = #retention.decay<[9.000000e-01, 9.843750e-01]>}
// CHECK-SAME: -> tensor<8x1x2x64xf16>, tensor<8x2x64x64xf32>
// CHECK: return %[[O]], %[[S]]
func.func @recurrent_decode(%q: tensor<8x1x2x64xf16>, %s0: tensor<8x2x64x64xf32>) -> (tensor<8x1x2x64xf16>, tensor<8x2x64x64xf32>) {
  %o, %s = retention.recurrent %q, %q, %q initial %s0 {decay = #retention.decay<[0.9, 0.984375]>}
      : tensor<8x1x2x64xf16>, tensor<8x1x2x64xf16>, tensor<8x1x2x64xf16>, tensor<8x2x64x64xf32> -> tensor<8x1x2x64xf16>, tensor<8x2x64x64xf32>
  return %o, %s : tensor<8x1x2x64xf16>, tensor<8x2x64x64xf32>
}

// -----

// CHECK-LABEL: func.func @recurrent_no_state
// CHECK: retention.recurrent %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {decay = #retention.decay<paper>, scale = 1.000000e+00 : f64}
// CHECK-NOT: initial
// CHECK: return
func.func @recurrent_no_state(%q: tensor<1x3x1x4xf32>) -> (tensor<1x3x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<paper>, scale = 1.0 : f64}
      : tensor<1x3x1x4xf32>, tensor<1x3x1x4xf32>, tensor<1x3x1x4xf32> -> tensor<1x3x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x3x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// Dynamic sizes are allowed by the verifier (codegen needs static ones).
// CHECK-LABEL: func.func @dynamic
// CHECK: retention.retention {{.+}} : tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>, tensor<?x?x4x16xf32> -> tensor<?x?x4x16xf32>, tensor<?x4x8x16xf32>
func.func @dynamic(%q: tensor<?x?x4x8xf32>, %v: tensor<?x?x4x16xf32>) -> (tensor<?x?x4x16xf32>, tensor<?x4x8x16xf32>) {
  %o, %s = retention.retention %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<?x?x4x8xf32>, tensor<?x?x4x8xf32>, tensor<?x?x4x16xf32> -> tensor<?x?x4x16xf32>, tensor<?x4x8x16xf32>
  return %o, %s : tensor<?x?x4x16xf32>, tensor<?x4x8x16xf32>
}

// -----

// A user attribute survives the round trip next to the inherent ones.
// CHECK-LABEL: func.func @discardable_attr
// CHECK: retention.parallel {{.+}} {decay = #retention.decay<retnet>, user.tag = "keep"}
func.func @discardable_attr(%q: tensor<1x2x1x4xf32>) -> (tensor<1x2x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>, user.tag = "keep"}
      : tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32>, tensor<1x2x1x4xf32> -> tensor<1x2x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x2x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// Packed sequences: N + 1 offsets, q, k, v and o of batch 1, states of N.
// CHECK-LABEL: func.func @segments
// CHECK: retention.chunkwise %{{.+}} initial %{{.+}} segments(%{{.+}} : tensor<?xi64>) {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
// CHECK: retention.retention %{{.+}} segments(%{{.+}} : tensor<4xi64>) {decay
func.func @segments(%q: tensor<1x?x4x8xbf16>, %v: tensor<1x?x4x16xbf16>, %off: tensor<?xi64>, %s0: tensor<?x4x8x16xf32>, %off4: tensor<4xi64>) -> (tensor<1x?x4x16xbf16>, tensor<?x4x8x16xf32>, tensor<3x4x8x16xf32>) {
  %o, %s = retention.chunkwise %q, %q, %v initial %s0 segments(%off : tensor<?xi64>) {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x?x4x8xbf16>, tensor<1x?x4x8xbf16>, tensor<1x?x4x16xbf16>, tensor<?x4x8x16xf32> -> tensor<1x?x4x16xbf16>, tensor<?x4x8x16xf32>
  %o2, %s2 = retention.retention %q, %q, %v segments(%off4 : tensor<4xi64>) {decay = #retention.decay<retnet>}
      : tensor<1x?x4x8xbf16>, tensor<1x?x4x8xbf16>, tensor<1x?x4x16xbf16> -> tensor<1x?x4x16xbf16>, tensor<3x4x8x16xf32>
  return %o, %s, %s2 : tensor<1x?x4x16xbf16>, tensor<?x4x8x16xf32>, tensor<3x4x8x16xf32>
}
