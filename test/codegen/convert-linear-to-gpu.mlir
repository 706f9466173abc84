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

// simt (f32): a 16-deep slice of the block's x rows and weight rows staged
// k-major in shared memory, 4 outputs a thread summed with fma.
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
  %y = retention.linear %x, %w : tensor<7x100xf32>, tensor<90x100xf32> -> tensor<7x90xf32>
  return %y : tensor<7x90xf32>
}
