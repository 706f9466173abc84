// RUN: retc-opt %s --split-input-file --convert-retention-to-gpu --canonicalize --cse | FileCheck %s
// A function of one graph op becomes gpu.module @f { gpu.func @f } built by
// codegen/gpu/GraphKernels.h for the result's rows: the op's tensor operands
// and result as memrefs (weights and tables read-only, not aliased), then
// `index rows` (and rotary's position); the launch for all the rows in
// retention.launch, with the rows a block covers. What the kernels compute
// is checked in graph-kernels-*-simulated.mlir.

// 1025 pieces of 4: a row per block of 512 threads (16 warps), the warps'
// sums through 64 bytes of shared memory after xor shuffles 16 .. 1.
// CHECK-LABEL: gpu.module @rms_wide
// CHECK: gpu.func @rms_wide(%[[X:.+]]: memref<4x4100xf32>, %[[W:.+]]: memref<4100xf32> {llvm.noalias, llvm.readonly}, %[[Y:.+]]: memref<4x4100xf32>, %[[ROWS:.+]]: index) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 512, 1, 1>, grid = array<i64: 4, 1, 1>, rows_per_block = 1 : i64, shared_bytes = 64 : i64}
// CHECK: gpu.dynamic_shared_memory
// CHECK: %[[ROW:.+]] = gpu.block_id x
// CHECK: arith.cmpi slt, %[[ROW]], %[[ROWS]] : index
// CHECK: vector.load %[[X]][%[[ROW]], %{{.+}}] {alignment = 16 : i64} : memref<4x4100xf32>, vector<4xf32>
// CHECK: vector.load %[[W]][%{{.+}}] {alignment = 16 : i64} : memref<4100xf32>, vector<4xf32>
// CHECK: math.fma {{.+}} : vector<4xf32>
// CHECK: gpu.shuffle xor %{{.+}}, %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle xor %{{.+}}, %c8_i32, %c32_i32 : f32
// CHECK: gpu.shuffle xor %{{.+}}, %c4_i32, %c32_i32 : f32
// CHECK: gpu.shuffle xor %{{.+}}, %c2_i32, %c32_i32 : f32
// CHECK: gpu.shuffle xor %{{.+}}, %c1_i32, %c32_i32 : f32
// CHECK: memref.store
// CHECK: gpu.barrier
// CHECK-COUNT-16: memref.load
// CHECK: math.rsqrt
// CHECK: vector.store {{.+}} {alignment = 16 : i64} : memref<4x4100xf32>, vector<4xf32>
func.func @rms_wide(%x: tensor<4x4100xf32>, %w: tensor<4100xf32>) -> tensor<4x4100xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<4x4100xf32>, tensor<4100xf32> -> tensor<4x4100xf32>
  return %y : tensor<4x4100xf32>
}

// -----

// 16 pieces a row: 16 lanes a row, 8 rows a block; shuffles within 16
// lanes, no shared memory, no barrier.
// CHECK-LABEL: gpu.module @rms_narrow
// CHECK: gpu.func @rms_narrow(%{{.+}}: memref<9x64xf32>, %{{.+}}: memref<64xf32> {llvm.noalias, llvm.readonly}, %{{.+}}: memref<9x64xf32>, %{{.+}}: index) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 128, 1, 1>, grid = array<i64: 2, 1, 1>, rows_per_block = 8 : i64, shared_bytes = 0 : i64}
// CHECK-NOT: %c16_i32
// CHECK: gpu.shuffle xor %{{.+}}, %c8_i32, %c32_i32 : f32
// CHECK-NOT: gpu.barrier
// CHECK: gpu.return
func.func @rms_narrow(%x: tensor<9x64xf32>, %w: tensor<64xf32>) -> tensor<9x64xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<9x64xf32>, tensor<64xf32> -> tensor<9x64xf32>
  return %y : tensor<9x64xf32>
}

// -----

// head_dim 32: 8 lanes a head (xor 4, 2, 1), 4 heads a row (32 threads),
// 3 rows a block; the gate's swish.
// CHECK-LABEL: gpu.module @gated
// CHECK: gpu.func @gated(%{{.+}}: memref<3x128xf32>, %{{.+}}: memref<32xf32> {llvm.noalias, llvm.readonly}, %{{.+}}: memref<3x128xf32>, %{{.+}}: memref<3x128xf32>, %{{.+}}: index) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 96, 1, 1>, grid = array<i64: 1, 1, 1>, rows_per_block = 3 : i64, shared_bytes = 0 : i64}
// CHECK-NOT: %c8_i32
// CHECK: gpu.shuffle xor %{{.+}}, %c4_i32, %c32_i32 : f32
// CHECK: gpu.shuffle xor %{{.+}}, %c2_i32, %c32_i32 : f32
// CHECK: gpu.shuffle xor %{{.+}}, %c1_i32, %c32_i32 : f32
// CHECK: math.rsqrt
// CHECK: math.exp {{.+}} : vector<4xf32>
func.func @gated(%o: tensor<3x128xf32>, %w: tensor<32xf32>, %g: tensor<3x128xf32>) -> tensor<3x128xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<3x128xf32>, tensor<32xf32>, tensor<3x128xf32> -> tensor<3x128xf32>
  return %y : tensor<3x128xf32>
}

// -----

