// RUN: retc-opt %s --split-input-file --verify-diagnostics --retention-gpu-select-schedule=target=sm_90
// Explicit schedules are checked on the target: the family must exist
// there, the tiles must fit, and byte counts given must be the layout's.

func.func @wgmma_on_sm90(%q: tensor<1x128x2x64xbf16>, %k: tensor<1x128x2x64xbf16>, %v: tensor<1x128x2x64xbf16>) -> (tensor<1x128x2x64xbf16>, tensor<1x2x64x64xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op gpu_schedule on sm_90: kernel = wgmma needs a target with wgmma (sm_90a)}}
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 128, chunk = 64, value_slice = 64>}
      : tensor<1x128x2x64xbf16>, tensor<1x128x2x64xbf16>, tensor<1x128x2x64xbf16> -> tensor<1x128x2x64xbf16>, tensor<1x2x64x64xf32>
  return %o, %s : tensor<1x128x2x64xbf16>, tensor<1x2x64x64xf32>
}

// -----

func.func @too_big(%q: tensor<1x128x2x256xbf16>, %k: tensor<1x128x2x256xbf16>, %v: tensor<1x128x2x512xbf16>) -> (tensor<1x128x2x512xbf16>, tensor<1x2x256x512xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op gpu_schedule on sm_90: its tiles need 349184 bytes of shared memory, more than 232448}}
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 256, chunk = 64, value_slice = 128, stages = 4>}
      : tensor<1x128x2x256xbf16>, tensor<1x128x2x256xbf16>, tensor<1x128x2x512xbf16> -> tensor<1x128x2x512xbf16>, tensor<1x2x256x512xf32>
  return %o, %s : tensor<1x128x2x512xbf16>, tensor<1x2x256x512xf32>
}

// -----

func.func @wrong_bytes(%q: tensor<1x128x2x64xbf16>, %k: tensor<1x128x2x64xbf16>, %v: tensor<1x128x2x64xbf16>) -> (tensor<1x128x2x64xbf16>, tensor<1x2x64x64xf32>) {
  // expected-error @+1 {{'retention.chunkwise' op gpu_schedule on sm_90: shared_bytes is 1000 but the kernel's layout takes 0 (its tiles are static shared memory)}}
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 128, chunk = 64, value_slice = 64, shared_bytes = 1000>}
      : tensor<1x128x2x64xbf16>, tensor<1x128x2x64xbf16>, tensor<1x128x2x64xbf16> -> tensor<1x128x2x64xbf16>, tensor<1x2x64x64xf32>
  return %o, %s : tensor<1x128x2x64xbf16>, tensor<1x2x64x64xf32>
}

// -----

func.func @simt_tile_too_big(%q: tensor<1x256x2x64xf32>, %k: tensor<1x256x2x64xf32>, %v: tensor<1x256x2x64xf32>) -> (tensor<1x256x2x64xf32>, tensor<1x2x64x64xf32>) {
  // expected-error @+1 {{'retention.parallel' op needs 81920 bytes of shared memory (chunk 128), more than the 48 KiB a GPU block has; use a smaller chunk}}
  %o, %s = retention.parallel %q, %k, %v {decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, chunk = 128>}
      : tensor<1x256x2x64xf32>, tensor<1x256x2x64xf32>, tensor<1x256x2x64xf32> -> tensor<1x256x2x64xf32>, tensor<1x2x64x64xf32>
  return %o, %s : tensor<1x256x2x64xf32>, tensor<1x2x64x64xf32>
}
