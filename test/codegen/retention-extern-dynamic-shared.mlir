// RUN: retc-opt %s --pass-pipeline="builtin.module(gpu.module(retention-extern-dynamic-shared))" | FileCheck %s
// The zero-size, uninitialized global in address space 3 that
// gpu.dynamic_shared_memory lowers to becomes external (NVPTX then declares
// it .extern .shared), aligned to 1024 bytes; static shared tiles and other
// globals are untouched.

// CHECK-LABEL: gpu.module @k
// CHECK: llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<0 x i8>
// CHECK: llvm.mlir.global internal @__wg_k_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<64 x f32>
// CHECK: llvm.mlir.global internal @empty_global_space() {addr_space = 0 : i32} : !llvm.array<0 x i8>
module attributes {gpu.container_module} {
  gpu.module @k {
    llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
    llvm.mlir.global internal @__wg_k_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<64 x f32>
    llvm.mlir.global internal @empty_global_space() : !llvm.array<0 x i8>
  }
}
