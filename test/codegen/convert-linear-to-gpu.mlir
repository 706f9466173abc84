// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80" --convert-retention-to-gpu | FileCheck %s
// A kernel function whose body is one retention.linear becomes a gpu.module
// with one GEMM kernel taking x, weight[, residual], y (codegen/gpu/GemmKernels.h),
// grid (ceil(N / block_n), ceil(M / block_m)), its schedule kept on the module.

// mma_sync: 4 cp.async buffers of 128 x 40 (block_k 32 and 8 elements of
// padding) x rows and 64 x 40 weight rows; 3 tiles in flight before the
// loop; ldmatrix fragments into m16n8k16 MMAs; rows and columns outside
// [M, N] not stored; the residual added before the one rounding, a pair
// of adjacent columns at a time (N is even).
// CHECK: gpu.module @linear attributes {retention.gemm_schedule = #retention.gemm_schedule<kernel = mma_sync, block_m = 128, block_n = 64, block_k = 32, warps_m = 2, warps_n = 4, stages = 4, shared_bytes = 61440, m_first = true>}
// CHECK: gpu.func @linear(%[[X:[^:]+]]: memref<200x256xbf16>, %[[W:[^:]+]]: memref<320x256xbf16>, %[[R:[^:]+]]: memref<200x320xbf16>, %[[Y:[^:]+]]: memref<200x320xbf16>) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 256, 1, 1>, grid = array<i64: 2, 5, 1>, shared_bytes = 61440 : i64}
// CHECK: memref.view {{.+}} to memref<512x40xbf16, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.+}} to memref<256x40xbf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy %[[X]]
// CHECK: nvgpu.device_async_copy %[[W]]
// CHECK: nvvm.cp.async.commit.group
// CHECK: scf.for
// CHECK: nvvm.cp.async.wait.group 2
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix
// CHECK: nvvm.mma.sync
// CHECK-SAME: layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK: scf.yield
// CHECK: nvvm.cp.async.wait.group 0
// CHECK: vector.load %[[R]]{{.+}} : memref<200x320xbf16>, vector<2xbf16>
// CHECK: arith.truncf {{.+}} : vector<2xf32> to vector<2xbf16>
// CHECK: vector.store {{.+}}, %[[Y]]{{.+}} : memref<200x320xbf16>, vector<2xbf16>
func.func @linear(%x: tensor<200x256xbf16>, %w: tensor<320x256xbf16>, %r: tensor<200x320xbf16>) -> tensor<200x320xbf16> {
  %y = retention.linear %x, %w residual %r : tensor<200x256xbf16>, tensor<320x256xbf16>, tensor<200x320xbf16> -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}

// -----

// simt (f32; pinned, M = 7 would take gemv): a 16-deep slice of the
// block's x rows and weight rows staged k-major in shared memory, 4 outputs
// a thread summed with fma.
// CHECK: gpu.module @linear attributes {retention.gemm_schedule = #retention.gemm_schedule<kernel = simt, block_m = 16, block_n = 64, block_k = 16, thread_n = 4, shared_bytes = 5120>}
// CHECK: gpu.func @linear(%[[X:[^:]+]]: memref<7x100xf32>, %[[W:[^:]+]]: memref<90x100xf32>, %[[Y:[^:]+]]: memref<7x90xf32>) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 256, 1, 1>, grid = array<i64: 2, 1, 1>, shared_bytes = 5120 : i64}
// CHECK: memref.view {{.+}} to memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.+}} to memref<16x64xf32, #gpu.address_space<workgroup>>
// CHECK: scf.for {{.+}} iter_args({{.+}}) -> (f32, f32, f32, f32)
// CHECK: memref.load %[[X]]
// CHECK: memref.load %[[W]]
// CHECK: gpu.barrier
// CHECK-COUNT-4: math.fma
// CHECK: gpu.barrier
// CHECK: memref.store {{.+}}, %[[Y]]
func.func @linear(%x: tensor<7x100xf32>, %w: tensor<90x100xf32>) -> tensor<7x90xf32> {
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = simt, block_m = 16, block_n = 64, block_k = 16, thread_n = 4>} : tensor<7x100xf32>, tensor<90x100xf32> -> tensor<7x90xf32>
  return %y : tensor<7x90xf32>
}

