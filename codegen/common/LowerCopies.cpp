//===- LowerCopies.cpp - memref.copy into loops ----------------------------===//
//
// retention-lower-copies: every memref.copy becomes a loop nest of loads and
// stores (the innermost, unit-stride in the buffers bufferization makes, is
// vectorized by LLVM). MLIR lowers copies between buffers with non-identity
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
      SmallVector<Value> lbs(ubs.size(),
                             arith::ConstantIndexOp::create(b, loc, 0));
      SmallVector<Value> steps(ubs.size(),
                               arith::ConstantIndexOp::create(b, loc, 1));
      scf::buildLoopNest(b, loc, lbs, ubs, steps,
                         [&](OpBuilder &nb, Location l, ValueRange ivs) {
                           Value v = memref::LoadOp::create(nb, l, src, ivs);
                           memref::StoreOp::create(nb, l, v, dst, ivs);
                         });
      copy.erase();
    }
  }
};
} // namespace
