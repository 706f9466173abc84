//===- LinearSpec.h - a single linear (GEMM) kernel -------------*- C++ -*-===//
//
// The description of one `retention.linear` kernel given on retc's command
// line (`--kernel=linear --shape=M,N,K --dtype=T [--residual]`): parsing of
// its shape with precise messages, and building the graph-level IR from it.
// The linear kernel is the single-kernel form of a model's projections
// (docs/gpu-models.md, "Every kernel family is a single kernel first").
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_LINEARSPEC_H
#define RETC_FRONTEND_LINEARSPEC_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

namespace mlir::retention {

/// The sizes of y[M,N] = x[M,K] weight[N,K]^T.
struct LinearShape {
  int64_t M = 0; ///< rows of activations (tokens)
  int64_t N = 0; ///< outputs (weight rows)
  int64_t K = 0; ///< inputs (the reduced dimension)
};

/// One linear kernel: sizes, the element type of every operand, and whether
/// a residual [M,N] is added.
struct LinearSpec {
  LinearShape shape;
  Type elementType;      ///< f32, bf16 or f16: x, weight, residual and y
  bool residual = false; ///< y = x weight^T + residual
};

/// The largest M (rows) and N, K (widths) a linear kernel may have, and
/// the most elements one operand may have (a package parameter's limit,
/// runtime/package/Manifest.cpp).
inline constexpr int64_t kMaxLinearRows = int64_t(1) << 31;
inline constexpr int64_t kMaxLinearWidth = int64_t(1) << 20;
inline constexpr int64_t kMaxLinearElements = int64_t(1) << 40;

/// Parses "M,N,K" (three positive integers within the limits above, no
/// operand of more than kMaxLinearElements).
llvm::Expected<LinearShape> parseLinearShape(llvm::StringRef text);

/// The linear kernel function's name, also the package entry point.
constexpr llvm::StringLiteral kLinearKernelName = "linear";

/// Builds `func.func @linear(%x: MxK, %weight: NxK[, %residual: MxN]) -> MxN`
/// around one `retention.linear`, and verifies it. Verifier messages go to
/// the context's diagnostic handler.
FailureOr<OwningOpRef<ModuleOp>>
buildLinearKernelModule(MLIRContext &ctx, const LinearSpec &spec);

} // namespace mlir::retention

#endif // RETC_FRONTEND_LINEARSPEC_H
