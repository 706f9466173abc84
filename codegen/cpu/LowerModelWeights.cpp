//===- LowerModelWeights.cpp - weights from the call's table ---------------===//
//
// retention-lower-model-weights: `retention.model_weight %table[%i]` (a
// model entry's weight, by its place in retc_model_call.weights) becomes
//
//   %address = memref.load %table[%i] : memref<Nxi64>
//   %pointer = llvm.inttoptr %address : i64 to !llvm.ptr
//   %weight  = the memref descriptor of the static shape over %pointer,
//              cast back to the memref type
//
// The cast (builtin.unrealized_conversion_cast) is what the memref, vector
// and func conversions to LLVM produce and fold themselves.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "dialect/RetentionOps.h"

#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONLOWERMODELWEIGHTS
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {
struct LowerModelWeightsPass
    : public retention::impl::RetentionLowerModelWeightsBase<
          LowerModelWeightsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    LLVMTypeConverter converter(ctx);
    SmallVector<ModelWeightOp> weights;
    getOperation()->walk([&](ModelWeightOp op) { weights.push_back(op); });
    for (ModelWeightOp op : weights) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value address = memref::LoadOp::create(b, loc, op.getTable(),
                                             ValueRange{op.getIndex()});
      Value pointer = LLVM::IntToPtrOp::create(
          b, loc, LLVM::LLVMPointerType::get(ctx), address);
      auto type = cast<MemRefType>(op.getWeight().getType());
      Value descriptor =
          MemRefDescriptor::fromStaticShape(b, loc, converter, type, pointer);
      auto cast = UnrealizedConversionCastOp::create(b, loc, TypeRange{type},
                                                     ValueRange{descriptor});
      op.getWeight().replaceAllUsesWith(cast.getResult(0));
      op.erase();
    }
  }
};
} // namespace
