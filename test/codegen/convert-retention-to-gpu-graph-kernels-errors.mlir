// RUN: retc-opt %s --split-input-file --convert-retention-to-gpu --verify-diagnostics
// What convert-retention-to-gpu refuses of a function of one graph op
// (codegen/gpu/GraphKernels.h).

// A kernel function is lowered for its rows: they must be known.
func.func @dynamic_rows(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'retention.add' op needs a static row count to be lowered to a single GPU kernel}}
  %y = retention.add %a, %b : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Widths size the kernel's layout.
func.func @dynamic_width(%x: tensor<4x?xf32>, %w: tensor<?xf32>) -> tensor<4x?xf32> {
  // expected-error @+1 {{'retention.rms_norm' op needs positive static sizes (but for the row count) to be lowered to a GPU kernel, got 'tensor<4x?xf32>'}}
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<4x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
  return %y : tensor<4x?xf32>
}

// -----

func.func @zero_width(%x: tensor<4x0xf32>) -> tensor<4x0xf32> {
  // expected-error @+1 {{'retention.repeat_heads' op needs positive static sizes (but for the row count) to be lowered to a GPU kernel, got 'tensor<4x0xf32>'}}
  %y = retention.repeat_heads %x {head_dim = 4 : i64, groups = 2 : i64} : tensor<4x0xf32> -> tensor<4x0xf32>
  return %y : tensor<4x0xf32>
}

// -----

// An embedding table of a run-time vocabulary.
func.func @dynamic_vocab(%t: tensor<3xi32>, %table: tensor<?x8xf32>) -> tensor<3x8xf32> {
  // expected-error @+1 {{'retention.embedding' op needs positive static sizes (but for the row count) to be lowered to a GPU kernel, got 'tensor<?x8xf32>'}}
  %y = retention.embedding %t, %table : tensor<3xi32>, tensor<?x8xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// Zero rows: nothing to launch.
func.func @zero_rows(%a: tensor<0x8xf32>, %b: tensor<0x8xf32>) -> tensor<0x8xf32> {
  // expected-error @+1 {{'retention.add' op a GPU kernel needs at least one row, got 0}}
  %y = retention.add %a, %b : tensor<0x8xf32>, tensor<0x8xf32> -> tensor<0x8xf32>
  return %y : tensor<0x8xf32>
}
