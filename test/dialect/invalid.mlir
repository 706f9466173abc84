// RUN: retc-opt %s --split-input-file --verify-diagnostics
// One case per message of the verifier shared by the retention ops
// (verifyRetention in dialect/RetentionOps.cpp).

func.func @key_shape(%q: tensor<2x8x2x4xf32>, %k: tensor<2x8x2x5xf32>, %v: tensor<2x8x2x6xf32>) {
  // expected-error @+1 {{'retention.retention' op key shape [2, 8, 2, 5] does not match query shape [2, 8, 2, 4]}}
  %o, %s = retention.retention %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x5xf32>, tensor<2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @key_shape_dynamic(%q: tensor<2x?x2x4xf32>, %k: tensor<2x8x3x4xf32>, %v: tensor<2x8x2x6xf32>) {
  // expected-error @+1 {{'retention.parallel' op key shape [2, 8, 3, 4] does not match query shape [2, ?, 2, 4]}}
  %o, %s = retention.parallel %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<2x?x2x4xf32>, tensor<2x8x3x4xf32>, tensor<2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @value_shape_batch(%q: tensor<2x8x2x4xf32>, %v: tensor<3x8x2x6xf32>) {
  // expected-error @+1 {{'retention.retention' op value shape [3, 8, 2, 6] does not match query shape [2, 8, 2, 4] in [B, T, H]}}
  %o, %s = retention.retention %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<3x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @value_shape_length(%q: tensor<2x8x2x4xf32>, %v: tensor<2x9x2x6xf32>) {
  // expected-error @+1 {{'retention.recurrent' op value shape [2, 9, 2, 6] does not match query shape [2, 8, 2, 4] in [B, T, H]}}
  %o, %s = retention.recurrent %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x9x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @value_shape_heads(%q: tensor<2x8x2x4xf32>, %v: tensor<2x8x4x6xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op value shape [2, 8, 4, 6] does not match query shape [2, 8, 2, 4] in [B, T, H]}}
  %o, %s = retention.chunkwise %q, %q, %v {chunk_size = 4 : i64, decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x4x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @zero_length(%q: tensor<2x0x2x4xf32>, %v: tensor<2x0x2x6xf32>) {
  // expected-error @+1 {{'retention.retention' op dimension sizes must be positive, got q [2, 0, 2, 4] and v [2, 0, 2, 6]}}
  %o, %s = retention.retention %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x0x2x4xf32>, tensor<2x0x2x4xf32>, tensor<2x0x2x6xf32> -> tensor<2x0x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @zero_value_dim(%q: tensor<2x8x2x4xf32>, %v: tensor<2x8x2x0xf32>) {
  // expected-error @+1 {{'retention.parallel' op dimension sizes must be positive, got q [2, 8, 2, 4] and v [2, 8, 2, 0]}}
  %o, %s = retention.parallel %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x0xf32> -> tensor<2x8x2x0xf32>, tensor<2x2x4x0xf32>
  return
}

// -----

func.func @zero_heads_dynamic_batch(%q: tensor<?x8x0x4xf32>, %v: tensor<?x8x0x6xf32>) {
  // expected-error @+1 {{'retention.recurrent' op dimension sizes must be positive, got q [?, 8, 0, 4] and v [?, 8, 0, 6]}}
  %o, %s = retention.recurrent %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<?x8x0x4xf32>, tensor<?x8x0x4xf32>, tensor<?x8x0x6xf32> -> tensor<?x8x0x6xf32>, tensor<?x0x4x6xf32>
  return
}

// -----

func.func @mixed_key_type(%q: tensor<2x8x2x4xf32>, %k: tensor<2x8x2x4xbf16>, %v: tensor<2x8x2x6xf32>) {
  // expected-error @+1 {{'retention.retention' op q, k and v must have one element type, got 'f32', 'bf16', 'f32'}}
  %o, %s = retention.retention %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xbf16>, tensor<2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @mixed_value_type(%q: tensor<2x8x2x4xbf16>, %v: tensor<2x8x2x6xf16>) {
  // expected-error @+1 {{'retention.chunkwise' op q, k and v must have one element type, got 'bf16', 'bf16', 'f16'}}
  %o, %s = retention.chunkwise %q, %q, %v {chunk_size = 2 : i64, decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xbf16>, tensor<2x8x2x4xbf16>, tensor<2x8x2x6xf16> -> tensor<2x8x2x6xbf16>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @output_shape(%q: tensor<2x8x2x4xf32>, %v: tensor<2x8x2x6xf32>) {
  // expected-error @+1 {{'retention.retention' op output shape [2, 8, 2, 4] does not match [B, T, H, V] = [2, 8, 2, 6]}}
  %o, %s = retention.retention %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x6xf32> -> tensor<2x8x2x4xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @output_shape_dynamic_query(%q: tensor<?x8x2x4xf32>, %v: tensor<?x8x2x6xf32>) {
  // expected-error @+1 {{'retention.parallel' op output shape [3, 8, 2, 5] does not match [B, T, H, V] = [?, 8, 2, 6]}}
  %o, %s = retention.parallel %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<?x8x2x4xf32>, tensor<?x8x2x4xf32>, tensor<?x8x2x6xf32> -> tensor<3x8x2x5xf32>, tensor<3x2x4x6xf32>
  return
}

// -----

func.func @output_element_type(%q: tensor<2x8x2x4xbf16>, %v: tensor<2x8x2x6xbf16>) {
  // expected-error @+1 {{'retention.recurrent' op output element type 'f32' does not match input element type 'bf16'}}
  %o, %s = retention.recurrent %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xbf16>, tensor<2x8x2x4xbf16>, tensor<2x8x2x6xbf16> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @initial_state_shape(%q: tensor<2x8x2x4xf32>, %v: tensor<2x8x2x6xf32>, %s0: tensor<2x2x6x4xf32>) {
  // expected-error @+1 {{'retention.retention' op initial state shape [2, 2, 6, 4] does not match [B, H, K, V] = [2, 2, 4, 6]}}
  %o, %s = retention.retention %q, %q, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x6xf32>, tensor<2x2x6x4xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @initial_state_batch(%q: tensor<2x1x2x4xf16>, %s0: tensor<1x2x4x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op initial state shape [1, 2, 4, 4] does not match [B, H, K, V] = [2, 2, 4, 4]}}
  %o, %s = retention.recurrent %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<2x1x2x4xf16>, tensor<2x1x2x4xf16>, tensor<2x1x2x4xf16>, tensor<1x2x4x4xf32> -> tensor<2x1x2x4xf16>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @final_state_shape(%q: tensor<2x8x2x4xf32>, %v: tensor<2x8x2x6xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op final state shape [2, 8, 4, 6] does not match [B, H, K, V] = [2, 2, 4, 6]}}
  %o, %s = retention.chunkwise %q, %q, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x8x4x6xf32>
  return
}

// -----

func.func @explicit_decay_too_few(%q: tensor<2x8x3x4xf32>) {
  // expected-error @+1 {{'retention.retention' op explicit decay has 2 values but there are 3 heads}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<[0.5, 0.9]>}
      : tensor<2x8x3x4xf32>, tensor<2x8x3x4xf32>, tensor<2x8x3x4xf32> -> tensor<2x8x3x4xf32>, tensor<2x3x4x4xf32>
  return
}

// -----

func.func @explicit_decay_too_many(%q: tensor<1x8x1x4xf32>) {
  // expected-error @+1 {{'retention.parallel' op explicit decay has 2 values but there are 1 heads}}
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<[0.5, 0.9]>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}

// -----

// 1 - 2^(-5-h) rounds to 1 in double from head 49 on.
func.func @retnet_decay_too_many_heads(%q: tensor<1x1x50x2xf32>) {
  // expected-error @+1 {{'retention.recurrent' op decay 'retnet' is defined for at most 49 heads, got 50: gamma_h = 1 - 2^(-5-h) rounds to 1 in double from head 49 on}}
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x1x50x2xf32>, tensor<1x1x50x2xf32>, tensor<1x1x50x2xf32> -> tensor<1x1x50x2xf32>, tensor<1x50x2x2xf32>
  return
}

// -----

func.func @retnet_decay_49_heads(%q: tensor<1x1x49x2xf32>) {
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x1x49x2xf32>, tensor<1x1x49x2xf32>, tensor<1x1x49x2xf32> -> tensor<1x1x49x2xf32>, tensor<1x49x2x2xf32>
  return
}

// -----

func.func @scale_zero(%q: tensor<1x8x1x4xf32>) {
  // expected-error @+1 {{'retention.retention' op scale must be positive and finite, got 0.000000e+00}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>, scale = 0.0 : f64}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}

// -----

func.func @scale_negative(%q: tensor<1x8x1x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op scale must be positive and finite, got -2.500000e-01}}
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>, scale = -0.25 : f64}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}

// -----

func.func @scale_infinite(%q: tensor<1x8x1x4xf32>) {
  // expected-error @+1 {{'retention.parallel' op scale must be positive and finite, got INF}}
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>, scale = 0x7FF0000000000000 : f64}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}

// -----

func.func @scale_nan(%q: tensor<1x8x1x4xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op scale must be positive and finite, got nan}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 4 : i64, decay = #retention.decay<retnet>, scale = 0x7FF8000000000000 : f64}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}

// -----

func.func @chunk_size_zero(%q: tensor<1x8x1x4xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op chunk size must be positive, got 0}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 0 : i64, decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}

// -----

func.func @chunk_size_negative(%q: tensor<1x8x1x4xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op chunk size must be positive, got -16}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = -16 : i64, decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}

// -----

func.func @segments_batch_two(%q: tensor<2x8x1x4xf32>, %off: tensor<3xi64>) {
  // expected-error @+1 {{'retention.chunkwise' op with segments, q, k and v must have batch 1 (the sequences packed along T), got [2, 8, 1, 4]}}
  %o, %s = retention.chunkwise %q, %q, %q segments(%off : tensor<3xi64>) {chunk_size = 4 : i64, decay = #retention.decay<retnet>}
      : tensor<2x8x1x4xf32>, tensor<2x8x1x4xf32>, tensor<2x8x1x4xf32> -> tensor<2x8x1x4xf32>, tensor<2x1x4x4xf32>
  return
}

// -----

func.func @segments_one_offset(%q: tensor<1x8x1x4xf32>, %off: tensor<1xi64>) {
  // expected-error @+1 {{'retention.retention' op segments must hold at least 2 offsets (N + 1 for N sequences), got 1}}
  %o, %s = retention.retention %q, %q, %q segments(%off : tensor<1xi64>) {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}

// -----

func.func @segments_state_count(%q: tensor<1x8x1x4xf32>, %off: tensor<4xi64>, %s0: tensor<2x1x4x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op initial state shape [2, 1, 4, 4] does not match [N, H, K, V] = [3, 1, 4, 4]}}
  %o, %s = retention.recurrent %q, %q, %q initial %s0 segments(%off : tensor<4xi64>) {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<2x1x4x4xf32> -> tensor<1x8x1x4xf32>, tensor<3x1x4x4xf32>
  return
}

// -----

func.func @segments_final_state_count(%q: tensor<1x8x1x4xf32>, %off: tensor<4xi64>) {
  // expected-error @+1 {{'retention.parallel' op final state shape [1, 1, 4, 4] does not match [N, H, K, V] = [3, 1, 4, 4]}}
  %o, %s = retention.parallel %q, %q, %q segments(%off : tensor<4xi64>) {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return
}
