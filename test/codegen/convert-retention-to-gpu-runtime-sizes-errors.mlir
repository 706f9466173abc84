// RUN: retc-opt %s --split-input-file --verify-diagnostics --retention-gpu-select-schedule="target=sm_80 num-sms=132 segments=2" --convert-retention-to-gpu=runtime-sizes=1
// What convert-retention-to-gpu{runtime-sizes} refuses: a batch other than 1
// (the run-time T is that of a packed [1, Tmax, H, K] input), and a
// segmented tensor-core schedule (its segment count, grid and workspace
// depend on T).

func.func @batch(%q: tensor<2x8x1x4xf32>) -> (tensor<2x8x1x4xf32>, tensor<2x1x4x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op takes a run-time token count only with batch 1 (a packed [1, Tmax, H, K] input), not 2}}
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<2x8x1x4xf32>, tensor<2x8x1x4xf32>, tensor<2x8x1x4xf32> -> tensor<2x8x1x4xf32>, tensor<2x1x4x4xf32>
  return %o, %s : tensor<2x8x1x4xf32>, tensor<2x1x4x4xf32>
}

// -----

func.func @batch_mma(%q: tensor<2x64x1x16xbf16>) -> (tensor<2x64x1x16xbf16>, tensor<2x1x16x16xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op takes a run-time token count only with batch 1 (a packed [1, Tmax, H, K] input), not 2}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>}
      : tensor<2x64x1x16xbf16>, tensor<2x64x1x16xbf16>, tensor<2x64x1x16xbf16> -> tensor<2x64x1x16xbf16>, tensor<2x1x16x16xf32>
  return %o, %s : tensor<2x64x1x16xbf16>, tensor<2x1x16x16xf32>
}

// -----

func.func @segments(%q: tensor<1x4096x1x64xbf16>) -> (tensor<1x4096x1x64xbf16>, tensor<1x1x64x64xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op takes no run-time token count with 2 segments: the segment count, the grid and the workspace depend on T (pin segments = 1 in the schedule)}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x4096x1x64xbf16>, tensor<1x4096x1x64xbf16>, tensor<1x4096x1x64xbf16> -> tensor<1x4096x1x64xbf16>, tensor<1x1x64x64xf32>
  return %o, %s : tensor<1x4096x1x64xbf16>, tensor<1x1x64x64xf32>
}

// -----

// A run-time batch (a kernel function marked retention.runtime_batch) only
// in the SIMT recurrent kernel of a batched decode step.
func.func @batch_chunkwise(%q: tensor<4x16x1x8xf32>) -> (tensor<4x16x1x8xf32>, tensor<4x1x8x8xf32>) attributes {retention.runtime_batch} {
  // expected-error @+1 {{'retention.chunkwise' op takes a run-time batch only in the SIMT recurrent kernel (a batched decode step)}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>}
      : tensor<4x16x1x8xf32>, tensor<4x16x1x8xf32>, tensor<4x16x1x8xf32> -> tensor<4x16x1x8xf32>, tensor<4x1x8x8xf32>
  return %o, %s : tensor<4x16x1x8xf32>, tensor<4x1x8x8xf32>
}
