//===- Passes.h - retention -> retention passes -----------------*- C++ -*-===//
//
// Declarations of the passes that choose and convert retention forms, and the
// helper they share.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_PASSES_PASSES_H
#define RETC_PASSES_PASSES_H

#include "dialect/RetentionOps.h"

#include "mlir/Pass/Pass.h"

namespace mlir {
class RewriterBase;
} // namespace mlir

namespace mlir::retention {

/// The form of an existing retention op (RetentionForm, the dialect's
/// enum; its spelling in flags and manifests is stringifyRetentionForm's).
RetentionForm getForm(RetentionOpInterface op);

/// Replaces `op` by an op of `form` (not Auto) with the same operands,
/// results, decay and scale; `chunkSize` is used for the chunkwise form.
/// Returns the new op.
RetentionOpInterface rewriteToForm(RewriterBase &rewriter,
                                   RetentionOpInterface op, RetentionForm form,
                                   int64_t chunkSize);

#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace mlir::retention

#endif // RETC_PASSES_PASSES_H
