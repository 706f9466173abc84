//===- RetentionOps.h - retention operations --------------------*- C++ -*-===//
//
// The retention ops and RetentionOpInterface.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_DIALECT_RETENTIONOPS_H
#define RETC_DIALECT_RETENTIONOPS_H

#include "dialect/RetentionAttrs.h"
#include "dialect/RetentionDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cmath>
#include <optional>

namespace mlir::retention {
/// The sizes of a retention problem: q, k : [B, T, H, K], v : [B, T, H, V].
struct RetentionShape {
  int64_t B, T, H, K, V;
  static RetentionShape of(RankedTensorType q, RankedTensorType v) {
    return {q.getDimSize(0), q.getDimSize(1), q.getDimSize(2), q.getDimSize(3),
            v.getDimSize(3)};
  }
  bool isStatic() const {
    return !ShapedType::isDynamic(B) && !ShapedType::isDynamic(T) &&
           !ShapedType::isDynamic(H) && !ShapedType::isDynamic(K) &&
           !ShapedType::isDynamic(V);
  }
};
} // namespace mlir::retention

#include "dialect/RetentionInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialect/RetentionOps.h.inc"

namespace mlir::retention {
/// A projection as the GEMM kernels see it: `retention.linear` (x, weight,
/// residual, norm), `retention.swiglu_linear` (x, the gate weight as
/// `weight`, the up weight as `up`, norm) or `retention.linear_group` (x,
/// its first weight and result as `weight` and `result`, norm, and the op
/// as `group`). Absent operands are null.
struct Projection {
  Operation *op = nullptr;
  TypedValue<RankedTensorType> x, weight, up, residual, norm;
  FloatAttr normEps;
  /// retention.linear's gated head norm: the norm per head of this many
  /// columns (0: one over the whole row) and the swish gate (or null).
  int64_t normHeadDim = 0;
  TypedValue<RankedTensorType> gate;
  TypedValue<RankedTensorType> result;
  Operation *group = nullptr;

  /// The view of `op`, or nullopt for any other op.
  static std::optional<Projection> of(Operation *op);
  int64_t M() const { return x.getType().getDimSize(0); }
  int64_t K() const { return x.getType().getDimSize(1); }
  int64_t N() const { return weight.getType().getDimSize(0); }
  /// The heads the fused norm is taken over: K / normHeadDim, or 1 (a norm
  /// over whole rows, or a K known only at run time).
  int64_t normHeads() const {
    return normHeadDim > 0 && !ShapedType::isDynamic(K()) ? K() / normHeadDim
                                                          : 1;
  }
};
} // namespace mlir::retention

#endif // RETC_DIALECT_RETENTIONOPS_H
