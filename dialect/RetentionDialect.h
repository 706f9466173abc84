//===- RetentionDialect.h - the retention dialect ---------------*- C++ -*-===//
//
// Include this header to use the retention dialect, its attributes and ops.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_DIALECT_RETENTIONDIALECT_H
#define RETC_DIALECT_RETENTIONDIALECT_H

#include "dialect/RetentionAttrs.h"

#include "mlir/IR/Dialect.h"

#include "dialect/RetentionDialect.h.inc"

namespace mlir::retention {
class RetentionOpInterface;
/// Checks `schedule` against the form op it is attached to (its form,
/// element type, shape and chunk): what needs no target. The selection
/// pass checks the fit on a target.
LogicalResult verifyGpuScheduleForOp(GpuScheduleAttr schedule,
                                     RetentionOpInterface op);
/// Checks a `#retention.gemm_schedule` against the `retention.linear` it is
/// attached to (`op`; its element types and widths).
LogicalResult verifyGemmScheduleForOp(GemmScheduleAttr schedule,
                                      Operation *op);
} // namespace mlir::retention

#endif // RETC_DIALECT_RETENTIONDIALECT_H
