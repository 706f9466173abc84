// RUN: retc-opt %s --split-input-file --verify-diagnostics --convert-retention-to-cpu
// Ops the CPU lowering cannot take: the form-agnostic op and dynamic sizes
// other than B and T (a dynamic T or B is lowered:
// convert-retention-to-cpu-dynamic-t.mlir).

func.func @no_form(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  // expected-error @+1 {{'retention.retention' op has no form yet; run retention-select-form before convert-retention-to-cpu}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

func.func @dynamic_heads_explicit_decay(%q: tensor<1x8x?x4xf32>) -> (tensor<1x8x?x4xf32>, tensor<1x?x4x4xf32>) {
  // expected-error @+1 {{'retention.parallel' op needs static H, K and V to be lowered to the CPU (only B and T may be dynamic)}}
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<[0.5, 0.75]>}
      : tensor<1x8x?x4xf32>, tensor<1x8x?x4xf32>, tensor<1x8x?x4xf32> -> tensor<1x8x?x4xf32>, tensor<1x?x4x4xf32>
  return %o, %s : tensor<1x8x?x4xf32>, tensor<1x?x4x4xf32>
}

// -----

func.func @dynamic_value_dim(%q: tensor<1x8x1x4xf32>, %v: tensor<1x8x1x?xf32>) -> (tensor<1x8x1x?xf32>, tensor<1x1x4x?xf32>) {
  // expected-error @+1 {{'retention.parallel' op needs static H, K and V to be lowered to the CPU (only B and T may be dynamic)}}
  %o, %s = retention.parallel %q, %q, %v {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x?xf32> -> tensor<1x8x1x?xf32>, tensor<1x1x4x?xf32>
  return %o, %s : tensor<1x8x1x?xf32>, tensor<1x1x4x?xf32>
}
