// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule=target=sm_90a --convert-retention-to-gpu=runtime-sizes=1 --canonicalize --cse | FileCheck %s
// convert-retention-to-gpu{runtime-sizes}: a retention kernel takes the
// token count T, a linear kernel the row count M, as a last index
// parameter; the memrefs keep the static sizes (the maximum), and so do
// the grids. The SIMT kernels and the simt and gemv GEMMs are run by the
// simulator (*-runtime-sizes-simulated.mlir); here, that the tensor-core
// kernels (which it cannot run) take their loop bounds and masks from the
// parameter.

// SIMT recurrent: the token loop runs to T (the first token before it).
// CHECK-LABEL: gpu.func @recurrent(
// CHECK-SAME: %[[T:[^:]+]]: index) workgroup
// CHECK-SAME: grid = array<i64: 1, 2, 1>
// CHECK: scf.for %{{.+}} = %c1 to %[[T]] step %c1
func.func @recurrent(%q: tensor<1x64x2x16xbf16>, %k: tensor<1x64x2x16xbf16>, %v: tensor<1x64x2x32xbf16>, %s0: tensor<1x2x16x32xf32>) -> (tensor<1x64x2x32xbf16>, tensor<1x2x16x32xf32>) {
  %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<1x64x2x16xbf16>, tensor<1x64x2x16xbf16>, tensor<1x64x2x32xbf16>, tensor<1x2x16x32xf32> -> tensor<1x64x2x32xbf16>, tensor<1x2x16x32xf32>
  return %o, %s : tensor<1x64x2x32xbf16>, tensor<1x2x16x32xf32>
}

// -----

// mma.sync chunkwise (pinned; unsegmented): the chunk loop runs to T and
// each chunk's rows are min(C, T - c0), which masks the copies, the
// stores and the zetas.
// CHECK-LABEL: gpu.func @chunkwise_mma_sync(
// CHECK-SAME: %[[T:[^:]+]]: index) workgroup
// CHECK-SAME: grid = array<i64: 1, 2, 1>
// CHECK: scf.for %[[C0:.+]] = %c0 to %[[T]] step %c64
// CHECK-NEXT: arith.subi %[[T]], %[[C0]] : index
// CHECK: nvgpu.device_async_copy
// CHECK: nvvm.mma.sync
func.func @chunkwise_mma_sync(%q: tensor<1x200x2x64xbf16>, %k: tensor<1x200x2x64xbf16>, %v: tensor<1x200x2x64xbf16>) -> (tensor<1x200x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>,
      retention.gpu_schedule = #retention.gpu_schedule<kernel = mma_sync, block = 128, chunk = 64, value_slice = 64>}
      : tensor<1x200x2x64xbf16>, tensor<1x200x2x64xbf16>, tensor<1x200x2x64xbf16> -> tensor<1x200x2x64xbf16>, tensor<1x2x64x64xf32>
  return %o, %s : tensor<1x200x2x64xbf16>, tensor<1x2x64x64xf32>
}

// -----

// wgmma chunkwise: the first chunk's whole-chunk test (T > 63), the chunk
// loop, the next chunk's test against T.
// CHECK-LABEL: gpu.func @chunkwise_wgmma(
// CHECK-SAME: %[[T:[^:]+]]: index) kernel
// CHECK-SAME: grid = array<i64: 1, 2, 1>
// CHECK: arith.cmpi sgt, %[[T]], %c63 : index
// CHECK: scf.for %[[C0:.+]] = %c0 to %[[T]] step %c64
// CHECK-NEXT: arith.subi %[[T]], %[[C0]] : index
// CHECK: arith.cmpi slt, %{{.+}}, %[[T]] : index
// CHECK: nvvm.wgmma.fence.aligned
func.func @chunkwise_wgmma(%q: tensor<1x200x2x64xbf16>, %k: tensor<1x200x2x64xbf16>, %v: tensor<1x200x2x64xbf16>) -> (tensor<1x200x2x64xbf16>, tensor<1x2x64x64xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
      : tensor<1x200x2x64xbf16>, tensor<1x200x2x64xbf16>, tensor<1x200x2x64xbf16> -> tensor<1x200x2x64xbf16>, tensor<1x2x64x64xf32>
  return %o, %s : tensor<1x200x2x64xbf16>, tensor<1x2x64x64xf32>
}

