// RUN: retc-opt %s --split-input-file --verify-diagnostics --retention-select-form
// A function's `retention.form` must name a form a model entry point
// computes with: "parallel", "chunkwise" or "recurrent" (a string). The
// error is reported on the function.

// expected-error @+1 {{retention.form must be "parallel", "chunkwise" or "recurrent", got "fast"}}
func.func @unknown(%q: tensor<1x8x2x8xf32>) -> (tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = "fast"} {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32> -> tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// "generic" and "auto" are pass options, not forms an entry point computes with.
// expected-error @+1 {{retention.form must be "parallel", "chunkwise" or "recurrent", got "generic"}}
func.func @generic(%q: tensor<1x8x2x8xf32>) -> (tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = "generic"} {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32> -> tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// expected-error @+1 {{retention.form must be "parallel", "chunkwise" or "recurrent", got "auto"}}
func.func @auto(%q: tensor<1x?x2x8xf32>) -> (tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = "auto"} {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32> -> tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// Case matters.
// expected-error @+1 {{retention.form must be "parallel", "chunkwise" or "recurrent", got "Chunkwise"}}
func.func @capitalized(%q: tensor<1x8x2x8xf32>) -> (tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = "Chunkwise"} {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32> -> tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// Not a string.
// expected-error @+1 {{retention.form must be "parallel", "chunkwise" or "recurrent", got 1 : i64}}
func.func @integer(%q: tensor<1x8x2x8xf32>) -> (tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = 1 : i64} {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32> -> tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
}
