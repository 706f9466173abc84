// RUN: retc-opt %s --split-input-file --retention-emit-cpu-abi | FileCheck %s
// Each public kernel with only pointer arguments gets `<name>_retc_abi`,
// taking one `void **` and calling the kernel with args[0], args[1], ...

// CHECK-LABEL: llvm.func @kernel(
// CHECK-LABEL: llvm.func @kernel_retc_abi(
// CHECK-SAME: %[[ARGS:[^:]+]]: !llvm.ptr) {
// CHECK-NEXT: %[[G0:.+]] = llvm.getelementptr %[[ARGS]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[P0:.+]] = llvm.load %[[G0]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[G1:.+]] = llvm.getelementptr %[[ARGS]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[P1:.+]] = llvm.load %[[G1]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[G2:.+]] = llvm.getelementptr %[[ARGS]][2] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK-NEXT: %[[P2:.+]] = llvm.load %[[G2]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: llvm.call @kernel(%[[P0]], %[[P1]], %[[P2]]) : (!llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-NEXT: llvm.return
llvm.func @kernel(%a: !llvm.ptr, %b: !llvm.ptr, %c: !llvm.ptr) {
  llvm.return
}

// -----

// Declarations, private symbols (as convert-func-to-llvm leaves a private
// func.func) and existing wrappers are skipped; every
// public kernel gets its own wrapper.
// CHECK-LABEL: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-NOT: @malloc_retc_abi
// CHECK-NOT: @helper_retc_abi
// CHECK-NOT: @done_retc_abi_retc_abi
// CHECK-DAG: llvm.func @first_retc_abi(%{{.+}}: !llvm.ptr) {
// CHECK-DAG: llvm.func @second_retc_abi(%{{.+}}: !llvm.ptr) {
// CHECK-NOT: @malloc_retc_abi
// CHECK-NOT: @helper_retc_abi
// CHECK-NOT: @done_retc_abi_retc_abi
llvm.func @malloc(i64) -> !llvm.ptr
llvm.func @helper(%a: i64) -> i64 attributes {sym_visibility = "private"} {
  llvm.return %a : i64
}
llvm.func @done_retc_abi(%a: !llvm.ptr) {
  llvm.return
}
llvm.func @first(%a: !llvm.ptr) {
  llvm.return
}
llvm.func @second(%a: !llvm.ptr, %b: !llvm.ptr) {
  llvm.return
}

// -----

// A kernel without arguments gets a wrapper that loads nothing.
// CHECK-LABEL: llvm.func @noargs_retc_abi(
// CHECK-NOT: llvm.load
// CHECK: llvm.call @noargs() : () -> ()
llvm.func @noargs() {
  llvm.return
}
