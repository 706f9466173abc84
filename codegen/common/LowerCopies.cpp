//===- LowerCopies.cpp - memref.copy into loops ----------------------------===//
//
// retention-lower-copies: every memref.copy becomes a loop nest of loads and
// stores: the outer dimensions an scf.parallel (unless already inside one),
// the innermost (unit-stride in the buffers bufferization makes) a loop that
// LLVM vectorizes. MLIR lowers copies between buffers with non-identity
// layouts to a call into its C runner utilities (`memrefCopy`), which a
// retc package cannot depend on.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONLOWERCOPIES
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;

namespace {
struct LowerCopiesPass
    : public retention::impl::RetentionLowerCopiesBase<LowerCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      Location loc = copy.getLoc();
      Value src = copy.getSource(), dst = copy.getTarget();
      auto type = cast<MemRefType>(src.getType());
      SmallVector<Value> ubs;
      for (int64_t d = 0; d < type.getRank(); ++d)
        ubs.push_back(memref::DimOp::create(b, loc, src, d));
      Value zero = arith::ConstantIndexOp::create(b, loc, 0);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      auto copyRows = [&](OpBuilder &nb, Location l, ValueRange outer) {
        if (ubs.empty()) {
          Value v = memref::LoadOp::create(nb, l, src, ValueRange{});
          memref::StoreOp::create(nb, l, v, dst, ValueRange{});
          return;
        }
        scf::ForOp::create(
            nb, l, zero, ubs.back(), one, ValueRange{},
            [&](OpBuilder &ib, Location il, Value j, ValueRange) {
              SmallVector<Value> idx(outer.begin(), outer.end());
              idx.push_back(j);
              Value v = memref::LoadOp::create(ib, il, src, idx);
              memref::StoreOp::create(ib, il, v, dst, idx);
              scf::YieldOp::create(ib, il);
            });
      };
      // The outer dimensions in parallel (OpenMP) unless the copy already
      // runs inside a parallel loop; the innermost, contiguous one in a
      // loop LLVM vectorizes.
      size_t outerDims = ubs.empty() ? 0 : ubs.size() - 1;
      if (outerDims && !copy->getParentOfType<scf::ParallelOp>()) {
        SmallVector<Value> lbs(outerDims, zero), steps(outerDims, one);
        scf::ParallelOp::create(b, loc, lbs,
                                ArrayRef<Value>(ubs).drop_back(), steps,
                                copyRows);
      } else {
        SmallVector<Value> lbs(outerDims, zero), steps(outerDims, one);
        scf::buildLoopNest(b, loc, lbs, ArrayRef<Value>(ubs).drop_back(),
                           steps, copyRows);
      }
      copy.erase();
    }
  }
};
} // namespace
