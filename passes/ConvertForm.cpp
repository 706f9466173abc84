//===- ConvertForm.cpp - convert retention ops between forms ----*- C++ -*-===//
//
// retention-convert-form: rewrite retention ops of any form into a given form.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "retention-convert-form"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONCONVERTFORM
#include "passes/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
/// The chunk size used when nothing says otherwise.
constexpr int64_t kDefaultChunkSize = 64;

struct ConvertFormPass
    : public retention::impl::RetentionConvertFormBase<ConvertFormPass> {
  using RetentionConvertFormBase::RetentionConvertFormBase;

  void runOnOperation() override {
    if (chunkSize < 0) {
      getOperation()->emitError("retention-convert-form: chunk-size must not "
                                "be negative, got ")
          << int64_t(chunkSize);
      return signalPassFailure();
    }
    SmallVector<RetentionOpInterface> worklist;
    getOperation()->walk(
        [&](RetentionOpInterface op) { worklist.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (RetentionOpInterface op : worklist) {
      RetentionForm from = getForm(op);
      int64_t chunk = chunkSize;
      if (chunk == 0) {
        auto chunkwise = dyn_cast<ChunkwiseOp>(op.getOperation());
        chunk = chunkwise ? chunkwise.getChunkSizeAttr().getInt()
                        : kDefaultChunkSize;
      }
      if (from == RetentionForm(to) &&
          (from != RetentionForm::Chunkwise ||
           cast<ChunkwiseOp>(op.getOperation()).getChunkSizeAttr().getInt() ==
               chunk))
        continue;
      LLVM_DEBUG(llvm::dbgs() << stringifyRetentionForm(from) << " -> "
                              << stringifyRetentionForm(RetentionForm(to)) << "\n");
      rewriteToForm(rewriter, op, RetentionForm(to), chunk);
    }
  }
};
} // namespace
