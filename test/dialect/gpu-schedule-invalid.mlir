// RUN: retc-opt %s --split-input-file --verify-diagnostics
// The schedule's own verifier (ranges, the families' fields, segment
// arithmetic) and the form op's (form, element type, shape, chunk).

func.func @block(%q: tensor<1x8x1x16xbf16>) -> (tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>) {
  // expected-error @+2 {{gpu_schedule: block must be a multiple of 32 from 32 to 1024, got 48}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 48, chunk = 16>}
      : tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16> -> tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
}

// -----

func.func @wgmma_chunk(%q: tensor<1x8x1x16xbf16>) -> (tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>) {
  // expected-error @+2 {{gpu_schedule: kernel = wgmma takes chunk 64 and a value_slice of 64 or 128, got chunk 32 and value_slice 64}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 32 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 128, chunk = 32, value_slice = 64>}
      : tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16> -> tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
}

// -----

func.func @threads(%q: tensor<1x8x1x16xbf16>) -> (tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>) {
  // expected-error @+2 {{gpu_schedule: block must be 2 * value_slice (a warp per 16 value columns) = 64, got 128}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 128, chunk = 16, value_slice = 32>}
      : tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16> -> tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
}

// -----

func.func @segments_need_length(%q: tensor<1x8x1x16xbf16>) -> (tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>) {
  // expected-error @+2 {{gpu_schedule: segment_length must be a positive multiple of the chunk (16), got 24}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 32, chunk = 16, value_slice = 16, segments = 2, segment_length = 24>}
      : tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16> -> tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
}

// -----

func.func @simt_fields(%q: tensor<1x8x1x16xf32>) -> (tensor<1x8x1x16xf32>, tensor<1x1x16x16xf32>) {
  // expected-error @+2 {{gpu_schedule: value_slice, stages, segments and the states kernel's fields belong to the tensor-core kernels, not to kernel = simt}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 16, stages = 2>}
      : tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xf32>, tensor<1x1x16x16xf32>
}

// -----

func.func @mma_on_f32(%q: tensor<1x8x1x16xf32>) -> (tensor<1x8x1x16xf32>, tensor<1x1x16x16xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op gpu_schedule: kernel = mma_sync needs bf16 or f16 inputs, got 'f32'}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 32, chunk = 16, value_slice = 16>}
      : tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xf32>, tensor<1x1x16x16xf32>
}

// -----

func.func @chunk_mismatch(%q: tensor<1x8x1x16xbf16>) -> (tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op gpu_schedule: chunk 32 differs from the op's chunk_size 16}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 32, chunk = 32, value_slice = 16>}
      : tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16> -> tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
}

// -----

func.func @recurrent_chunk(%q: tensor<1x1x1x16xf32>) -> (tensor<1x1x1x16xf32>, tensor<1x1x16x16xf32>) {
  // expected-error @+1 {{'retention.recurrent' op gpu_schedule: the recurrent form has no chunk}}
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 16>}
      : tensor<1x1x1x16xf32>, tensor<1x1x1x16xf32>, tensor<1x1x1x16xf32> -> tensor<1x1x1x16xf32>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x1x1x16xf32>, tensor<1x1x16x16xf32>
}

// -----

func.func @lanes(%q: tensor<1x1x1x16xf32>, %v: tensor<1x1x1x30xf32>) -> (tensor<1x1x1x30xf32>, tensor<1x1x16x30xf32>) {
  // expected-error @+1 {{'retention.recurrent' op gpu_schedule: lanes = 4 needs V a multiple of 4, got V = 30}}
  %o, %s = retention.recurrent %q, %q, %v {decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 4, lanes = 4>}
      : tensor<1x1x1x16xf32>, tensor<1x1x1x16xf32>, tensor<1x1x1x30xf32> -> tensor<1x1x1x30xf32>, tensor<1x1x16x30xf32>
  return %o, %s : tensor<1x1x1x30xf32>, tensor<1x1x16x30xf32>
}

// -----

// expected-error @+1 {{'func.func' op retention.gpu_schedule must be a #retention.gpu_schedule, got 3 : i64}}
func.func @not_a_schedule() attributes {retention.gpu_schedule = 3} {
  return
}

// -----

// expected-error @+1 {{'func.func' op unknown retention attribute 'retention.sched'}}
func.func @unknown() attributes {retention.sched = 3} {
  return
}

// -----

func.func @gemv(%q: tensor<1x8x1x16xbf16>) -> (tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>) {
  // expected-error @+2 {{gpu_schedule: kernel = gemv is a GEMM kernel (#retention.gemm_schedule of retention.linear), not a retention one}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = gemv, block = 128, chunk = 16>}
      : tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16> -> tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
}

// -----

func.func @gemv_score_tile(%q: tensor<1x8x1x16xbf16>) -> (tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>) {
  // expected-error @+2 {{gpu_schedule: score_tile must be simt or mma_sync, got gemv}}
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 16 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 128, chunk = 16, score_tile = gemv>}
      : tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16>, tensor<1x8x1x16xbf16> -> tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
  return %o, %s : tensor<1x8x1x16xbf16>, tensor<1x1x16x16xf32>
}
