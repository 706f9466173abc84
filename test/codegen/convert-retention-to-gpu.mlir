// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 num-sms=132 tensor-cores=0" --convert-retention-to-gpu | FileCheck %s
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 num-sms=132 tensor-cores=0 block-size=64" --convert-retention-to-gpu | FileCheck %s --check-prefix=B64
// A kernel function (one retention form op returning its results) becomes a
// gpu.module with one gpu.func kernel taking q, k, v[, s0], o, state as
// memrefs, launched on grid (ceil(V / block), H, B) with one thread per value
// column. The recurrent form gives each thread 4 adjacent columns where V
// allows (16-byte state accesses), uses one warp of column threads per block
// (block-size does not apply to it), splits the K rows of a column over thread
// rows (as many as fit in 512 threads and K) and sums their partial dot
// products in shared memory. The launch configuration is recorded in
// retention.launch.

// CHECK: module attributes {gpu.container_module}
// CHECK-LABEL: gpu.module @recurrent
// CHECK: gpu.func @recurrent(%[[Q:[^:]+]]: memref<2x3x4x8xf32>, %[[K:[^:]+]]: memref<2x3x4x8xf32>, %[[V:[^:]+]]: memref<2x3x4x200xf32>, %[[S0:[^:]+]]: memref<2x4x8x200xf32>, %[[O:[^:]+]]: memref<2x3x4x200xf32>, %[[S:[^:]+]]: memref<2x4x8x200xf32>) workgroup(%[[PART:[^:]+]] : memref<8x128xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK-SAME: known_block_size = array<i32: 32, 8, 1>
// CHECK-SAME: retention.launch = {block = array<i64: 32, 8, 1>, grid = array<i64: 2, 4, 2>, shared_bytes = 0 : i64}
// CHECK: %[[TID:.+]] = gpu.thread_id x
// CHECK: %[[TY:.+]] = gpu.thread_id y
// CHECK: %[[BX:.+]] = gpu.block_id x
// CHECK: %[[H:.+]] = gpu.block_id y
// CHECK: %[[B:.+]] = gpu.block_id z
// log2 gamma_h of the RetNet decay, chosen by head.
// CHECK: arith.constant -0.0458036885 : f32
// CHECK: arith.constant -0.00564656314 : f32
// CHECK: math.exp2
// CHECK: vector.load %[[V]][%[[B]], %{{.+}}, %[[H]], %{{.+}}] {alignment = 16 : i64} : memref<2x3x4x200xf32>, vector<4xf32>
// CHECK: vector.load %[[S0]][%[[B]], %[[H]], %{{.+}}, %{{.+}}] {alignment = 16 : i64} : memref<2x4x8x200xf32>, vector<4xf32>
// CHECK: math.fma
// CHECK: vector.store %{{.+}}, %[[S]][%[[B]], %[[H]], %{{.+}}, %{{.+}}] {alignment = 16 : i64} : memref<2x4x8x200xf32>, vector<4xf32>
// CHECK: vector.store %{{.+}}, %[[PART]][%[[TY]], %{{.+}}]
// CHECK: gpu.barrier
// CHECK: vector.store %{{.+}}, %[[O]][%[[B]], %{{.+}}, %[[H]], %{{.+}}] {alignment = 16 : i64} : memref<2x3x4x200xf32>, vector<4xf32>
// CHECK: gpu.return
// The host function is gone; the runtime launches the kernel.
// CHECK-NOT: func.func
// CHECK-NOT: retention.

// B64: gpu.func @recurrent
// B64-SAME: retention.launch = {block = array<i64: 32, 8, 1>, grid = array<i64: 2, 4, 2>, shared_bytes = 0 : i64}
func.func @recurrent(%q: tensor<2x3x4x8xf32>, %k: tensor<2x3x4x8xf32>, %v: tensor<2x3x4x200xf32>, %s0: tensor<2x4x8x200xf32>) -> (tensor<2x3x4x200xf32>, tensor<2x4x8x200xf32>) {
  %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<2x3x4x8xf32>, tensor<2x3x4x8xf32>, tensor<2x3x4x200xf32>, tensor<2x4x8x200xf32> -> tensor<2x3x4x200xf32>, tensor<2x4x8x200xf32>
  return %o, %s : tensor<2x3x4x200xf32>, tensor<2x4x8x200xf32>
}

// -----

// The chunkwise form keeps its C x C score tile and zeta in shared memory;
// the block is V rounded up to a warp when V is small.
// CHECK-LABEL: gpu.module @chunkwise
// CHECK: gpu.func @chunkwise(%{{[^:]+}}: memref<1x40x2x8xbf16>, %{{[^:]+}}: memref<1x40x2x8xbf16>, %{{[^:]+}}: memref<1x40x2x8xbf16>, %{{[^:]+}}: memref<1x40x2x8xbf16>, %{{[^:]+}}: memref<1x2x8x8xf32>)
// CHECK-SAME: workgroup(%[[TILE:[^ ]+]] : memref<16x16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{[^ ]+}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 32, 1, 1>, grid = array<i64: 1, 2, 1>, shared_bytes = 0 : i64}
// CHECK: arith.extf %{{.+}} : bf16 to f32
// CHECK: memref.store %{{.+}}, %[[TILE]]
// CHECK: gpu.barrier
// CHECK: arith.truncf %{{.+}} : f32 to bf16
func.func @chunkwise(%q: tensor<1x40x2x8xbf16>, %k: tensor<1x40x2x8xbf16>, %v: tensor<1x40x2x8xbf16>) -> (tensor<1x40x2x8xbf16>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 16 : i64, decay = #retention.decay<paper>}
      : tensor<1x40x2x8xbf16>, tensor<1x40x2x8xbf16>, tensor<1x40x2x8xbf16> -> tensor<1x40x2x8xbf16>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x40x2x8xbf16>, tensor<1x2x8x8xf32>
}

// -----

// The parallel form: a parallel-tile x parallel-tile score tile and a tile x
// block output tile in shared memory (default tile 32).
// CHECK-LABEL: gpu.module @parallel
// CHECK: gpu.func @parallel
// CHECK-SAME: workgroup(%{{[^ ]+}} : memref<32x32xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{[^ ]+}} : memref<32x32xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}) kernel
// CHECK: gpu.barrier
// CHECK: gpu.return
func.func @parallel(%q: tensor<1x40x2x8xf16>, %k: tensor<1x40x2x8xf16>, %v: tensor<1x40x2x8xf16>) -> (tensor<1x40x2x8xf16>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.parallel %q, %k, %v {decay = #retention.decay<paper>}
      : tensor<1x40x2x8xf16>, tensor<1x40x2x8xf16>, tensor<1x40x2x8xf16> -> tensor<1x40x2x8xf16>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x40x2x8xf16>, tensor<1x2x8x8xf32>
}
