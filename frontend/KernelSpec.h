//===- KernelSpec.h - a single retention kernel, as the user asks -*- C++ -*-===//
//
// The description of one retention kernel given on retc's command line
// (--shape, --dtype, --decay, ...): parsing of its textual pieces with
// precise messages, and building the graph-level IR from it.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_KERNELSPEC_H
#define RETC_FRONTEND_KERNELSPEC_H

#include "dialect/RetentionOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <optional>

namespace mlir::retention {

/// One retention kernel: sizes, element type, decay, scale, initial state.
struct KernelSpec {
  RetentionShape shape{};
  Type elementType;                ///< f32, bf16 or f16 (q, k, v, o)
  DecayAttr decay;                 ///< per-head decay
  std::optional<double> scale;     ///< default K^-1/2
  bool initialState = false;       ///< take an initial state s0
};

/// Parses "B,T,H,K,V" (five positive integers).
llvm::Expected<RetentionShape> parseShape(llvm::StringRef text);
/// Parses "f32", "bf16" or "f16".
llvm::Expected<Type> parseElementType(MLIRContext &ctx, llvm::StringRef text);
/// Parses "retnet", "paper" or a comma-separated list of values.
llvm::Expected<DecayAttr> parseDecay(MLIRContext &ctx, llvm::StringRef text);
/// Parses a positive finite scale.
llvm::Expected<double> parseScale(llvm::StringRef text);

/// The kernel function's name, also the package entry point.
constexpr llvm::StringLiteral kKernelName = "retention";

/// Builds `func.func @retention(q, k, v[, s0]) -> (o, state)` around one
/// form-agnostic `retention.retention`, and verifies it. Verifier messages
/// go to the context's diagnostic handler.
FailureOr<OwningOpRef<ModuleOp>> buildKernelModule(MLIRContext &ctx,
                                                   const KernelSpec &spec);

} // namespace mlir::retention

#endif // RETC_FRONTEND_KERNELSPEC_H