// -----

// gemv (M <= 16): 4 warps of 4 weight rows, grid ceil(75 / 16) = 5. The
// weight is noalias and readonly (ld.global.nc). Its first group of
// 16-byte pieces is loaded before x is staged: K = 200 is less than one
// warp k-step (256), so the lanes past K take zeros instead. x (3 rows)
// staged as f32, a lane's 8 elements a piece (loaded from a clamped
// address, zeros selected past K up to 256; two runs of 4); a barrier;
// the products summed with fma; a reduce-scatter of xor shuffles (12 sums
// padded to 16: halved at distances 16, 8, 4, 2, whole at 1); the
// residual added before the one rounding, where inside [M, N].
// CHECK: gpu.module @linear attributes {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 3, block_n = 16, block_k = 256, warps_n = 4, thread_n = 4, stages = 4, shared_bytes = 3072>}
// CHECK: gpu.func @linear(%[[X:[^:]+]]: memref<3x200xbf16>, %[[W:[^:]+]]: memref<75x200xbf16> {llvm.noalias, llvm.readonly}, %[[R:[^:]+]]: memref<3x75xbf16>, %[[Y:[^:]+]]: memref<3x75xbf16>) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 128, 1, 1>, grid = array<i64: 5, 1, 1>, shared_bytes = 3072 : i64}
// CHECK: %[[XS:.+]] = memref.view {{.+}} to memref<3x256xf32, #gpu.address_space<workgroup>>
// CHECK: arith.minsi {{.+}} : index
// CHECK: scf.if {{.+}} -> (vector<8xbf16>)
// CHECK-NEXT: vector.load %[[W]][{{.+}}] {alignment = 16 : i64} : memref<75x200xbf16>, vector<8xbf16>
// CHECK: vector.load %[[X]][{{.+}}] {alignment = 16 : i64} : memref<3x200xbf16>, vector<8xbf16>
// CHECK: arith.select {{.+}} : vector<8xbf16>
// CHECK: arith.extf {{.+}} : vector<8xbf16> to vector<8xf32>
// CHECK: vector.shuffle {{.+}} [0, 1, 2, 3] : vector<8xf32>, vector<8xf32>
// CHECK: vector.shuffle {{.+}} [4, 5, 6, 7] : vector<8xf32>, vector<8xf32>
// CHECK: vector.store {{.+}}, %[[XS]][{{.+}}] {alignment = 16 : i64} : memref<3x256xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: vector.store {{.+}}, %[[XS]][{{.+}}] {alignment = 16 : i64} : memref<3x256xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: arith.extf {{.+}} : vector<8xbf16> to vector<8xf32>
// CHECK: vector.load %[[XS]][{{.+}}] {alignment = 16 : i64} : memref<3x256xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: math.fma
// CHECK-COUNT-8: gpu.shuffle  xor {{.+}}, %c16_i32{{(_[0-9]+)?}}, %c32_i32{{(_[0-9]+)?}} : f32
// CHECK-COUNT-4: gpu.shuffle  xor {{.+}}, %c8_i32{{(_[0-9]+)?}}, %c32_i32{{(_[0-9]+)?}} : f32
// CHECK-COUNT-2: gpu.shuffle  xor {{.+}}, %c4_i32{{(_[0-9]+)?}}, %c32_i32{{(_[0-9]+)?}} : f32
// CHECK-COUNT-1: gpu.shuffle  xor {{.+}}, %c2_i32{{(_[0-9]+)?}}, %c32_i32{{(_[0-9]+)?}} : f32
// CHECK-COUNT-1: gpu.shuffle  xor {{.+}}, %c1_i32{{(_[0-9]+)?}}, %c32_i32{{(_[0-9]+)?}} : f32
// CHECK: scf.if
// CHECK: memref.load %[[R]]
// CHECK: arith.truncf {{.+}} : f32 to bf16
// CHECK: memref.store {{.+}}, %[[Y]]
func.func @linear(%x: tensor<3x200xbf16>, %w: tensor<75x200xbf16>, %r: tensor<3x75xbf16>) -> tensor<3x75xbf16> {
  %y = retention.linear %x, %w residual %r : tensor<3x200xbf16>, tensor<75x200xbf16>, tensor<3x75xbf16> -> tensor<3x75xbf16>
  return %y : tensor<3x75xbf16>
}

