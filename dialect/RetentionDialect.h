//===- RetentionDialect.h - the retention dialect ---------------*- C++ -*-===//
//
// Include this header to use the retention dialect, its attributes and ops.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_DIALECT_RETENTIONDIALECT_H
#define RETC_DIALECT_RETENTIONDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialect/RetentionDialect.h.inc"

#endif // RETC_DIALECT_RETENTIONDIALECT_H
