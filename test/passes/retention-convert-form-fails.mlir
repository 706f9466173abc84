// RUN: not retc-opt %s --retention-convert-form="to=chunkwise chunk-size=-4" 2>&1 | FileCheck %s
// A negative chunk size fails the pass and nothing is converted (the value
// after "got" is checked in retention-convert-form-errors.mlir).

// CHECK: retention-convert-form-fails.mlir:0:0: error: retention-convert-form: chunk-size must not be negative, got
// CHECK-NOT: retention.chunkwise
// CHECK: "retention.parallel"(%arg0, %arg0, %arg0)
// CHECK-NOT: retention.chunkwise
func.func @f(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
