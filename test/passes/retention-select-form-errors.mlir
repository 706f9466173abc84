// RUN: not retc-opt %s --retention-select-form=chunk-size=0 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not retc-opt %s --retention-select-form=chunk-size=-8 2>&1 | FileCheck %s --check-prefix=NEG
// BUG: the diagnostic streams the pass option (an llvm::cl::opt<int64_t>)
// into the InFlightDiagnostic, which prints it as a raw char: chunk-size=0
// gives "got " followed by a NUL byte, chunk-size=-8 gives byte 0xF8.
// The value should be printed as a number.

// ZERO: error: retention-select-form: chunk-size must be positive, got 0{{$}}
// NEG: error: retention-select-form: chunk-size must be positive, got -8{{$}}
func.func @f(%q: tensor<1x100x1x4xf32>) -> (tensor<1x100x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x100x1x4xf32>, tensor<1x100x1x4xf32>, tensor<1x100x1x4xf32> -> tensor<1x100x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x100x1x4xf32>, tensor<1x1x4x4xf32>
}
