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

#endif // RETC_DIALECT_RETENTIONOPS_H
