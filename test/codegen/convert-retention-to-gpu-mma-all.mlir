// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 num-sms=132 segments=1" --convert-retention-to-gpu | FileCheck %s
// With mma-all, a chunkwise op on bf16/f16 inputs becomes the tensor-core
// kernel: a warp per 16 value columns (slice 32 here: 64 threads), grid
// (V / slice, H, B), the chunk's q, k, v (two buffers: the next chunk's rows
// are copied in by cp.async while this one is computed) and the score tile
// in shared memory (rows padded by 8 elements), the state in scf.for
// iter_args (f32 accumulators) across the chunks, its B fragments for Q S
// transposed in registers (movmatrix, inline PTX); two
// barriers a chunk with two buffers, three with one. f32 inputs keep the
// SIMT kernel.

// CHECK-LABEL: gpu.module @small
// CHECK: gpu.func @small({{.*}}) workgroup(%[[QS:[^ ]+]] : memref<64x72xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[KS:[^ ]+]] : memref<64x72xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[VS:[^ ]+]] : memref<64x40xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[AS:[^ ]+]] : memref<32x40xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 64, 1, 1>, grid = array<i64: 2, 3, 2>, shared_bytes = 0 : i64}
// The first chunk's rows, copied before the loop as one group.
// CHECK: nvgpu.device_async_copy %{{.+}}, %[[QS]][{{.*}}], 8, %{{.+}} {bypassL1}
// CHECK: nvgpu.device_async_copy %{{.+}}, %[[KS]][{{.*}}], 8, %{{.+}} {bypassL1}
// CHECK: nvgpu.device_async_copy %{{.+}}, %[[VS]][{{.*}}], 8, %{{.+}} {bypassL1}
// CHECK: nvvm.cp.async.commit.group
// The state: 64 rows x 16 columns a warp = 32 f32 per thread.
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// This chunk's rows (issued one chunk ago) are waited for; after the barrier the next
// chunk's rows, if there is one, go to the other buffer between the
// matmuls: q after the score tile, k after Q S, v after the middle barrier
// (then the group's commit).
// CHECK: nvvm.cp.async.wait.group 0
// CHECK-NEXT: gpu.barrier
// CHECK: nvgpu.ldmatrix %[[QS]]{{.*}}numTiles = 4 : i32, transpose = false
// CHECK: nvgpu.ldmatrix %[[KS]]{{.*}}numTiles = 2 : i32, transpose = false
// CHECK: nvvm.mma.sync
// CHECK: vector.store %{{.+}}, %[[AS]]
// CHECK: scf.if
// CHECK: nvgpu.device_async_copy %{{.+}}, %[[QS]]
// CHECK: llvm.inline_asm {{.*}}"movmatrix.sync.aligned.m8n8.trans.b16
// CHECK: scf.if
// CHECK: nvgpu.device_async_copy %{{.+}}, %[[KS]]
// CHECK: gpu.barrier
// CHECK: nvgpu.device_async_copy %{{.+}}, %[[VS]]
// CHECK: nvvm.cp.async.commit.group
// CHECK: nvgpu.ldmatrix %[[VS]]{{.*}}numTiles = 2 : i32, transpose = true
// CHECK: nvgpu.ldmatrix %[[AS]]{{.*}}numTiles = 4 : i32, transpose = false
// CHECK: nvgpu.ldmatrix %[[KS]]{{.*}}numTiles = 4 : i32, transpose = true
// CHECK: scf.yield
// CHECK: vector.store {{.*}} vector<2xf32>
// CHECK: gpu.return
func.func @small(%q: tensor<2x100x3x64xbf16>, %k: tensor<2x100x3x64xbf16>, %v: tensor<2x100x3x64xbf16>, %s0: tensor<2x3x64x64xf32>) -> (tensor<2x100x3x64xbf16>, tensor<2x3x64x64xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v initial %s0 {chunk_size = 32 : i64, decay = #retention.decay<retnet>}
      : tensor<2x100x3x64xbf16>, tensor<2x100x3x64xbf16>, tensor<2x100x3x64xbf16>, tensor<2x3x64x64xf32> -> tensor<2x100x3x64xbf16>, tensor<2x3x64x64xf32>
  return %o, %s : tensor<2x100x3x64xbf16>, tensor<2x3x64x64xf32>
}

// -----

// T = 1 with chunk 64: one chunk of 16 rows, 15 of them padding.
// CHECK-LABEL: gpu.module @one_token
// One chunk: one staging buffer, waited for at once.
// CHECK: workgroup({{.*}}memref<16x72xf16{{.*}}memref<16x72xf16{{.*}}memref<16x24xf16{{.*}}memref<16x24xf16{{.*}}) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 32, 1, 1>, grid = array<i64: 1, 1, 1>, shared_bytes = 0 : i64}
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: nvvm.mma.sync
func.func @one_token(%q: tensor<1x1x1x64xf16>, %k: tensor<1x1x1x64xf16>, %v: tensor<1x1x1x16xf16>) -> (tensor<1x1x1x16xf16>, tensor<1x1x64x16xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x1x1x64xf16>, tensor<1x1x1x64xf16>, tensor<1x1x1x16xf16> -> tensor<1x1x1x16xf16>, tensor<1x1x64x16xf32>
  return %o, %s : tensor<1x1x1x16xf16>, tensor<1x1x64x16xf32>
}

// -----

// CHECK-LABEL: gpu.module @f32
// CHECK-NOT: nvvm.mma.sync
// CHECK-NOT: nvgpu.ldmatrix
// CHECK: gpu.return
func.func @f32(%q: tensor<1x40x2x64xf32>, %k: tensor<1x40x2x64xf32>, %v: tensor<1x40x2x64xf32>) -> (tensor<1x40x2x64xf32>, tensor<1x2x64x64xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 32 : i64, decay = #retention.decay<retnet>}
      : tensor<1x40x2x64xf32>, tensor<1x40x2x64xf32>, tensor<1x40x2x64xf32> -> tensor<1x40x2x64xf32>, tensor<1x2x64x64xf32>
  return %o, %s : tensor<1x40x2x64xf32>, tensor<1x2x64x64xf32>
}
