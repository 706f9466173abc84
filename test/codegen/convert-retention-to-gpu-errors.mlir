// RUN: retc-opt %s --split-input-file --verify-diagnostics --retention-gpu-select-schedule="target=sm_80 num-sms=132 tensor-cores=0" --convert-retention-to-gpu
// What convert-retention-to-gpu refuses, with the op's or the function's
// location.

func.func @no_form(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  // expected-error @+1 {{'retention.retention' op has no form yet; run retention-select-form before retention-gpu-select-schedule}}
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

func.func @dynamic(%q: tensor<1x?x1x4xf32>) -> (tensor<1x?x1x4xf32>, tensor<1x1x4x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op needs static shapes to be lowered to the GPU}}
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x?x1x4xf32>, tensor<1x?x1x4xf32>, tensor<1x?x1x4xf32> -> tensor<1x?x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x?x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// expected-error @+1 {{convert-retention-to-gpu: one retention op per kernel function}}
func.func @two_ops(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o1, %s1 = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  %o2, %s2 = retention.parallel %o1, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o2, %s2 : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// expected-error @+1 {{convert-retention-to-gpu: a kernel function must consist of one retention op returning its results}}
func.func @results_swapped(%q: tensor<1x4x1x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x4x1x4xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32> -> tensor<1x4x1x4xf32>, tensor<1x1x4x4xf32>
  return %s, %o : tensor<1x1x4x4xf32>, tensor<1x4x1x4xf32>
}

// -----

// expected-error @+1 {{convert-retention-to-gpu: a kernel function must consist of one retention op returning its results}}
func.func @extra_op(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %c = arith.constant 0 : index
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// expected-error @+1 {{convert-retention-to-gpu: argument not used by the retention op}}
func.func @unused_argument(%q: tensor<1x8x1x4xf32>, %extra: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

func.func @chunk_too_big(%q: tensor<1x512x1x4xf32>, %k: tensor<1x512x1x4xf32>, %v: tensor<1x512x1x4xf32>) -> (tensor<1x512x1x4xf32>, tensor<1x1x4x4xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op needs 263168 bytes of shared memory (chunk 256), more than the 48 KiB a GPU block has; use a smaller chunk}}
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 256 : i64, decay = #retention.decay<retnet>}
      : tensor<1x512x1x4xf32>, tensor<1x512x1x4xf32>, tensor<1x512x1x4xf32> -> tensor<1x512x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x512x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// Packed sequences: the chunkwise form only (the SIMT kernel), not
// computed as one sequence in another form.
func.func @segments_recurrent(%q: tensor<1x8x1x4xf32>, %off: tensor<3xi64>) -> (tensor<1x8x1x4xf32>, tensor<2x1x4x4xf32>) {
  // expected-error @+1 {{'retention.recurrent' op with segments is lowered to the GPU in the chunkwise form only}}
  %o, %s = retention.recurrent %q, %q, %q segments(%off : tensor<3xi64>) {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<2x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<2x1x4x4xf32>
}
