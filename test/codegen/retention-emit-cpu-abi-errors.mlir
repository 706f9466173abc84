// RUN: retc-opt %s --split-input-file --verify-diagnostics --retention-emit-cpu-abi
// Public kernels must use the bare-pointer convention: no return value and
// pointer arguments only.

// expected-error @+1 {{kernel 'descriptor' does not use the bare-pointer convention (void, pointer arguments only); lower with use-bare-ptr-memref-call-conv}}
llvm.func @descriptor(%base: !llvm.ptr, %aligned: !llvm.ptr, %offset: i64) {
  llvm.return
}

// -----

// expected-error @+1 {{kernel 'returns' does not use the bare-pointer convention (void, pointer arguments only); lower with use-bare-ptr-memref-call-conv}}
llvm.func @returns(%a: !llvm.ptr) -> !llvm.ptr {
  llvm.return %a : !llvm.ptr
}

// -----

// expected-error @+1 {{kernel 'struct_arg' does not use the bare-pointer convention}}
llvm.func @struct_arg(%a: !llvm.struct<(ptr, ptr, i64)>) {
  llvm.return
}
