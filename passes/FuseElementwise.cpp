//===- FuseElementwise.cpp - elementwise work into its producers ----------===//
//
// retention-fuse-elementwise: residual additions into the epilogue of the
// projection that produces one of their operands, the SwiGLU product with
// the two projections that feed it, and (in functions of few rows) RMSNorm
// into the projections it feeds (see Passes.td).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/MapVector.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONFUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
/// A linear without a residual whose only user is `user`.
LinearOp fusibleLinear(Value v, Operation *user) {
  auto linear = v.getDefiningOp<LinearOp>();
  if (!linear || linear.getResidual() || !linear->hasOneUse() ||
      *linear->getUsers().begin() != user)
    return {};
  return linear;
}

/// add(h, linear(x, w)) -> linear(x, w, residual h), either operand order.
struct ResidualIntoLinear : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [mine, other] : {std::pair(add.getRhs(), add.getLhs()),
                               std::pair(add.getLhs(), add.getRhs())}) {
      LinearOp linear = fusibleLinear(mine, add);
      if (!linear)
        continue;
      if (linear.getType() != add.getType())
        continue;
      rewriter.replaceOpWithNewOp<LinearOp>(
          add, add.getType(), linear.getX(), linear.getWeight(), other,
          linear.getNorm(), linear.getGate(), linear.getNormEpsAttr(),
          linear.getNormHeadDimAttr());
      rewriter.eraseOp(linear);
      return success();
    }
    return failure();
  }
};

/// Whether `op` is in a function whose rows are bounded by `maxRows`
/// (retention.max_tokens, and `rows` where static); `maxRows` = 0: any.
bool withinRows(Operation *op, int64_t rows, int64_t maxRows) {
  if (maxRows == 0)
    return true;
  auto func = op->getParentOfType<FunctionOpInterface>();
  auto bound = func ? func->getAttrOfType<IntegerAttr>("retention.max_tokens")
                    : IntegerAttr();
  if (!bound || bound.getInt() > maxRows)
    return false;
  return ShapedType::isDynamic(rows) || rows <= maxRows;
}

/// swiglu(linear(x, wg), linear(x, wu)) -> swiglu_linear(x, wg, wu), the
/// two with the same folded norm or none, in functions of at most
/// `maxRows` rows (0: any).
struct SwiGLUIntoLinears : OpRewritePattern<SwiGLUOp> {
  SwiGLUIntoLinears(MLIRContext *ctx, int64_t maxRows)
      : OpRewritePattern(ctx), maxRows(maxRows) {}
  LogicalResult matchAndRewrite(SwiGLUOp op,
                                PatternRewriter &rewriter) const override {
    LinearOp gate = fusibleLinear(op.getGate(), op);
    LinearOp up = fusibleLinear(op.getUp(), op);
    if (!gate || !up || gate == up || gate.getX() != up.getX() ||
        gate.getNorm() != up.getNorm() || gate.getGate() || up.getGate() ||
        gate.getNormHeadDimAttr() || up.getNormHeadDimAttr() ||
        gate.getNormEpsAttr() != up.getNormEpsAttr() ||
        gate.getWeight().getType().getElementType() !=
            up.getWeight().getType().getElementType() ||
        !withinRows(op, op.getType().getDimSize(0), maxRows))
      return failure();
    rewriter.replaceOpWithNewOp<SwiGLULinearOp>(
        op, op.getType(), gate.getX(), gate.getWeight(), up.getWeight(),
        gate.getNorm(), gate.getNormEpsAttr());
    rewriter.eraseOp(gate);
    rewriter.eraseOp(up);
    return success();
  }
  int64_t maxRows;
};

/// linear(rms_norm(h, w), W) (or swiglu_linear) for every user ->
/// linear(h norm w, W), in a function whose max_tokens is at most
/// `maxRows`.
struct NormIntoLinears : OpRewritePattern<RMSNormOp> {
  NormIntoLinears(MLIRContext *ctx, int64_t maxRows)
      : OpRewritePattern(ctx), maxRows(maxRows) {}
  LogicalResult matchAndRewrite(RMSNormOp norm,
                                PatternRewriter &rewriter) const override {
    if (norm->use_empty() ||
        !withinRows(norm, norm.getX().getType().getDimSize(0), maxRows))
      return failure();
    SmallVector<Projection> users;
    for (OpOperand &use : norm->getUses()) {
      std::optional<Projection> p = Projection::of(use.getOwner());
      // x is operand 0; the same value as another operand too stays.
      if (!p || use.getOperandNumber() != 0 || p->norm ||
          llvm::count(p->op->getOperands(), norm.getResult()) != 1)
        return failure();
      users.push_back(*p);
    }
    for (const Projection &p : users) {
      rewriter.setInsertionPoint(p.op);
      if (auto linear = dyn_cast<LinearOp>(p.op))
        rewriter.replaceOpWithNewOp<LinearOp>(
            linear, linear.getType(), norm.getX(), linear.getWeight(),
            linear.getResidual(), norm.getWeight(), norm.getEpsAttr());
      else
        rewriter.replaceOpWithNewOp<SwiGLULinearOp>(
            p.op, p.result.getType(), norm.getX(), p.weight, p.up,
            norm.getWeight(), norm.getEpsAttr());
    }
    rewriter.eraseOp(norm);
    return success();
  }
  int64_t maxRows;
};

