//===- retc-opt.cpp - mlir-opt with the retention dialect and passes -----===//
//
// Runs single passes on textual IR, for lit tests: the upstream dialects and
// passes plus retc's own.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "dialect/RetentionDialect.h"
#include "passes/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::retention::registerRetentionPasses();
  mlir::retention::registerRetentionCodegenPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::retention::RetentionDialect>();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "retc-opt: the retention dialect's pass driver\n", registry));
}
