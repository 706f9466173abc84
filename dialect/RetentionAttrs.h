//===- RetentionAttrs.h - retention attributes ------------------*- C++ -*-===//
//
// The decay attribute and the schedule enum it is built on.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_DIALECT_RETENTIONATTRS_H
#define RETC_DIALECT_RETENTIONATTRS_H

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

namespace mlir::retention {
/// The most heads the `retnet` schedule is defined for: gamma_49 =
/// 1 - 2^-54 rounds to 1 in double (and every later one is 1), where a decay
/// must be below 1; gamma_48 = 1 - 2^-53 is the last one that is not.
constexpr int64_t kMaxRetNetHeads = 49;
/// gamma_h = 1 - 2^(-5-h), h = 0..numHeads-1 (torchscale, flash-linear-attention).
llvm::SmallVector<double> retnetGammas(int64_t numHeads);
/// gamma = 1 - exp(linspace(log 1/32, log 1/512, numHeads)) (the paper's runs).
llvm::SmallVector<double> paperGammas(int64_t numHeads);
} // namespace mlir::retention

#endif // RETC_DIALECT_RETENTIONATTRS_H
