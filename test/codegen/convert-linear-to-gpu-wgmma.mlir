// RUN: retc-opt %s --retention-gpu-select-schedule="target=sm_90a" --convert-retention-to-gpu | FileCheck %s
// kernel = wgmma (codegen/gpu/GemmKernels.h): M = 200 > 64 on sm_90a. Two
// warpgroups of 64 rows by 128 columns (a 128 x 256 grid would leave SMs
// idle), 6 stages of 64-deep tiles, unpadded: 128 x 64 x rows and weight
// rows a stage, 16-byte runs placed by the 128-byte swizzle (run ^ row % 8).
// The copies run 5 tiles (stages - 1) ahead; each k tile: wait for its
// copies, publish them to the async proxy, barrier, four m64n128k16
// wgmmas (one commit group), a wait that leaves that group in flight
// (the tile before is done), a barrier (done in every warpgroup), then
// the copy of the tile 5 ahead into the buffer the tile before freed.
// Blocks run down M first (N = 320 > M = 200). Rows and columns outside
// [M, N] are not stored; the residual is added before the one rounding, a
// pair of columns at a time.
// CHECK: gpu.module @linear attributes {retention.gemm_schedule = #retention.gemm_schedule<kernel = wgmma, block_m = 128, block_n = 128, block_k = 64, warps_m = 8, stages = 6, shared_bytes = 196608, m_first = true>}
// CHECK: gpu.func @linear(%[[X:[^:]+]]: memref<200x256xbf16>, %[[W:[^:]+]]: memref<320x256xbf16>, %[[R:[^:]+]]: memref<200x320xbf16>, %[[Y:[^:]+]]: memref<200x320xbf16>) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 256, 1, 1>, grid = array<i64: 2, 3, 1>, shared_bytes = 196608 : i64}
// CHECK: memref.view {{.+}} to memref<768x64xbf16, #gpu.address_space<workgroup>>
// CHECK: memref.view {{.+}}[%c98304][] {{.+}} to memref<768x64xbf16, #gpu.address_space<workgroup>>
// CHECK: gpu.shuffle idx
// CHECK: arith.xori
// CHECK: nvgpu.device_async_copy %[[X]]
// CHECK: nvgpu.device_async_copy %[[W]]
// CHECK: nvvm.cp.async.commit.group
// CHECK: scf.for
// CHECK: nvvm.cp.async.wait.group 4
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: gpu.barrier
// CHECK: nvvm.wgmma.fence.aligned
// CHECK-COUNT-4: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK-NEXT: gpu.barrier
// CHECK: nvgpu.device_async_copy %[[X]]
// CHECK: nvvm.cp.async.commit.group
// CHECK-NEXT: scf.yield
// CHECK: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: vector.load %[[R]]{{.+}} : memref<200x320xbf16>, vector<2xbf16>
// CHECK: arith.truncf {{.+}} : vector<2xf32> to vector<2xbf16>
// CHECK: vector.store {{.+}}, %[[Y]]{{.+}} : memref<200x320xbf16>, vector<2xbf16>
func.func @linear(%x: tensor<200x256xbf16>, %w: tensor<320x256xbf16>, %r: tensor<200x320xbf16>) -> tensor<200x320xbf16> {
  %y = retention.linear %x, %w residual %r : tensor<200x256xbf16>, tensor<320x256xbf16>, tensor<200x320xbf16> -> tensor<200x320xbf16>
  return %y : tensor<200x320xbf16>
}
