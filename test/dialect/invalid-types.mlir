// RUN: retc-opt %s --split-input-file --verify-diagnostics
// The ODS constraints of the retention ops: 4-D activations of f32, bf16 or
// f16, an f32 state, the required attributes and their kinds.

func.func @rank3_query(%q: tensor<8x2x4xf32>, %v: tensor<2x8x2x6xf32>) {
  // expected-error @+1 {{'retention.retention' op operand #0 must be 4-D tensor of 32-bit float or bfloat16 type or 16-bit float values, but got 'tensor<8x2x4xf32>'}}
  %o, %s = retention.retention %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<8x2x4xf32>, tensor<8x2x4xf32>, tensor<2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @rank5_value(%q: tensor<2x8x2x4xf32>, %v: tensor<1x2x8x2x6xf32>) {
  // expected-error @+1 {{'retention.parallel' op operand #2 must be 4-D tensor of 32-bit float or bfloat16 type or 16-bit float values, but got 'tensor<1x2x8x2x6xf32>'}}
  %o, %s = retention.parallel %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<1x2x8x2x6xf32> -> tensor<2x8x2x6xf32>, tensor<2x2x4x6xf32>
  return
}

// -----

func.func @f64_inputs(%q: tensor<2x8x2x4xf64>) {
  // expected-error @+1 {{'retention.recurrent' op operand #0 must be 4-D tensor of 32-bit float or bfloat16 type or 16-bit float values, but got 'tensor<2x8x2x4xf64>'}}
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf64>, tensor<2x8x2x4xf64>, tensor<2x8x2x4xf64> -> tensor<2x8x2x4xf64>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @integer_inputs(%q: tensor<2x8x2x4xi8>) {
  // expected-error @+1 {{'retention.chunkwise' op operand #0 must be 4-D tensor of 32-bit float or bfloat16 type or 16-bit float values, but got 'tensor<2x8x2x4xi8>'}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 4 : i64, decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xi8>, tensor<2x8x2x4xi8>, tensor<2x8x2x4xi8> -> tensor<2x8x2x4xi8>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @initial_state_bf16(%q: tensor<2x8x2x4xbf16>, %s0: tensor<2x2x4x4xbf16>) {
  // expected-error @+1 {{'retention.retention' op operand #3 must be 4-D tensor of 32-bit float values, but got 'tensor<2x2x4x4xbf16>'}}
  %o, %s = retention.retention %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xbf16>, tensor<2x8x2x4xbf16>, tensor<2x8x2x4xbf16>, tensor<2x2x4x4xbf16> -> tensor<2x8x2x4xbf16>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @final_state_f16(%q: tensor<2x8x2x4xf16>) {
  // expected-error @+1 {{'retention.parallel' op result #1 must be 4-D tensor of 32-bit float values, but got 'tensor<2x2x4x4xf16>'}}
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf16>, tensor<2x8x2x4xf16>, tensor<2x8x2x4xf16> -> tensor<2x8x2x4xf16>, tensor<2x2x4x4xf16>
  return
}

// -----

func.func @final_state_rank3(%q: tensor<2x8x2x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op result #1 must be 4-D tensor of 32-bit float values, but got 'tensor<2x4x4xf32>'}}
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32> -> tensor<2x8x2x4xf32>, tensor<2x4x4xf32>
  return
}

// -----

func.func @output_rank(%q: tensor<2x8x2x4xf32>) {
  // expected-error @+1 {{'retention.retention' op result #0 must be 4-D tensor of 32-bit float or bfloat16 type or 16-bit float values, but got 'tensor<16x2x4xf32>'}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32> -> tensor<16x2x4xf32>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @unranked(%q: tensor<2x8x2x4xf32>) {
  // expected-error @+2 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32> -> tensor<2x8x2x4xf32>, tensor<*xf32>
  return
}

// -----

func.func @missing_decay(%q: tensor<2x8x2x4xf32>) {
  // expected-error @+1 {{'retention.retention' op requires attribute 'decay'}}
  %o, %s = retention.retention %q, %q, %q
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32> -> tensor<2x8x2x4xf32>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @decay_wrong_kind(%q: tensor<2x8x2x4xf32>) {
  // expected-error @+1 {{'retention.parallel' op attribute 'decay' failed to satisfy constraint: per-head decay gamma_h in (0, 1)}}
  %o, %s = retention.parallel %q, %q, %q {decay = 0.9 : f64}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32> -> tensor<2x8x2x4xf32>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @scale_f32(%q: tensor<2x8x2x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>, scale = 0.5 : f32}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32> -> tensor<2x8x2x4xf32>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @missing_chunk_size(%q: tensor<2x8x2x4xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op requires attribute 'chunk_size'}}
  %o, %s = retention.chunkwise %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32> -> tensor<2x8x2x4xf32>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @chunk_size_i32(%q: tensor<2x8x2x4xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op attribute 'chunk_size' failed to satisfy constraint: 64-bit signless integer attribute}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 8 : i32, decay = #retention.decay<retnet>}
      : tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32> -> tensor<2x8x2x4xf32>, tensor<2x2x4x4xf32>
  return
}

// -----

func.func @two_initial_states(%q: tensor<2x8x2x4xf32>, %s0: tensor<2x2x4x4xf32>) {
  // expected-error @+1 {{'retention.retention' op operand group starting at #3 requires 0 or 1 element, but found 2}}
  %o:2 = "retention.retention"(%q, %q, %q, %s0, %s0) <{decay = #retention.decay<retnet>, operandSegmentSizes = array<i32: 1, 1, 1, 2, 0>}>
      : (tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x8x2x4xf32>, tensor<2x2x4x4xf32>, tensor<2x2x4x4xf32>) -> (tensor<2x8x2x4xf32>, tensor<2x2x4x4xf32>)
  return
}

// -----

func.func @segments_not_i64(%q: tensor<1x8x2x4xf32>, %off: tensor<3xi32>) {
  // expected-error @+1 {{'retention.chunkwise' op operand #3 must be 1D tensor of 64-bit signless integer values, but got 'tensor<3xi32>'}}
  %o, %s = retention.chunkwise %q, %q, %q segments(%off : tensor<3xi32>) {chunk_size = 4 : i64, decay = #retention.decay<retnet>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<2x2x4x4xf32>
  return
}
