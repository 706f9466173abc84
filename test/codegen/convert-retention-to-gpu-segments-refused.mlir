// RUN: retc-opt %s --verify-diagnostics --convert-retention-to-gpu
// Packed sequences on the GPU take the SIMT chunkwise kernel: a
// tensor-core chunkwise schedule written by hand is refused, not computed
// as one sequence.

func.func @segments(%q: tensor<1x64x2x64xbf16>, %off: tensor<3xi64>) -> (tensor<1x64x2x64xbf16>, tensor<2x2x64x64xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op with segments needs a simt schedule (the tensor-core chunkwise kernels do not take packed sequences yet)}}
  %o, %s = retention.chunkwise %q, %q, %q segments(%off : tensor<3xi64>) {chunk_size = 64 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 128, chunk = 64, value_slice = 64>}
      : tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16>, tensor<1x64x2x64xbf16> -> tensor<1x64x2x64xbf16>, tensor<2x2x64x64xf32>
  return %o, %s : tensor<1x64x2x64xbf16>, tensor<2x2x64x64xf32>
}
