//===- RetentionOps.cpp - retention op verifiers ----------------*- C++ -*-===//
//
// The invariants of the retention ops. All forms share one verifier: shapes
// and element types of operands and results, the initial and final state,
// decay and scale; the chunkwise form adds its chunk size.
//
//===----------------------------------------------------------------------===//
#include "dialect/RetentionOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include "dialect/RetentionInterfaces.cpp.inc"

using namespace mlir;
using namespace mlir::retention;

/// Prints a shape as [2, 8, ?, 16].
static std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  llvm::raw_string_ostream os(s);
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      os << '?';
    else
      os << d;
  });
  os << ']';
  return s;
}

/// True when two dimension sizes can be equal (equal, or one is dynamic).
static bool dimsAgree(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

static bool shapesAgree(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (a.size() != b.size())
    return false;
  for (auto [x, y] : llvm::zip(a, b))
    if (!dimsAgree(x, y))
      return false;
  return true;
}

/// The verifier shared by every retention op.
static LogicalResult verifyRetention(RetentionOpInterface op) {
  Operation *raw = op.getOperation();
  RankedTensorType qType = op.getQ().getType(), kType = op.getK().getType(),
                   vType = op.getV().getType();
  ArrayRef<int64_t> q = qType.getShape(), k = kType.getShape(),
                    v = vType.getShape();
  if (!shapesAgree(q, k))
    return raw->emitOpError("key shape ")
           << shapeStr(k) << " does not match query shape " << shapeStr(q);
  if (!shapesAgree(q.take_front(3), v.take_front(3)))
    return raw->emitOpError("value shape ")
           << shapeStr(v) << " does not match query shape " << shapeStr(q)
           << " in [B, T, H]";
  for (int64_t d : llvm::concat<const int64_t>(q, v))
    if (!ShapedType::isDynamic(d) && d <= 0)
      return raw->emitOpError("dimension sizes must be positive, got q ")
             << shapeStr(q) << " and v " << shapeStr(v);
  Type elt = qType.getElementType();
  if (kType.getElementType() != elt || vType.getElementType() != elt)
    return raw->emitOpError("q, k and v must have one element type, got ")
           << elt << ", " << kType.getElementType() << ", "
           << vType.getElementType();

  // Each size from whichever of q, k, v knows it.
  auto known = [](int64_t a, int64_t b) {
    return ShapedType::isDynamic(a) ? b : a;
  };
  RetentionShape s{known(known(q[0], k[0]), v[0]),
                   known(known(q[1], k[1]), v[1]),
                   known(known(q[2], k[2]), v[2]), known(q[3], k[3]), v[3]};
  SmallVector<int64_t> outShape = {s.B, s.T, s.H, s.V};
  // With segments the states have a row a sequence: N, one less than the
  // offsets, and q, k, v and o one packed row.
  int64_t sequences = s.B;
  if (auto segments = op.getSegments()) {
    if (ShapedType::isDynamic(s.B) || s.B != 1)
      return raw->emitOpError("with segments, q, k and v must have batch 1 "
                              "(the sequences packed along T), got ")
             << shapeStr(q);
    int64_t offsets = segments.getType().getDimSize(0);
    if (!ShapedType::isDynamic(offsets) && offsets < 2)
      return raw->emitOpError("segments must hold at least 2 offsets (N + 1 "
                              "for N sequences), got ")
             << offsets;
    sequences = ShapedType::isDynamic(offsets) ? offsets : offsets - 1;
    outShape[0] = 1;
  }
  SmallVector<int64_t> stateShape = {sequences, s.H, s.K, s.V};
  RankedTensorType oType = op.getOutput().getType();
  if (!shapesAgree(oType.getShape(), outShape))
    return raw->emitOpError("output shape ")
           << shapeStr(oType.getShape()) << " does not match [B, T, H, V] = "
           << shapeStr(outShape);
  if (oType.getElementType() != elt)
    return raw->emitOpError("output element type ")
           << oType.getElementType() << " does not match input element type "
           << elt;
  if (auto init = op.getInitialState())
    if (!shapesAgree(init.getType().getShape(), stateShape))
      return raw->emitOpError("initial state shape ")
             << shapeStr(init.getType().getShape())
             << " does not match [" << (op.getSegments() ? "N" : "B")
             << ", H, K, V] = " << shapeStr(stateShape);
  if (!shapesAgree(op.getFinalState().getType().getShape(), stateShape))
    return raw->emitOpError("final state shape ")
           << shapeStr(op.getFinalState().getType().getShape())
           << " does not match [" << (op.getSegments() ? "N" : "B")
           << ", H, K, V] = " << shapeStr(stateShape);

  DecayAttr decay = op.getDecay();
  if (decay.getSchedule() == DecaySchedule::Explicit &&
      !ShapedType::isDynamic(s.H) &&
      int64_t(decay.getValueList().size()) != s.H)
    return raw->emitOpError("explicit decay has ")
           << decay.getValueList().size() << " values but there are " << s.H
           << " heads";
  if (decay.getSchedule() == DecaySchedule::RetNet &&
      !ShapedType::isDynamic(s.H) && s.H > kMaxRetNetHeads)
    return raw->emitOpError("decay 'retnet' is defined for at most ")
           << kMaxRetNetHeads << " heads, got " << s.H
           << ": gamma_h = 1 - 2^(-5-h) rounds to 1 in double from head "
           << kMaxRetNetHeads << " on";
  if (auto scale = op.getScale()) {
    double value = scale->convertToDouble();
    if (!(value > 0.0) || !std::isfinite(value))
      return raw->emitOpError("scale must be positive and finite, got ")
             << value;
  }
  return success();
}

LogicalResult RetentionOp::verify() { return verifyRetention(*this); }
LogicalResult ParallelOp::verify() { return verifyRetention(*this); }
LogicalResult RecurrentOp::verify() { return verifyRetention(*this); }
LogicalResult ChunkwiseOp::verify() {
  if (getChunkSizeAttr().getInt() <= 0)
    return emitOpError("chunk size must be positive, got ")
           << getChunkSizeAttr().getInt();
  return verifyRetention(*this);
}

#define GET_OP_CLASSES
#include "dialect/RetentionOps.cpp.inc"
