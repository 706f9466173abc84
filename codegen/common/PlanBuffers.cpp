//===- PlanBuffers.cpp - free activations as soon as they die -------------===//
//
// retention-plan-buffers: in a model entry function after bufferization,
// every buffer allocated at the top level of the body (activations, and
// the copies bufferization made) is freed right after the last top-level
// operation that uses it or a view of it, so the next activation of the
// same size reuses its memory. Buffers that escape (returned, stored,
// passed to a call) or already have a dealloc are left alone.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "retention-plan-buffers"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONPLANBUFFERS
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;

namespace {
struct PlanBuffersPass
    : public retention::impl::RetentionPlanBuffersBase<PlanBuffersPass> {
  /// The last operation of `body` that uses `buf` or a view of it, or null
  /// when the buffer escapes or is already freed.
  Operation *lastUse(memref::AllocOp alloc, Block &body) {
    Operation *last = alloc;
    SmallVector<Value> worklist = {alloc.getResult()};
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (isa<memref::DeallocOp, func::ReturnOp, func::CallOp,
                memref::StoreOp>(user) &&
            !(isa<memref::StoreOp>(user) &&
              use.getOperandNumber() != 0))
          return nullptr;
        auto view = dyn_cast<ViewLikeOpInterface>(user);
        if (view && view.getViewSource() == v) {
          for (Value r : user->getResults())
            worklist.push_back(r);
        } else if (user->hasTrait<OpTrait::IsTerminator>() ||
                   llvm::any_of(user->getResultTypes(),
                                llvm::IsaPred<BaseMemRefType>)) {
          // Yielded out of a region, or passed through an op that may
          // return it (arith.select, ...): an alias this pass cannot follow.
          return nullptr;
        }
        Operation *top = body.findAncestorOpInBlock(*user);
        if (!top)
          return nullptr;
        if (last->isBeforeInBlock(top))
          last = top;
      }
    }
    return last;
  }

  void runOnOperation() override {
    getOperation()->walk([&](func::FuncOp func) {
      if (func.isExternal())
        return;
      Block &body = func.getBody().front();
      SmallVector<memref::AllocOp> allocs(body.getOps<memref::AllocOp>());
      for (memref::AllocOp alloc : allocs) {
        Operation *last = lastUse(alloc, body);
        if (!last || last->hasTrait<OpTrait::IsTerminator>())
          continue;
        OpBuilder b(last->getContext());
        b.setInsertionPointAfter(last);
        memref::DeallocOp::create(b, alloc.getLoc(), alloc.getResult());
        LLVM_DEBUG(llvm::dbgs() << "free after " << last->getName() << "\n");
      }
    });
  }
};
} // namespace