/// Groups the projections of one input in `block`: linears without a
/// residual taking the same x (as x), with the same folded norm or none and
/// weights of one type, become one retention.linear_group at the first of
/// them; a linear whose weight is defined after that point stays.
void groupLinears(Block &block, int64_t maxRows) {
  // Candidates by (x, norm, eps, weight type), in block order.
  llvm::MapVector<std::tuple<Value, Value, Attribute, Type>,
                  SmallVector<LinearOp>>
      groups;
  for (Operation &op : block)
    if (auto linear = dyn_cast<LinearOp>(op))
      if (!linear.getResidual() && linear.getWeight() != linear.getX() &&
          linear.getNorm() != linear.getX() && !linear.getGate() &&
          !linear.getNormHeadDimAttr() &&
          withinRows(linear, linear.getX().getType().getDimSize(0), maxRows))
        groups[{linear.getX(), linear.getNorm(), linear.getNormEpsAttr(),
                linear.getWeight().getType().getElementType()}]
            .push_back(linear);
  for (auto &[key, linears] : groups) {
    LinearOp first = linears.front();
    SmallVector<LinearOp> members;
    for (LinearOp linear : linears) {
      Operation *def = linear.getWeight().getDefiningOp();
      if (linear == first || !def || def->getBlock() != &block ||
          def->isBeforeInBlock(first))
        members.push_back(linear);
    }
    if (members.size() < 2)
      continue;
    OpBuilder b(first);
    SmallVector<Value> weights;
    SmallVector<Type> types;
    for (LinearOp linear : members) {
      weights.push_back(linear.getWeight());
      types.push_back(linear.getType());
    }
    auto group = LinearGroupOp::create(b, first.getLoc(), types,
                                       first.getX(), weights, first.getNorm(),
                                       first.getNormEpsAttr());
    for (auto [linear, result] : llvm::zip(members, group.getResults())) {
      linear.getResult().replaceAllUsesWith(result);
      linear.erase();
    }
  }
}

/// linear(gated_head_norm(o, w, gate g), W) -> linear(o norm w gate g, W)
/// (norm_head_dim the head norm's head_dim), the head norm used only
/// there, in a function whose max_tokens is at most `maxRows`.
struct HeadNormIntoLinear : OpRewritePattern<LinearOp> {
  HeadNormIntoLinear(MLIRContext *ctx, int64_t maxRows)
      : OpRewritePattern(ctx), maxRows(maxRows) {}
  LogicalResult matchAndRewrite(LinearOp linear,
                                PatternRewriter &rewriter) const override {
    auto norm = linear.getX().getDefiningOp<GatedHeadNormOp>();
    if (!norm || linear.getNorm() || !norm->hasOneUse() ||
        linear.getWeight() == norm.getResult() ||
        linear.getResidual() == norm.getResult() ||
        !withinRows(linear, linear.getX().getType().getDimSize(0), maxRows))
      return failure();
    rewriter.replaceOpWithNewOp<LinearOp>(
        linear, linear.getType(), norm.getO(), linear.getWeight(),
        linear.getResidual(), norm.getWeight(), norm.getGate(),
        norm.getEpsAttr(), norm.getHeadDimAttr());
    rewriter.eraseOp(norm);
    return success();
  }
  int64_t maxRows;
};

struct FuseElementwisePass
    : public retention::impl::RetentionFuseElementwiseBase<
          FuseElementwisePass> {
  using RetentionFuseElementwiseBase::RetentionFuseElementwiseBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ResidualIntoLinear>(&getContext());
    if (swigluLinear)
      patterns.add<SwiGLUIntoLinears>(&getContext(), swigluMaxRows);
    if (normMaxRows > 0)
      patterns.add<NormIntoLinears, HeadNormIntoLinear>(&getContext(),
                                                        normMaxRows);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // After the other fusions, which take single projections: the rest of
    // the projections of each input as groups.
    if (groupMaxRows > 0) {
      SmallVector<Block *> blocks;
      getOperation()->walk([&](Block *block) { blocks.push_back(block); });
      for (Block *block : blocks)
        groupLinears(*block, groupMaxRows);
    }
  }
};
} // namespace
