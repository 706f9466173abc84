//===- FormBuilder.cpp - build a retention op of a chosen form --*- C++ -*-===//
//
// The one place that knows how to turn a retention op into another form.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::retention;

RetentionForm mlir::retention::getForm(RetentionOpInterface op) {
  Operation *raw = op.getOperation();
  if (isa<ParallelOp>(raw))
    return RetentionForm::Parallel;
  if (isa<ChunkwiseOp>(raw))
    return RetentionForm::Chunkwise;
  if (isa<RecurrentOp>(raw))
    return RetentionForm::Recurrent;
  return RetentionForm::Generic;
}

template <typename OpTy, typename... Extra>
static RetentionOpInterface build(RewriterBase &rewriter,
                                  RetentionOpInterface op, Extra... extra) {
  FloatAttr scale;
  if (auto s = op.getScale())
    scale = rewriter.getF64FloatAttr(s->convertToDouble());
  auto newOp = OpTy::create(
      rewriter, op->getLoc(), op.getOutput().getType(),
      op.getFinalState().getType(), op.getQ(), op.getK(), op.getV(),
      op.getInitialState(), op.getSegments(), op.getDecay(), scale, extra...);
  // Keep any discardable attributes a user or an earlier pass attached,
  // except a GPU schedule: it was chosen for the old form.
  StringRef schedule =
      RetentionDialect::GpuScheduleAttrHelper::getNameStr();
  for (NamedAttribute attr : op->getDiscardableAttrs())
    if (attr.getName() != schedule)
      newOp->setAttr(attr.getName(), attr.getValue());
  rewriter.replaceOp(op, newOp->getResults());
  return cast<RetentionOpInterface>(newOp.getOperation());
}

RetentionOpInterface mlir::retention::rewriteToForm(RewriterBase &rewriter,
                                                    RetentionOpInterface op,
                                                    RetentionForm form,
                                                    int64_t chunkSize) {
  rewriter.setInsertionPoint(op);
  switch (form) {
  case RetentionForm::Generic:
    return build<RetentionOp>(rewriter, op);
  case RetentionForm::Parallel:
    return build<ParallelOp>(rewriter, op);
  case RetentionForm::Recurrent:
    return build<RecurrentOp>(rewriter, op);
  case RetentionForm::Chunkwise:
    return build<ChunkwiseOp>(rewriter, op, rewriter.getI64IntegerAttr(chunkSize));
  case RetentionForm::Auto:
    break;
  }
  llvm_unreachable("rewriteToForm needs a concrete form");
}
