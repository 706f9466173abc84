// RUN: retc-opt %s --split-input-file --verify-diagnostics
// A negative `groups` (an I64Attr read back as unsigned) is refused as such,
// with static and with dynamic widths.

func.func @repeat_heads_groups_negative(%k: tensor<?x32xf32>) {
  // expected-error @+1 {{'retention.repeat_heads' op groups must be positive, got -2}}
  %r = retention.repeat_heads %k {head_dim = 16 : i64, groups = -2 : i64} : tensor<?x32xf32> -> tensor<?x64xf32>
  return
}

// -----

func.func @repeat_heads_groups_negative_dynamic_width(%k: tensor<?x?xf32>) {
  // expected-error @+1 {{'retention.repeat_heads' op groups must be positive, got -1}}
  %r = retention.repeat_heads %k {head_dim = 16 : i64, groups = -1 : i64} : tensor<?x?xf32> -> tensor<?x?xf32>
  return
}
