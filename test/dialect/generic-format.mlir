// RUN: retc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// RUN: retc-opt %s --mlir-print-op-generic | retc-opt | FileCheck %s
// The generic form keeps decay, scale and chunk_size as properties, and it
// parses back to the custom form.

// GENERIC-LABEL: sym_name = "generic"
// GENERIC: "retention.chunkwise"(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) <{chunk_size = 16 : i64, decay = #retention.decay<[2.500000e-01, 7.500000e-01]>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>, scale = 5.000000e-01 : f64}>
// GENERIC-SAME: (tensor<1x32x2x8xf32>, tensor<1x32x2x8xf32>, tensor<1x32x2x8xf32>, tensor<1x2x8x8xf32>) -> (tensor<1x32x2x8xf32>, tensor<1x2x8x8xf32>)
// GENERIC: "retention.recurrent"(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}) <{decay = #retention.decay<retnet>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}>
// GENERIC: "retention.retention"(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}) <{decay = #retention.decay<retnet>, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>}>

// CHECK-LABEL: func.func @generic
// CHECK-SAME: %[[S0:[^:]+]]: tensor<1x2x8x8xf32>
// CHECK: retention.chunkwise %{{.+}} initial %[[S0]] {chunk_size = 16 : i64, decay = #retention.decay<[2.500000e-01, 7.500000e-01]>, scale = 5.000000e-01 : f64}
// CHECK: retention.recurrent %{{.+}} {decay = #retention.decay<retnet>}
// CHECK: retention.retention %{{.+}} initial %{{.+}} segments(%{{.+}} : tensor<?xi64>) {decay = #retention.decay<retnet>}
func.func @generic(%q: tensor<1x32x2x8xf32>, %s0: tensor<1x2x8x8xf32>, %off: tensor<?xi64>, %s3: tensor<?x2x8x8xf32>) -> (tensor<1x32x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q initial %s0 {chunk_size = 16 : i64, decay = #retention.decay<[0.25, 0.75]>, scale = 0.5 : f64}
      : tensor<1x32x2x8xf32>, tensor<1x32x2x8xf32>, tensor<1x32x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x32x2x8xf32>, tensor<1x2x8x8xf32>
  %o2, %s2 = retention.recurrent %o, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x32x2x8xf32>, tensor<1x32x2x8xf32>, tensor<1x32x2x8xf32> -> tensor<1x32x2x8xf32>, tensor<1x2x8x8xf32>
  %o3, %s3b = retention.retention %q, %q, %q initial %s3 segments(%off : tensor<?xi64>) {decay = #retention.decay<retnet>}
      : tensor<1x32x2x8xf32>, tensor<1x32x2x8xf32>, tensor<1x32x2x8xf32>, tensor<?x2x8x8xf32> -> tensor<1x32x2x8xf32>, tensor<?x2x8x8xf32>
  return %o2, %s : tensor<1x32x2x8xf32>, tensor<1x2x8x8xf32>
}
