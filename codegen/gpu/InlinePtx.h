//===- InlinePtx.h - inline PTX at an Emitter ------------------*- C++ -*-===//
//
// PTX instructions MLIR 22 has no NVVM op for (wgmma with a register A,
// stmatrix, movmatrix, named barriers with a register id), emitted as
// `llvm.inline_asm` the way MLIR's own NVGPU lowering emits wgmma.
// Operands are referenced as $0, $1, ... (outputs first).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_INLINEPTX_H
#define RETC_CODEGEN_GPU_INLINEPTX_H

#include "codegen/gpu/KernelEmitter.h"

namespace mlir::retention {

/// `ptx` with `constraints` over `operands`, producing values of
/// `resultTypes` (several come out of one struct). With side effects the
/// statement keeps its place among the other volatile statements and
/// barriers; without, it is a pure value the compiler may move or share.
SmallVector<Value> inlinePtx(Emitter &e, StringRef ptx, StringRef constraints,
                             ValueRange operands, TypeRange resultTypes,
                             bool hasSideEffects = true);

/// `index` (an index value below 2^31) as the result of an opaque move: what
/// is computed from it inside a loop stays there instead of being hoisted
/// into registers held across the loop.
Value opaqueIndex(Emitter &e, Value index);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_INLINEPTX_H
