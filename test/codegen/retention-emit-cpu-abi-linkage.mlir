// RUN: retc-opt %s --retention-emit-cpu-abi | FileCheck %s
// BUG: the pass decides what is a kernel from the symbol visibility only
// (func.isPrivate()), not from the LLVM linkage. A function with private or
// internal linkage is not exported from the shared object, so it is no
// kernel, yet the pass treats it as one and fails:
//   error: kernel 'helper' does not use the bare-pointer convention ...
// Expected: such functions are skipped (no wrapper, no error).

// CHECK-LABEL: llvm.func private @helper
// CHECK-LABEL: llvm.func internal @internal_kernel
// CHECK-NOT: @helper_retc_abi
// CHECK-NOT: @internal_kernel_retc_abi
// CHECK: llvm.func @kernel_retc_abi
// CHECK-NOT: @helper_retc_abi
// CHECK-NOT: @internal_kernel_retc_abi
llvm.func private @helper(%a: i64) -> i64 {
  llvm.return %a : i64
}
llvm.func internal @internal_kernel(%a: !llvm.ptr) {
  llvm.return
}
llvm.func @kernel(%a: !llvm.ptr) {
  llvm.return
}
