//===- StateInPlace.cpp - retention state updated in place ----------------===//
//
// retention-gpu-state-in-place (codegen/Passes.td): the copies of a state
// slice into and out of a kernel that may update it in place go, and the
// kernel takes the slice for both its initial and final state.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/gpu/GpuKernelBuilder.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONGPUSTATEINPLACE
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {

/// The buffer `v` views (through subviews, casts and reshapes).
Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

/// `buf` is a memref.alloc whose uses are `keep` and deallocs only.
bool onlyUsedBy(Value buf, ArrayRef<Operation *> keep) {
  if (!buf.getDefiningOp<memref::AllocOp>())
    return false;
  return llvm::all_of(buf.getUsers(), [&](Operation *user) {
    return llvm::is_contained(keep, user) || isa<memref::DeallocOp>(user);
  });
}

struct GpuStateInPlacePass
    : public retention::impl::RetentionGpuStateInPlaceBase<
          GpuStateInPlacePass> {
  /// The in-place parameter pair of each kernel that has one, by the
  /// symbol a launch names (its gpu.module's).
  llvm::StringMap<std::pair<int64_t, int64_t>> inPlace;

  /// Rewrites `launch` if its state buffers are the copies of one slice.
  void rewrite(LaunchKernelOp launch, std::pair<int64_t, int64_t> params) {
    auto [s0Index, finalIndex] = params;
    OperandRange args = launch.getArgs();
    if (s0Index >= int64_t(args.size()) || finalIndex >= int64_t(args.size()))
      return;
    Value s0 = args[s0Index], final = args[finalIndex];
    // The copy into s0 before the launch and out of final after it, in
    // the launch's block.
    // The launch takes each buffer once; each buffer has that one copy.
    auto uses = [&](Value v) {
      return llvm::count(launch->getOperands(), v);
    };
    if (s0 == final || uses(s0) != 1 || uses(final) != 1)
      return;
    SmallVector<memref::CopyOp> ins, outs;
    for (Operation *user : s0.getUsers())
      if (auto copy = dyn_cast<memref::CopyOp>(user);
          copy && copy.getTarget() == s0)
        ins.push_back(copy);
    for (Operation *user : final.getUsers())
      if (auto copy = dyn_cast<memref::CopyOp>(user);
          copy && copy.getSource() == final)
        outs.push_back(copy);
    if (ins.size() != 1 || outs.size() != 1)
      return;
    memref::CopyOp in = ins.front(), out = outs.front();
    if (in.getSource() != out.getTarget())
      return;
    Block *block = launch->getBlock();
    if (in->getBlock() != block || out->getBlock() != block ||
        !in->isBeforeInBlock(launch) || !launch->isBeforeInBlock(out))
      return;
    if (!onlyUsedBy(s0, {in, launch}) || !onlyUsedBy(final, {launch, out}))
      return;
    // Nothing between the copies but the launch may touch the state's
    // memory: the launch reads the slice as it was and the slice ends as
    // the launch leaves it. The launch's other operands must not be views
    // of it either.
    Value slice = in.getSource();
    Value root = rootOf(slice);
    for (Operation *op = in->getNextNode(); op != out; op = op->getNextNode()) {
      // Ops nested in regions too: a store in an scf.if touches it as well.
      WalkResult touched = op->walk([&](Operation *inner) {
        for (Value operand : inner->getOperands())
          if (rootOf(operand) == root)
            return WalkResult::interrupt();
        return WalkResult::advance();
      });
      if (op != launch.getOperation() && touched.wasInterrupted())
        return;
    }
    if (launch->getOperands().end() !=
        llvm::find_if(launch->getOperands(),
                      [&](Value v) { return rootOf(v) == root; }))
      return;
    // The slice as it is (a strided view): the launch passes the address
    // of its first element (retention-lower-gpu-host checks it is dense).
    auto sliceType = cast<MemRefType>(slice.getType());
    auto s0Type = cast<MemRefType>(s0.getType());
    if (sliceType.getShape() != s0Type.getShape() ||
        sliceType.getElementType() != s0Type.getElementType() ||
        !sliceType.areTrailingDimsContiguous(sliceType.getRank()))
      return;
    unsigned first = launch.getArgs().getBeginOperandIndex();
    launch->setOperand(first + s0Index, slice);
    launch->setOperand(first + finalIndex, slice);
    in.erase();
    out.erase();
    for (Value buf : {s0, final}) {
      for (Operation *user : llvm::make_early_inc_range(buf.getUsers()))
        user->erase();
      buf.getDefiningOp()->erase();
    }
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto helper = getContext()
                      .getLoadedDialect<RetentionDialect>()
                      ->getStateInPlaceAttrHelper();
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
      for (auto func : gpuModule.getOps<gpu::GPUFuncOp>())
        if (DenseI64ArrayAttr pair = helper.getAttr(func))
          inPlace[gpuModule.getName()] = {pair[0], pair[1]};
    if (inPlace.empty())
      return;
    SmallVector<std::pair<LaunchKernelOp, std::pair<int64_t, int64_t>>> todo;
    module.walk([&](LaunchKernelOp launch) {
      auto it = inPlace.find(launch.getKernel());
      if (it != inPlace.end())
        todo.push_back({launch, it->second});
    });
    for (auto [launch, params] : todo)
      rewrite(launch, params);
  }
};

} // namespace
