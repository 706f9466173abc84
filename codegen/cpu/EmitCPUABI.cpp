//===- EmitCPUABI.cpp - the package ABI entry point of CPU kernels --------===//
//
// retention-emit-cpu-abi: for each public kernel function in the LLVM
// dialect, add `<name>_retc_abi(void **args)` (runtime/KernelABI.h).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "runtime/KernelABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "retention-emit-cpu-abi"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONEMITCPUABI
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;

namespace {
struct EmitCPUABIPass
    : public retention::impl::RetentionEmitCPUABIBase<EmitCPUABIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto ptrType = LLVM::LLVMPointerType::get(&getContext());
    SmallVector<LLVM::LLVMFuncOp> kernels;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>()) {
      if (func.isExternal() || func.isPrivate() ||
          func.getLinkage() != LLVM::Linkage::External ||
          func.getName().ends_with(RETC_CPU_ABI_SUFFIX))
        continue;
      LLVM::LLVMFunctionType type = func.getFunctionType();
      if (!isa<LLVM::LLVMVoidType>(type.getReturnType()) ||
          !llvm::all_of(type.getParams(),
                        [&](Type t) { return t == ptrType; })) {
        func.emitError("kernel '")
            << func.getName()
            << "' does not use the bare-pointer convention (void, pointer "
               "arguments only); lower with use-bare-ptr-memref-call-conv";
        return signalPassFailure();
      }
      kernels.push_back(func);
    }
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    for (LLVM::LLVMFuncOp kernel : kernels) {
      Location loc = kernel.getLoc();
      std::string name = (kernel.getName() + RETC_CPU_ABI_SUFFIX).str();
      auto wrapper = LLVM::LLVMFuncOp::create(
          b, loc, name,
          LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(&getContext()),
                                      {ptrType}));
      OpBuilder::InsertionGuard guard(b);
      Block *entry = wrapper.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      Value args = entry->getArgument(0);
      SmallVector<Value> pointers;
      unsigned n = kernel.getFunctionType().getNumParams();
      for (unsigned i = 0; i < n; ++i) {
        Value slot = LLVM::GEPOp::create(b, loc, ptrType, ptrType, args,
                                         ArrayRef<LLVM::GEPArg>{int32_t(i)});
        pointers.push_back(LLVM::LoadOp::create(b, loc, ptrType, slot));
      }
      LLVM::CallOp::create(b, loc, kernel, pointers);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
      LLVM_DEBUG(llvm::dbgs() << "added " << name << "\n");
    }
  }
};
} // namespace
