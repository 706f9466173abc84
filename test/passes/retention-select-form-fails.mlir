// RUN: not retc-opt %s --retention-select-form=chunk-size=0 2>&1 | FileCheck %s
// A non-positive chunk size fails the pass before anything is rewritten (the
// value printed after "got" is checked in retention-select-form-errors.mlir).

// CHECK: retention-select-form-fails.mlir:0:0: error: retention-select-form: chunk-size must be positive, got
// CHECK-NOT: retention.chunkwise
// CHECK: "retention.retention"(%arg0, %arg0, %arg0)
// CHECK-NOT: retention.chunkwise
func.func @f(%q: tensor<1x100x1x4xf32>) -> (tensor<1x100x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x100x1x4xf32>, tensor<1x100x1x4xf32>, tensor<1x100x1x4xf32> -> tensor<1x100x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x100x1x4xf32>, tensor<1x1x4x4xf32>
}
