//===- DecayTables.h - decay factors computed in generated code -*- C++ -*-===//
//
// Retention's decay gamma_h^e is computed as exp2(e * log2 gamma_h): from a
// per-head table of log2 gamma_h baked into the module, never by repeated
// multiplication and never from a T x T mask in memory. Shared by every
// target's lowering.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_COMMON_DECAYTABLES_H
#define RETC_CODEGEN_COMMON_DECAYTABLES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::retention {

/// Adds (once per distinct table) a private constant `memref.global` holding
/// log2(gamma_h) as f32 for each head, and returns its name.
StringRef getOrCreateLog2GammaGlobal(ModuleOp module, ArrayRef<double> gammas);

/// Emits a load of log2(gamma_h) for head index `head` from the global.
Value emitLoadLog2Gamma(OpBuilder &b, Location loc, StringRef global,
                        int64_t numHeads, Value head);

/// Emits factor * exp2(e * log2g) for an index exponent `e`, or exactly 0
/// where e < 0 (the causal mask). Underflow gives 0, never NaN.
Value emitDecayPower(OpBuilder &b, Location loc, Value e, Value log2g,
                     Value factor);

/// Fills buf[x] = factor * gamma^(base + dir * x) (0 where the exponent is
/// negative) for x in [0, len); `buf` is a 1-D f32 memref.
void emitDecayTable(OpBuilder &b, Location loc, Value buf, int64_t len,
                    Value base, int64_t dir, Value log2g, Value factor);

} // namespace mlir::retention

#endif // RETC_CODEGEN_COMMON_DECAYTABLES_H