// The frequencies base^(-2i/16) as an f32 table in the gpu.module; each
// thread's 4 pairs' angles from one 16-byte load of it, then their sines and
// cosines, for both of its heads (8 threads a row: 2 pieces a head, 4
// heads).
// CHECK-LABEL: gpu.module @rotary
// CHECK: memref.global "private" constant @rotary_inv_freq : memref<8xf32> = dense<[1.000000e+00, 0.316227764, 1.000000e-01, 0.0316227749, 0.00999999977, 0.00316227763, 1.000000e-03, 3.16227757E-4]> {alignment = 16 : i64}
// CHECK: gpu.func @rotary(%{{.+}}: memref<2x64xf32>, %{{.+}}: memref<2x64xf32>, %[[ROWS:.+]]: index, %[[POS:.+]]: index) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 16, 1, 1>, grid = array<i64: 1, 1, 1>, rows_per_block = 2 : i64, shared_bytes = 0 : i64}
// CHECK: memref.get_global @rotary_inv_freq : memref<8xf32>
// CHECK: arith.addi %[[POS]], %{{.+}} : index
// CHECK: arith.uitofp %{{.+}} : i64 to f32
// CHECK: vector.load {{.+}} : memref<8xf32>, vector<4xf32>
// CHECK-COUNT-4: math.sincos %{{.+}} : f32
func.func @rotary(%x: tensor<2x64xf32>, %pos: index) -> tensor<2x64xf32> {
  %y = retention.rotary %x at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<2x64xf32> -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// The token id read once per thread (where its row is below `rows`, else
// 0), then the table row copied.
// CHECK-LABEL: gpu.module @embedding
// CHECK: gpu.func @embedding(%[[TOKENS:.+]]: memref<5xi32>, %[[TABLE:.+]]: memref<100x64xf32> {llvm.noalias, llvm.readonly}, %{{.+}}: memref<5x64xf32>, %{{.+}}: index) kernel
// CHECK: %[[ID:.+]] = scf.if %{{.+}} -> (i32) {
// CHECK-NEXT: %[[LOADED:.+]] = memref.load %[[TOKENS]][%{{.+}}] : memref<5xi32>
// CHECK-NEXT: scf.yield %[[LOADED]] : i32
// CHECK: arith.index_cast %[[ID]] : i32 to index
// CHECK: vector.load %[[TABLE]][%{{.+}}, %{{.+}}] {alignment = 16 : i64} : memref<100x64xf32>, vector<4xf32>
func.func @embedding(%tokens: tensor<5xi32>, %table: tensor<100x64xf32>) -> tensor<5x64xf32> {
  %y = retention.embedding %tokens, %table : tensor<5xi32>, tensor<100x64xf32> -> tensor<5x64xf32>
  return %y : tensor<5x64xf32>
}

// -----

// A piece of a kv head read once and stored for each of its 2 query heads.
// CHECK-LABEL: gpu.module @repeat
// CHECK: gpu.func @repeat(%[[X:.+]]: memref<3x32xf32>, %[[Y:.+]]: memref<3x64xf32>, %{{.+}}: index) kernel
// CHECK: vector.load %[[X]]
// CHECK-COUNT-2: vector.store %{{.+}}, %[[Y]]
// CHECK-NOT: vector.store
// CHECK: gpu.return
func.func @repeat(%x: tensor<3x32xf32>) -> tensor<3x64xf32> {
  %y = retention.repeat_heads %x {head_dim = 16 : i64, groups = 2 : i64} : tensor<3x32xf32> -> tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}

// -----

// An odd width: pieces of one element.
// CHECK-LABEL: gpu.module @swiglu
// CHECK: gpu.func @swiglu(%{{.+}}: memref<2x13xf32>, %{{.+}}: memref<2x13xf32>, %{{.+}}: memref<2x13xf32>, %{{.+}}: index) kernel
// CHECK: vector.load {{.+}} : memref<2x13xf32>, vector<1xf32>
// CHECK: math.exp {{.+}} : vector<1xf32>
// CHECK: arith.divf {{.+}} : vector<1xf32>
func.func @swiglu(%g: tensor<2x13xf32>, %u: tensor<2x13xf32>) -> tensor<2x13xf32> {
  %y = retention.swiglu %g, %u : tensor<2x13xf32>, tensor<2x13xf32> -> tensor<2x13xf32>
  return %y : tensor<2x13xf32>
}

// -----

// Pieces of 2 (8 bytes) where the width is even but not a multiple of 4.
// CHECK-LABEL: gpu.module @add
// CHECK: gpu.func @add(%{{.+}}: memref<1x4098xf32>, %{{.+}}: memref<1x4098xf32>, %{{.+}}: memref<1x4098xf32>, %{{.+}}: index) kernel
// CHECK-SAME: retention.launch = {block = array<i64: 512, 1, 1>, grid = array<i64: 1, 1, 1>, rows_per_block = 1 : i64, shared_bytes = 0 : i64}
// CHECK: vector.load {{.+}} {alignment = 8 : i64} : memref<1x4098xf32>, vector<2xf32>
// CHECK: arith.addf {{.+}} : vector<2xf32>
func.func @add(%a: tensor<1x4098xf32>, %b: tensor<1x4098xf32>) -> tensor<1x4098xf32> {
  %y = retention.add %a, %b : tensor<1x4098xf32>, tensor<1x4098xf32> -> tensor<1x4098xf32>
  return %y : tensor<1x4098xf32>
}