// -----

// mma_sync GEMM (M <= 64 on sm_90a): rows of x at or past M copy no bytes
// (their source clamped to the static M - 1); rows of y there are not
// stored. The grid is that of the static M.
// CHECK-LABEL: gpu.func @linear_mma_sync(
// CHECK-SAME: %[[X:[^:]+]]: memref<40x256xbf16>, %{{[^:]+}}: memref<128x256xbf16>, %[[Y:[^:]+]]: memref<40x128xbf16>, %[[M:[^:]+]]: index) kernel
// CHECK-SAME: grid = array<i64: 2, 1, 1>
// CHECK: %[[ROW:.+]] = arith.cmpi slt, %[[XROW:.+]], %[[M]] : index
// CHECK-NEXT: %[[OK:.+]] = arith.andi %[[ROW]], %{{.+}} : i1
// CHECK-NEXT: %[[SRC:.+]] = arith.minsi %[[XROW]], %c39 : index
// CHECK: %[[BYTES:.+]] = arith.select %[[OK]], %c8, %c0 : index
// CHECK-NEXT: nvgpu.device_async_copy %[[X]][%[[SRC]], %{{.+}}], %{{.+}}, 8, %[[BYTES]]
// CHECK: nvvm.mma.sync
// CHECK: %[[YROW:.+]] = arith.cmpi slt, %{{.+}}, %[[M]] : index
// CHECK: %[[STORE:.+]] = arith.andi %[[YROW]], %{{.+}} : i1
// CHECK-NEXT: scf.if %[[STORE]] {
// CHECK: vector.store %{{.+}}, %[[Y]]
func.func @linear_mma_sync(%x: tensor<40x256xbf16>, %w: tensor<128x256xbf16>) -> tensor<40x128xbf16> {
  %y = retention.linear %x, %w : tensor<40x256xbf16>, tensor<128x256xbf16> -> tensor<40x128xbf16>
  return %y : tensor<40x128xbf16>
}

// -----

// wgmma GEMM: the same masks, and the residual read only where y is
// stored.
// CHECK-LABEL: gpu.func @linear_wgmma(
// CHECK-SAME: %[[X:[^:]+]]: memref<256x256xbf16>, %{{[^:]+}}: memref<128x256xbf16>, %[[R:[^:]+]]: memref<256x128xbf16>, %[[Y:[^:]+]]: memref<256x128xbf16>, %[[M:[^:]+]]: index) kernel
// CHECK-SAME: grid = array<i64: 1, 2, 1>
// CHECK: %[[ROW:.+]] = arith.cmpi slt, %[[XROW:.+]], %[[M]] : index
// CHECK-NEXT: %[[OK:.+]] = arith.andi %[[ROW]], %{{.+}} : i1
// CHECK-NEXT: %[[SRC:.+]] = arith.minsi %[[XROW]], %c255 : index
// CHECK: %[[BYTES:.+]] = arith.select %[[OK]], %c8, %c0 : index
// CHECK-NEXT: nvgpu.device_async_copy %[[X]][%[[SRC]], %{{.+}}], %{{.+}}, 8, %[[BYTES]]
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: %[[YROW:.+]] = arith.cmpi slt, %{{.+}}, %[[M]] : index
// CHECK: %[[STORE:.+]] = arith.andi %[[YROW]], %{{.+}} : i1
// CHECK-NEXT: scf.if %[[STORE]] {
// CHECK-NEXT: vector.from_elements
// CHECK-NEXT: vector.load %[[R]]
// CHECK: vector.store %{{.+}}, %[[Y]]
func.func @linear_wgmma(%x: tensor<256x256xbf16>, %w: tensor<128x256xbf16>, %r: tensor<256x128xbf16>) -> tensor<256x128xbf16> {
  %y = retention.linear %x, %w residual %r : tensor<256x256xbf16>, tensor<128x256xbf16>, tensor<256x128xbf16> -> tensor<256x128xbf16>
  return %y : tensor<256x128xbf16>
}
