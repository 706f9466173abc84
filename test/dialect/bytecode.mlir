// RUN: retc-opt %s --emit-bytecode | retc-opt | FileCheck %s
// The retention ops and the decay attribute survive a bytecode round trip.

// CHECK-LABEL: func.func @bytecode
// CHECK: retention.parallel {{.+}} initial {{.+}} {decay = #retention.decay<[5.000000e-01, 6.250000e-01, 8.750000e-01]>, scale = 2.500000e-01 : f64}
// CHECK: retention.chunkwise {{.+}} {chunk_size = 3 : i64, decay = #retention.decay<paper>}
// CHECK: retention.retention {{.+}} {decay = #retention.decay<retnet>}
func.func @bytecode(%q: tensor<2x5x3x4xbf16>, %s0: tensor<2x3x4x4xf32>) -> (tensor<2x5x3x4xbf16>, tensor<2x3x4x4xf32>) {
  %o, %s = retention.parallel %q, %q, %q initial %s0 {decay = #retention.decay<[0.5, 0.625, 0.875]>, scale = 0.25 : f64}
      : tensor<2x5x3x4xbf16>, tensor<2x5x3x4xbf16>, tensor<2x5x3x4xbf16>, tensor<2x3x4x4xf32> -> tensor<2x5x3x4xbf16>, tensor<2x3x4x4xf32>
  %o2, %s2 = retention.chunkwise %o, %q, %q {chunk_size = 3 : i64, decay = #retention.decay<paper>}
      : tensor<2x5x3x4xbf16>, tensor<2x5x3x4xbf16>, tensor<2x5x3x4xbf16> -> tensor<2x5x3x4xbf16>, tensor<2x3x4x4xf32>
  %o3, %s3 = retention.retention %o2, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x5x3x4xbf16>, tensor<2x5x3x4xbf16>, tensor<2x5x3x4xbf16> -> tensor<2x5x3x4xbf16>, tensor<2x3x4x4xf32>
  return %o3, %s2 : tensor<2x5x3x4xbf16>, tensor<2x3x4x4xf32>
}
