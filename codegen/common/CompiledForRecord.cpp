//===- CompiledForRecord.cpp - What the code was compiled for -------------===//
//
// See CompiledForRecord.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/common/CompiledForRecord.h"

#include "runtime/KernelABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

LogicalResult mlir::retention::addCompiledForRecord(Operation *scope,
                                                    StringRef text,
                                                    unsigned addressSpace) {
  if (SymbolTable::lookupSymbolIn(scope, RETC_COMPILED_FOR_SYMBOL))
    return scope->emitError("symbol '" RETC_COMPILED_FOR_SYMBOL
                            "' is already defined");
  OpBuilder builder = OpBuilder::atBlockBegin(&scope->getRegion(0).front());
  std::string bytes = text.str();
  bytes.push_back('\0');
  auto type = LLVM::LLVMArrayType::get(builder.getI8Type(), bytes.size());
  StringAttr value = builder.getStringAttr(bytes);
  LLVM::GlobalOp::create(builder, scope->getLoc(), type, /*isConstant=*/true,
                         LLVM::Linkage::External, RETC_COMPILED_FOR_SYMBOL,
                         value, /*alignment=*/1, addressSpace);
  return success();
}
