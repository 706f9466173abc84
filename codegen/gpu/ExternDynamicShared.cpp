//===- ExternDynamicShared.cpp - make dynamic shared memory extern --------===//
//
// retention-extern-dynamic-shared: MLIR 22 lowers gpu.dynamic_shared_memory
// to an *internal* zero-size global in address space 3, which NVPTX prints as
// a static `.shared .b8 __dynamic_shmem__0;` that overlaps the block's static
// shared tiles. Dynamic shared memory is an `.extern .shared` array: this
// pass gives those globals external linkage, aligned to 1024 bytes.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "retention-extern-dynamic-shared"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONEXTERNDYNAMICSHARED
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;

namespace {
struct ExternDynamicSharedPass
    : public retention::impl::RetentionExternDynamicSharedBase<
          ExternDynamicSharedPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::GlobalOp global) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() != 3 || !array || array.getNumElements() != 0 ||
          global.getValueOrNull() || global.getInitializerRegion().getBlocks().size())
        return;
      LLVM_DEBUG(llvm::dbgs() << "extern: " << global.getSymName() << "\n");
      global.setLinkage(LLVM::Linkage::External);
      // 1024 bytes: the start of a 128-byte-swizzled wgmma operand
      // (ChunkwiseWarpgroupMma.cpp) must be, and nothing is lost by it.
      global.setAlignment(1024);
    });
  }
};
} // namespace
