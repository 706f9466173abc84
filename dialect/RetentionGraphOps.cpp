//===- RetentionGraphOps.cpp - verifiers of the model graph ops -----------===//
//
// Invariants of the graph-level ops (RetentionGraphOps.td): matching row
// counts, widths that agree with the weights, head sizes that divide the
// widths. Dynamic sizes match anything.
//
//===----------------------------------------------------------------------===//
#include "dialect/RetentionOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::retention;

namespace {
bool compatible(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

int64_t dim(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

std::string str(int64_t d) {
  return ShapedType::isDynamic(d) ? "?" : std::to_string(d);
}

/// `what` has the row count of `rows` (dimension 0).
LogicalResult sameRows(Operation *op, Value rows, Value other,
                       llvm::StringRef what) {
  if (!compatible(dim(rows, 0), dim(other, 0)))
    return op->emitOpError() << what << " has " << str(dim(other, 0))
                             << " rows, expected " << str(dim(rows, 0));
  return success();
}

/// Dimension `i` of `v` is `expected`.
LogicalResult hasDim(Operation *op, Value v, unsigned i, int64_t expected,
                     llvm::StringRef what) {
  if (!compatible(dim(v, i), expected))
    return op->emitOpError() << what << " is " << str(dim(v, i))
                             << ", expected " << str(expected);
  return success();
}

/// A head size that is positive and divides `width`.
LogicalResult divides(Operation *op, int64_t headDim, int64_t width,
                      llvm::StringRef what) {
  if (headDim <= 0)
    return op->emitOpError() << what << " must be positive, got " << headDim;
  if (!ShapedType::isDynamic(width) && width % headDim)
    return op->emitOpError() << what << " " << headDim
                             << " does not divide the width " << width;
  return success();
}

LogicalResult positiveEps(Operation *op, double eps) {
  if (!(eps > 0) || !std::isfinite(eps))
    return op->emitOpError() << "eps must be positive and finite, got " << eps;
  return success();
}

/// A projection's fused norm: `norm` and `eps` together, the eps positive,
/// the norm `length` long (x's width, or a head's), x's rows not empty.
LogicalResult verifyFusedNorm(Operation *op, Value x, Value norm,
                              FloatAttr eps, int64_t length) {
  if (bool(norm) != bool(eps))
    return op->emitOpError("takes 'norm' and 'norm_eps' together");
  if (!norm)
    return success();
  if (failed(positiveEps(op, eps.getValueAsDouble())) ||
      failed(hasDim(op, norm, 0, length, "the norm length")))
    return failure();
  if (dim(x, 1) == 0)
    return op->emitOpError("a fused norm needs rows of at least one element "
                           "(the mean of none is undefined)");
  return success();
}
} // namespace

std::optional<Projection> Projection::of(Operation *op) {
  auto typed = [](Value v) {
    return v ? cast<TypedValue<RankedTensorType>>(v)
             : TypedValue<RankedTensorType>();
  };
  Projection p;
  p.op = op;
  if (auto linear = dyn_cast<LinearOp>(op)) {
    p.x = typed(linear.getX());
    p.weight = typed(linear.getWeight());
    p.residual = typed(linear.getResidual());
    p.norm = typed(linear.getNorm());
    p.normEps = linear.getNormEpsAttr();
    if (IntegerAttr headDim = linear.getNormHeadDimAttr())
      p.normHeadDim = headDim.getInt();
    p.gate = typed(linear.getGate());
    p.result = typed(linear.getResult());
    return p;
  }
  if (auto swiglu = dyn_cast<SwiGLULinearOp>(op)) {
    p.x = typed(swiglu.getX());
    p.weight = typed(swiglu.getGateWeight());
    p.up = typed(swiglu.getUpWeight());
    p.norm = typed(swiglu.getNorm());
    p.normEps = swiglu.getNormEpsAttr();
    p.result = typed(swiglu.getResult());
    return p;
  }
  if (auto group = dyn_cast<LinearGroupOp>(op)) {
    p.x = typed(group.getX());
    p.weight = typed(group.getWeights()[0]);
    p.norm = typed(group.getNorm());
    p.normEps = group.getNormEpsAttr();
    p.result = typed(group.getResults()[0]);
    p.group = op;
    return p;
  }
  return std::nullopt;
}

LogicalResult EmbeddingOp::verify() {
  if (failed(sameRows(*this, getResult(), getTokens(), "tokens")) ||
      failed(hasDim(*this, getResult(), 1, dim(getTable(), 1),
                    "the result width")))
    return failure();
  return success();
}

LogicalResult RMSNormOp::verify() {
  if (failed(positiveEps(*this, getEps().convertToDouble())) ||
      failed(hasDim(*this, getWeight(), 0, dim(getX(), 1),
                    "the weight length")) ||
      failed(sameRows(*this, getX(), getResult(), "the result")) ||
      failed(hasDim(*this, getResult(), 1, dim(getX(), 1), "the result width")))
    return failure();
  return success();
}

LogicalResult LinearOp::verify() {
  Type out = getResult().getType().getElementType();
  if (Value r = getResidual())
    if (cast<RankedTensorType>(r.getType()).getElementType() != out)
      return emitOpError() << "residual element type "
                           << cast<RankedTensorType>(r.getType())
                                  .getElementType()
                           << " differs from the result's " << out;
  if (failed(hasDim(*this, getWeight(), 1, dim(getX(), 1),
                    "the weight's input width")) ||
      failed(sameRows(*this, getX(), getResult(), "the result")) ||
      failed(hasDim(*this, getResult(), 1, dim(getWeight(), 0),
                    "the result width")))
    return failure();
  if (Value r = getResidual())
    if (failed(sameRows(*this, getX(), r, "the residual")) ||
        failed(hasDim(*this, r, 1, dim(getWeight(), 0), "the residual width")))
      return failure();
  if ((getGate() || getNormHeadDimAttr()) && !getNorm())
    return emitOpError("takes 'gate' and 'norm_head_dim' only with 'norm'");
  // The norm covers a head, or the whole row.
  int64_t normLength = dim(getX(), 1);
  if (IntegerAttr headDim = getNormHeadDimAttr()) {
    if (failed(divides(*this, headDim.getInt(), dim(getX(), 1),
                       "norm_head_dim")))
      return failure();
    normLength = headDim.getInt();
  }
  if (failed(verifyFusedNorm(*this, getX(), getNorm(), getNormEpsAttr(),
                             normLength)))
    return failure();
  if (Value g = getGate())
    if (failed(sameRows(*this, getX(), g, "the gate")) ||
        failed(hasDim(*this, g, 1, dim(getX(), 1), "the gate width")))
      return failure();
  return success();
}

LogicalResult LinearGroupOp::verify() {
  if (getWeights().size() < 2)
    return emitOpError() << "takes two or more weights, got "
                         << getWeights().size();
  if (getResults().size() != getWeights().size())
    return emitOpError() << "has " << getResults().size()
                         << " results for " << getWeights().size()
                         << " weights";
  Type elt = cast<RankedTensorType>(getWeights()[0].getType()).getElementType();
  for (auto [i, w, y] : llvm::enumerate(getWeights(), getResults())) {
    std::string at = "weight " + std::to_string(i);
    if (cast<RankedTensorType>(w.getType()).getElementType() != elt)
      return emitOpError() << at << " is "
                           << cast<RankedTensorType>(w.getType())
                                  .getElementType()
                           << ", weight 0 " << elt;
    if (failed(hasDim(*this, w, 1, dim(getX(), 1),
                      at + "'s input width")) ||
        failed(sameRows(*this, getX(), y, "result " + std::to_string(i))) ||
        failed(hasDim(*this, y, 1, dim(w, 0),
                      "result " + std::to_string(i) + "'s width")))
      return failure();
  }
  return verifyFusedNorm(*this, getX(), getNorm(), getNormEpsAttr(),
                         dim(getX(), 1));
}

LogicalResult SwiGLUOp::verify() {
  if (failed(sameRows(*this, getGate(), getUp(), "up")) ||
      failed(hasDim(*this, getUp(), 1, dim(getGate(), 1), "up's width")) ||
      failed(sameRows(*this, getGate(), getResult(), "the result")) ||
      failed(hasDim(*this, getResult(), 1, dim(getGate(), 1),
                    "the result width")))
    return failure();
  return success();
}

LogicalResult SwiGLULinearOp::verify() {
  if (failed(hasDim(*this, getGateWeight(), 1, dim(getX(), 1),
                    "the gate weight's input width")) ||
      failed(hasDim(*this, getUpWeight(), 1, dim(getX(), 1),
                    "the up weight's input width")) ||
      failed(hasDim(*this, getUpWeight(), 0, dim(getGateWeight(), 0),
                    "the up weight's output width")) ||
      failed(sameRows(*this, getX(), getResult(), "the result")) ||
      failed(hasDim(*this, getResult(), 1, dim(getGateWeight(), 0),
                    "the result width")))
    return failure();
  Type gate = getGateWeight().getType().getElementType();
  Type up = getUpWeight().getType().getElementType();
  if (gate != up)
    return emitOpError() << "the gate weight is " << gate
                         << " but the up weight " << up;
  return verifyFusedNorm(*this, getX(), getNorm(), getNormEpsAttr(),
                         dim(getX(), 1));
}

LogicalResult RotaryOp::verify() {
  int64_t d = getHeadDim();
  if (failed(divides(*this, d, dim(getX(), 1), "head_dim")))
    return failure();
  if (d % 2)
    return emitOpError() << "head_dim must be even, got " << d;
  if (getLayout() != "rotate_half" && getLayout() != "interleaved")
    return emitOpError() << "layout must be 'rotate_half' or 'interleaved', "
                            "got '"
                         << getLayout() << "'";
  double base = getBase().convertToDouble();
  if (!(base > 1) || !std::isfinite(base))
    return emitOpError() << "base must be finite and greater than 1, got "
                         << base;
  if (failed(sameRows(*this, getX(), getResult(), "the result")) ||
      failed(hasDim(*this, getResult(), 1, dim(getX(), 1), "the result width")))
    return failure();
  if (bool(getPosition()) == bool(getPositions()))
    return emitOpError() << "takes either 'at' a starting position or "
                            "'positions' (one a row), "
                         << (getPosition() ? "got both" : "got neither");
  if (getPositions() &&
      failed(sameRows(*this, getX(), getPositions(), "the positions")))
    return failure();
  return success();
}

LogicalResult NextTokenOp::verify() {
  if (failed(sameRows(*this, getLogits(), getPositions(), "the positions")) ||
      failed(sameRows(*this, getLogits(), getTokens(), "the tokens")) ||
      failed(sameRows(*this, getLogits(), getNextPositions(),
                      "the next positions")))
    return failure();
  if (dim(getLogits(), 1) == 0)
    return emitOpError() << "needs at least one logit a row, got 0";
  if (!ShapedType::isDynamic(dim(getLogits(), 1)) &&
      dim(getLogits(), 1) > int64_t(std::numeric_limits<int32_t>::max()))
    return emitOpError() << "has " << dim(getLogits(), 1)
                         << " logits a row; token ids are i32";
  return success();
}

LogicalResult LastRowsOp::verify() {
  if (failed(hasDim(*this, getResult(), 1, dim(getX(), 1),
                    "the result width")))
    return failure();
  int64_t offsets = dim(getOffsets(), 0);
  if (ShapedType::isDynamic(offsets))
    return success();
  if (offsets < 2)
    return emitOpError() << "needs at least 2 offsets (N + 1 for N "
                            "sequences), got "
                         << offsets;
  return hasDim(*this, getResult(), 0, offsets - 1,
                "the result's rows (one a sequence)");
}

LogicalResult RepeatHeadsOp::verify() {
  if (failed(divides(*this, getHeadDim(), dim(getX(), 1), "head_dim")))
    return failure();
  int64_t groups = int64_t(getGroups());
  if (groups <= 0)
    return emitOpError() << "groups must be positive, got " << groups;
  int64_t in = dim(getX(), 1);
  int64_t expected = ShapedType::isDynamic(in) ? in : in * groups;
  if (failed(sameRows(*this, getX(), getResult(), "the result")) ||
      failed(hasDim(*this, getResult(), 1, expected, "the result width")))
    return failure();
  return success();
}

LogicalResult GatedHeadNormOp::verify() {
  if (failed(positiveEps(*this, getEps().convertToDouble())) ||
      failed(divides(*this, getHeadDim(), dim(getO(), 1), "head_dim")) ||
      failed(hasDim(*this, getWeight(), 0, getHeadDim(), "the weight length")))
    return failure();
  if (Value g = getGate())
    if (failed(sameRows(*this, getO(), g, "the gate")) ||
        failed(hasDim(*this, g, 1, dim(getO(), 1), "the gate width")))
      return failure();
  if (failed(sameRows(*this, getO(), getResult(), "the result")) ||
      failed(hasDim(*this, getResult(), 1, dim(getO(), 1), "the result width")))
    return failure();
  return success();
}

LogicalResult AddOp::verify() {
  if (failed(sameRows(*this, getLhs(), getRhs(), "the right operand")) ||
      failed(hasDim(*this, getRhs(), 1, dim(getLhs(), 1),
                    "the right operand's width")) ||
      failed(sameRows(*this, getLhs(), getResult(), "the result")) ||
      failed(hasDim(*this, getResult(), 1, dim(getLhs(), 1),
                    "the result width")))
    return failure();
  return success();
}

LogicalResult LaunchKernelOp::verify() {
  if (getMaxRows() < 1)
    return emitOpError("max_rows must be at least 1, got ") << getMaxRows();
  for (Value arg : getArgs())
    if (auto type = dyn_cast<MemRefType>(arg.getType());
        type && !type.getLayout().isIdentity() &&
        !isa<StridedLayoutAttr>(type.getLayout()))
      return emitOpError("buffer arguments need a strided layout, got ")
             << type;
  return success();
}

LogicalResult ModelWeightOp::verify() {
  auto type = cast<MemRefType>(getWeight().getType());
  if (!type.hasStaticShape() || !type.getLayout().isIdentity())
    return emitOpError("the weight must be a static-shaped memref with the "
                       "identity layout, got ")
           << type;
  auto table = cast<MemRefType>(getTable().getType());
  if (table.hasStaticShape() && table.getDimSize(0) == 0)
    return emitOpError("the table of weights is empty");
  return success();
}
