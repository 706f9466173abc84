// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a | FileCheck %s
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu | FileCheck %s --check-prefix=LOWER
// A schedule written in the IR is honoured, not re-chosen: here the
// mma.sync kernel with 64-column slices and one stage on sm_90a, where the
// pass alone would take wgmma; the pass fills in its shared bytes, and the
// lowering follows it (grid x = V / 64 slices, 128 threads) and records it
// on the gpu.module.

// CHECK-LABEL: func.func @pinned
// CHECK: retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 128, chunk = 64, value_slice = 64, shared_bytes = 53248>
// LOWER: gpu.module @pinned attributes {retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 128, chunk = 64, value_slice = 64, shared_bytes = 53248>}
// LOWER: gpu.func @pinned
// LOWER-SAME: retention.launch = {block = array<i64: 128, 1, 1>, grid = array<i64: 2, 16, 8>, shared_bytes = 53248 : i64}
func.func @pinned(%q: tensor<8x4096x16x128xbf16>, %k: tensor<8x4096x16x128xbf16>, %v: tensor<8x4096x16x128xbf16>) -> (tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 128, chunk = 64, value_slice = 64>}
      : tensor<8x4096x16x128xbf16>, tensor<8x4096x16x128xbf16>, tensor<8x4096x16x128xbf16> -> tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>
  return %o, %s : tensor<8x4096x16x128xbf16>, tensor<8x16x128x128xf32>
}

// -----

// A pinned SIMT decode schedule with one column a thread and 8 thread rows.
// CHECK-LABEL: func.func @decode
// CHECK: retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 64, rows = 8>
// LOWER: gpu.func @decode
// LOWER-SAME: retention.launch = {block = array<i64: 64, 8, 1>, grid = array<i64: 2, 16, 4>, shared_bytes = 0 : i64}
func.func @decode(%q: tensor<4x1x16x128xbf16>, %k: tensor<4x1x16x128xbf16>, %v: tensor<4x1x16x128xbf16>, %s0: tensor<4x16x128x128xf32>) -> (tensor<4x1x16x128xbf16>, tensor<4x16x128x128xf32>) {
  %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 64, rows = 8>}
      : tensor<4x1x16x128xbf16>, tensor<4x1x16x128xbf16>, tensor<4x1x16x128xbf16>, tensor<4x16x128x128xf32> -> tensor<4x1x16x128xbf16>, tensor<4x16x128x128xf32>
  return %o, %s : tensor<4x1x16x128xbf16>, tensor<4x16x128x128xf32>
}
