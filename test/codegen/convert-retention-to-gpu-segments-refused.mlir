// RUN: retc-opt %s --verify-diagnostics --convert-retention-to-gpu
// Packed sequences have no GPU lowering yet: an op with segments and a
// schedule written by hand is refused by the lowering too, not computed as
// one sequence.

func.func @segments(%q: tensor<1x8x1x4xf32>, %off: tensor<3xi64>) -> (tensor<1x8x1x4xf32>, tensor<2x1x4x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op with segments (packed sequences) has no GPU lowering yet (the CPU's takes it)}}
  %o, %s = retention.recurrent %q, %q, %q segments(%off : tensor<3xi64>) {decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 4, lanes = 4>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<2x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<2x1x4x4xf32>
}
