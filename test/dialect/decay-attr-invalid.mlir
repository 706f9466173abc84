// RUN: retc-opt %s --split-input-file --verify-diagnostics
// Parsing and verification of #retention.decay (dialect/RetentionAttrs.cpp):
// values strictly in (0, 1), at least one, known schedule names.

// -----

func.func @decay_one(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{decay of head 1 is 1.000000e+00, expected a value strictly between 0 and 1}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[0.5, 1.0]>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @decay_zero(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{decay of head 0 is 0.000000e+00, expected a value strictly between 0 and 1}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[0.0, 0.5]>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @decay_negative(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{decay of head 0 is -5.000000e-01, expected a value strictly between 0 and 1}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[-0.5, 0.5]>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @decay_above_one(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{decay of head 1 is 1.500000e+00, expected a value strictly between 0 and 1}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[0.5, 1.5]>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @decay_nan(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{decay of head 0 is nan, expected a value strictly between 0 and 1}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[0x7FF8000000000000, 0.5]>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @decay_empty(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{explicit decay needs at least one value}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[]>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @unknown_schedule(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{unknown decay schedule 'torchscale', expected 'retnet', 'paper' or [values]}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<torchscale>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @explicit_keyword(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{unknown decay schedule 'explicit', expected 'retnet', 'paper' or [values]}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<explicit>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @schedule_case(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{unknown decay schedule 'RetNet', expected 'retnet', 'paper' or [values]}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<RetNet>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @named_with_values(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{expected '>'}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<paper, [0.5, 0.9]>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @not_a_number(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{expected floating point literal}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[0.5, fast]>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @missing_bracket(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{unbalanced '[' character in pretty dialect name}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[0.5, 0.9>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}

// -----

func.func @empty_params(%q: tensor<1x8x2x4xf32>) {
  // expected-error @+1 {{expected valid keyword}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  return
}
