// RUN: retc-opt %s --split-input-file --verify-diagnostics
// BUG: RepeatHeadsOp::verify tests `getGroups() <= 0`, but an I64Attr's
// getter returns uint64_t, so a negative `groups` is a huge unsigned value
// and passes: with static widths the error is then the misleading "the
// result width is 64, expected -64", and with a dynamic width the op is
// accepted and reaches the CPU lowering. Both must say that groups must be
// positive.

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
