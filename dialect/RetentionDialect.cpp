//===- RetentionDialect.cpp - retention dialect registration ----*- C++ -*-===//
//
// Registers the retention dialect's attributes and operations.
//
//===----------------------------------------------------------------------===//
#include "dialect/RetentionDialect.h"
#include "dialect/RetentionAttrs.h"
#include "dialect/RetentionOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::retention;

#include "dialect/RetentionDialect.cpp.inc"

void RetentionDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "dialect/RetentionOps.cpp.inc"
      >();
}
