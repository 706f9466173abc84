//===- GpuKernelBuilder.cpp - gpu.func kernels and their launches ---------===//
//
// See GpuKernelBuilder.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GpuKernelBuilder.h"
#include "dialect/RetentionDialect.h"

#include <cmath>

using namespace mlir;
using namespace mlir::retention;

LogicalResult mlir::retention::checkRunTimeSizes(
    Operation *op, const RetentionShape &shape,
    const KernelSignature &signature, bool takesRunTimeBatch) {
  auto isIndexParam = [&](int i) {
    return unsigned(i) < signature.params.size() &&
           isa<IndexType>(signature.params[i]);
  };
  if (signature.numTokens >= 0 && signature.numSequences >= 0)
    return op->emitOpError("takes either a run-time token count or a "
                           "run-time batch, not both");
  if (signature.numTokens >= 0) {
    if (!isIndexParam(signature.numTokens))
      return op->emitOpError("a run-time token count must be an index "
                             "parameter of the kernel (numTokens = ")
             << signature.numTokens << ")";
    if (shape.B != 1)
      return op->emitOpError("takes a run-time token count only with batch "
                             "1 (a packed [1, Tmax, H, K] input), not ")
             << shape.B;
  }
  if (signature.numSequences >= 0) {
    if (!isIndexParam(signature.numSequences))
      return op->emitOpError("a run-time batch must be an index parameter "
                             "of the kernel (numSequences = ")
             << signature.numSequences << ")";
    if (!takesRunTimeBatch)
      return op->emitOpError("takes a run-time batch only in the SIMT "
                             "recurrent kernel (a batched decode step)");
  }
  return success();
}

gpu::GPUFuncOp mlir::retention::createKernelFunc(
    OpBuilder &b, Location loc, StringRef name, ArrayRef<Type> params,
    ArrayRef<Type> workgroup, ArrayRef<int64_t> grid, ArrayRef<int64_t> block,
    int64_t sharedBytes) {
  auto kernel = gpu::GPUFuncOp::create(
      b, loc, name, b.getFunctionType(params, {}), workgroup, TypeRange{});
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  // Shared tiles are accessed with 16-byte vectors (ldmatrix, the staging
  // stores).
  for (unsigned i = 0; i < workgroup.size(); ++i)
    kernel.setWorkgroupAttributionAttr(i, "llvm.align",
                                       b.getI64IntegerAttr(16));
  kernel->setAttr(RetentionDialect::LaunchAttrHelper::getNameStr(),
                  b.getDictionaryAttr({
                      b.getNamedAttr("grid", b.getDenseI64ArrayAttr(grid)),
                      b.getNamedAttr("shared_bytes",
                                     b.getI64IntegerAttr(sharedBytes)),
                      b.getNamedAttr("block", b.getDenseI64ArrayAttr(block)),
                  }));
  kernel.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(
      {int32_t(block[0]), int32_t(block[1]), int32_t(block[2])}));
  b.setInsertionPointToStart(&kernel.getBody().front());
  return kernel;
}

SmallVector<Value> mlir::retention::viewDynamicShared(Emitter &e,
                                                      ArrayRef<MemRefType> tiles) {
  Attribute shared = gpu::AddressSpaceAttr::get(e.b.getContext(),
                                                gpu::AddressSpace::Workgroup);
  auto bytes = MemRefType::get({ShapedType::kDynamic}, e.b.getI8Type(),
                               MemRefLayoutAttrInterface(), shared);
  Value base = gpu::DynamicSharedMemoryOp::create(e.b, e.loc, bytes);
  SmallVector<Value> views;
  int64_t offset = 0;
  for (MemRefType t : tiles) {
    Value at = e.idx(offset);
    views.push_back(
        memref::ViewOp::create(e.b, e.loc, t, base, at, ValueRange{}));
    offset += t.getNumElements() * t.getElementType().getIntOrFloatBitWidth() / 8;
  }
  return views;
}

Value mlir::retention::selectLog2Gamma(Emitter &e, ArrayRef<double> gammas,
                                       Value head) {
  Value result = e.f32(std::log2(gammas[0]));
  for (size_t h = 1; h < gammas.size(); ++h) {
    Value isH = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::eq,
                                      head, e.idx(h));
    result = e.select(isH, e.f32(std::log2(gammas[h])), result);
  }
  return result;
}
