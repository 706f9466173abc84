//===- RetentionAttrs.h - retention attributes ------------------*- C++ -*-===//
//
// The decay attribute and the schedule enum it is built on.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_DIALECT_RETENTIONATTRS_H
#define RETC_DIALECT_RETENTIONATTRS_H

#include "dialect/DecaySchedules.h"

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectImplementation.h"

#include "dialect/RetentionEnums.h.inc"

namespace mlir::retention {
/// Lets DecayAttr's storage hash its schedule.
inline llvm::hash_code hash_value(DecaySchedule schedule) {
  return llvm::hash_value(static_cast<uint32_t>(schedule));
}
} // namespace mlir::retention

#define GET_ATTRDEF_CLASSES
#include "dialect/RetentionAttrs.h.inc"

#endif // RETC_DIALECT_RETENTIONATTRS_H