// -----

// gemv over a long row: 16 k-steps a lane (K = 4096 of 16-byte pieces),
// groups of 4, the first loaded before the staging; the loop loads the
// next group (unconditionally: only the last group could reach past K)
// and sums the one it carries; the last group is loaded after it, then
// the last two summed.
// CHECK: gpu.func @linear(%[[X:[^:]+]]: memref<1x4096xbf16>, %[[W:[^:]+]]: memref<2048x4096xbf16> {llvm.noalias, llvm.readonly}, %[[Y:[^:]+]]: memref<1x2048xbf16>) kernel
// CHECK-SAME: nvvm.minctasm = 1 : i32
// CHECK-SAME: retention.launch = {block = array<i64: 128, 1, 1>, grid = array<i64: 128, 1, 1>, shared_bytes = 16384 : i64}
// CHECK-COUNT-16: vector.load %[[W]]
// CHECK: gpu.barrier
// CHECK: scf.for {{.+}} iter_args({{.+}}) -> (f32, f32, f32, f32, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>, vector<8xbf16>)
// CHECK-NOT: scf.if
// CHECK-COUNT-16: vector.load %[[W]]
// CHECK-COUNT-128: math.fma
// CHECK: scf.yield
// CHECK-NOT: scf.if
// CHECK-COUNT-16: vector.load %[[W]]
// CHECK-COUNT-256: math.fma
// CHECK: gpu.shuffle
func.func @linear(%x: tensor<1x4096xbf16>, %w: tensor<2048x4096xbf16>) -> tensor<1x2048xbf16> {
  %y = retention.linear %x, %w : tensor<1x4096xbf16>, tensor<2048x4096xbf16> -> tensor<1x2048xbf16>
  return %y : tensor<1x2048xbf16>
}

// -----

// gemv with x in slices (a schedule written in the IR: 256 columns at a
// time): three whole slices in a loop, each staged after a barrier (the
// previous slice's readers are done), then the last 88 columns; f32
// weights are read 4 to a piece (K = 856 is a multiple of 4, not of 8).
// CHECK: gpu.func @linear(%[[X:[^:]+]]: memref<2x856xf32>, %[[W:[^:]+]]: memref<40x856xf32> {llvm.noalias, llvm.readonly}, %[[Y:[^:]+]]: memref<2x40xf32>) kernel
// CHECK: scf.for
// CHECK: vector.load %[[W]]{{.+}} : memref<40x856xf32>, vector<4xf32>
// CHECK: gpu.barrier
// CHECK: gpu.barrier
// CHECK: scf.yield
// CHECK: gpu.barrier
// CHECK: gpu.barrier
// CHECK: gpu.shuffle
func.func @linear(%x: tensor<2x856xf32>, %w: tensor<40x856xf32>) -> tensor<2x40xf32> {
  %y = retention.linear %x, %w {retention.gemm_schedule = #retention.gemm_schedule<kernel = gemv, block_m = 2, block_n = 8, block_k = 256, warps_n = 2, thread_n = 4, stages = 2>} : tensor<2x856xf32>, tensor<40x856xf32> -> tensor<2x40xf32>
  return %y : tensor<2x40xf32>
}
