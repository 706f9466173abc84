// RUN: retc-opt %s --split-input-file --verify-diagnostics
// BUG: verifyRetention takes B, T, H and K from q alone
// (RetentionShape::of(q, v)), so when a dimension of q is dynamic, static
// sizes of v, the output, the states and the explicit decay that contradict
// one another are all accepted. Each case below is inconsistent IR that the
// verifier should reject; today retc-opt accepts every one of them.

func.func @output_heads_contradict_value(%q: tensor<2x8x?x4xf32>, %v: tensor<2x8x3x6xf32>) {
  // expected-error @+1 {{does not match}}
  %o, %s = retention.parallel %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x?x4xf32>, tensor<2x8x?x4xf32>, tensor<2x8x3x6xf32> -> tensor<2x8x5x6xf32>, tensor<2x3x4x6xf32>
  return
}

// -----

func.func @state_heads_contradict_value(%q: tensor<2x8x?x4xf32>, %v: tensor<2x8x3x6xf32>) {
  // expected-error @+1 {{does not match}}
  %o, %s = retention.recurrent %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x?x4xf32>, tensor<2x8x?x4xf32>, tensor<2x8x3x6xf32> -> tensor<2x8x3x6xf32>, tensor<2x7x4x6xf32>
  return
}

// -----

func.func @explicit_decay_count_vs_value_heads(%q: tensor<2x8x?x4xf32>, %v: tensor<2x8x3x6xf32>) {
  // expected-error @+1 {{explicit decay has 1 values but there are 3 heads}}
  %o, %s = retention.retention %q, %q, %v {decay = #retention.decay<[0.5]>}
      : tensor<2x8x?x4xf32>, tensor<2x8x?x4xf32>, tensor<2x8x3x6xf32> -> tensor<2x8x3x6xf32>, tensor<2x3x4x6xf32>
  return
}

// -----

func.func @key_dim_contradicts_between_k_and_state(%q: tensor<2x8x2x?xf32>, %k: tensor<2x8x2x4xf32>, %v: tensor<2x8x2x6xf32>) {
  // expected-error @+1 {{does not match}}
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 4 : i64, decay = #retention.decay<retnet>}
      : tensor<2x8x2x?xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x9x6xf32>
  return
}
