//===- SelectForm.cpp - choose a form for retention ops ---------*- C++ -*-===//
//
// retention-select-form: every form-agnostic retention op gets a form, chosen
// explicitly or from its sequence length.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "retention-select-form"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONSELECTFORM
#include "passes/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
struct SelectFormPass
    : public retention::impl::RetentionSelectFormBase<SelectFormPass> {
  using RetentionSelectFormBase::RetentionSelectFormBase;

  /// The form `auto` picks for a sequence of length `seqLen`.
  RetentionForm chooseByLength(int64_t seqLen) const {
    if (ShapedType::isDynamic(seqLen))
      return RetentionForm::Chunkwise;
    if (seqLen <= recurrentMaxLen)
      return RetentionForm::Recurrent;
    if (seqLen <= parallelMaxLen)
      return RetentionForm::Parallel;
    return RetentionForm::Chunkwise;
  }

  /// The form named by the enclosing function's `retention.form`, if any.
  LogicalResult formOfFunction(Operation *op, RetentionForm &chosen) const {
    for (Operation *p = op->getParentOp(); p; p = p->getParentOp()) {
      Attribute attr =
          p->getAttr(RetentionDialect::FormAttrHelper::getNameStr());
      if (!attr)
        continue;
      auto name = dyn_cast<StringAttr>(attr);
      std::optional<RetentionForm> named =
          name ? symbolizeRetentionForm(name.getValue()) : std::nullopt;
      if (!named || *named == RetentionForm::Auto ||
          *named == RetentionForm::Generic)
        return p->emitError("retention.form must be \"parallel\", "
                            "\"chunkwise\" or \"recurrent\", got ")
               << attr;
      chosen = *named;
      return success();
    }
    return success();
  }

  void runOnOperation() override {
    if (chunkSize <= 0) {
      getOperation()->emitError("retention-select-form: chunk-size must be "
                                "positive, got ")
          << int64_t(chunkSize);
      return signalPassFailure();
    }
    SmallVector<RetentionOp> worklist;
    getOperation()->walk([&](RetentionOp op) { worklist.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (RetentionOp op : worklist) {
      auto iface = cast<RetentionOpInterface>(op.getOperation());
      RetentionForm chosen =
          form == RetentionForm::Auto
              ? chooseByLength(iface.getRetentionShape().T)
              : RetentionForm(form);
      if (form == RetentionForm::Auto) {
        if (failed(formOfFunction(op, chosen)))
          return signalPassFailure();
      }
      LLVM_DEBUG(llvm::dbgs() << "T = " << iface.getRetentionShape().T
                              << " -> " << stringifyRetentionForm(chosen) << "\n");
      rewriteToForm(rewriter, iface, chosen, chunkSize);
    }
  }
};
} // namespace
