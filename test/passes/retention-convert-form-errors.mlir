// RUN: not retc-opt %s --retention-convert-form="to=chunkwise chunk-size=-4" 2>&1 | FileCheck %s
// BUG: like retention-select-form, the pass streams its chunk-size option
// into the diagnostic as a char: "got " is followed by byte 0xFC instead of
// "-4".

// CHECK: error: retention-convert-form: chunk-size must not be negative, got -4{{$}}
func.func @f(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
