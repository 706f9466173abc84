// RUN: retc-opt %s --split-input-file --verify-diagnostics --retention-emit-model-abi
// A module without a model entry function is an error.

// expected-error @+1 {{retention-emit-model-abi: no model entry function (void, i64 x 3, then 4 pointers) in the module}}
module {
  llvm.func @kernel(%a: !llvm.ptr, %b: !llvm.ptr) {
    llvm.return
  }
}

// -----

// Two i64 scalars instead of three.
// expected-error @+1 {{retention-emit-model-abi: no model entry function}}
module {
  llvm.func @prefill(%n: i64, %pos: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr, %w0: !llvm.ptr, %w1: !llvm.ptr) {
    llvm.return
  }
}

// -----

// Only a declaration.
// expected-error @+1 {{retention-emit-model-abi: no model entry function}}
module {
  llvm.func @prefill(i64, i64, i64, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr)
}
