//===- CompiledForRecord.h - What the code was compiled for -----*- C++ -*-===//
//
// Puts into the generated code the record of what it was compiled for: the
// exported constant RETC_COMPILED_FOR_SYMBOL (runtime/KernelABI.h) whose
// text the runtime compares with the package's manifest before it calls
// the code (runtime/package/CompiledFor.h makes the text; retc hands it
// here).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_COMMON_COMPILEDFORRECORD_H
#define RETC_CODEGEN_COMMON_COMPILEDFORRECORD_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace mlir::retention {

/// Adds to `scope`, a symbol table in LLVM-dialect form (the CPU module
/// after the LLVM lowering, or a gpu.module before it), the global
/// RETC_COMPILED_FOR_SYMBOL: an externally visible constant array of i8
/// holding `text` and a terminating NUL, in `addressSpace` (0 on the CPU;
/// 1, global memory, in a gpu.module, where cuModuleGetGlobal finds it).
/// Fails, with an error on `scope`, if the symbol is already defined.
LogicalResult addCompiledForRecord(Operation *scope, StringRef text,
                                   unsigned addressSpace);

} // namespace mlir::retention

#endif // RETC_CODEGEN_COMMON_COMPILEDFORRECORD_H
