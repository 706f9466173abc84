//===- GemmSchedule.cpp - choosing how a retention.linear runs ------------===//
//
// See GemmSchedule.h. The rules, in order:
//  - M <= 16 (kGemvMaxRows; a decode batch), any types: kernel gemv, warps
//    streaming whole weight rows (GemvKernel.h);
//  - bf16/f16 x and weight of one type, K a multiple of 8, on a target with
//    mma.sync: kernel mma_sync, 4 stages of 32-deep tiles, 8 warps; the
//    block's rows follow M (16, 64 or 128 rows, so that few staged rows
//    are padding), and its columns shrink from 128 to 64 where the grid
//    would not give every SM a block;
//  - otherwise (f32, mixed types, K not a multiple of 8): kernel simt, 16-
//    deep tiles, 256 threads of 4 x 4 outputs (M <= 16: 1 x 4).
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GemmSchedule.h"
#include "codegen/gpu/GemmKernels.h"
#include "codegen/gpu/GemvKernel.h"
#include "dialect/RetentionDialect.h"

#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::retention;

static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

FailureOr<GemmScheduleAttr>
mlir::retention::completeGemmSchedule(LinearOp op, GemmScheduleAttr s,
                                      const GpuTargetInfo &target) {
  MLIRContext *ctx = op.getContext();
  if (failed(verifyGemmScheduleForOp(s, op)))
    return failure();
  if (s.getKernel() == GpuKernel::MmaSync && !target.hasMmaSync)
    return op.emitOpError() << "gemm_schedule: kernel = mma_sync needs "
                               "mma.sync, which "
                            << target.name << " lacks";
  int64_t bytes = gemmSharedBytes(s, op.getX().getType().getElementType());
  if (s.getSharedBytes() != 0 && s.getSharedBytes() != bytes)
    return op.emitOpError() << "gemm_schedule: shared_bytes = "
                            << s.getSharedBytes() << " but its tiles take "
                            << bytes;
  if (bytes > target.maxSharedBytesPerBlock)
    return op.emitOpError() << "gemm_schedule: its tiles take " << bytes
                            << " bytes of shared memory, more than the "
                            << target.maxSharedBytesPerBlock << " a block of "
                            << target.name << " may use";
  return GemmScheduleAttr::get(ctx, s.getKernel(), s.getBlockM(),
                               s.getBlockN(), s.getBlockK(), s.getWarpsM(),
                               s.getWarpsN(), s.getThreadM(), s.getThreadN(),
                               s.getStages(), bytes);
}

FailureOr<GemmScheduleAttr>
mlir::retention::selectGemmSchedule(LinearOp op, const GpuTargetInfo &target,
                                    std::string *why) {
  MLIRContext *ctx = op.getContext();
  auto xType = op.getX().getType();
  Type x = xType.getElementType();
  Type w = op.getWeight().getType().getElementType();
  int64_t M = xType.getDimSize(0), K = xType.getDimSize(1),
          N = op.getWeight().getType().getDimSize(0);
  if (ShapedType::isDynamic(M))
    M = 4096; // a run-time row count: tile for prefill-sized calls
  if (M <= kGemvMaxRows) {
    GemmScheduleAttr gemv = chooseGemvSchedule(ctx, M, N, K, w, target, why);
    return completeGemmSchedule(op, gemv, target);
  }
  bool tensorCores = target.hasMmaSync && x == w && (x.isBF16() || x.isF16()) &&
                     K % 8 == 0;
  GemmScheduleAttr s;
  if (tensorCores) {
    int64_t blockM = M <= 16 ? 16 : M <= 64 ? 64 : 128;
    int64_t warpsM = blockM / 16 >= 2 ? 2 : 1;
    int64_t warpsN = 8 / warpsM;
    int64_t blockN = 128;
    if (ceilDiv(M, blockM) * ceilDiv(N, blockN) < target.numSMs)
      blockN = 64;
    while (blockN % (16 * warpsN))
      warpsN /= 2;
    s = GemmScheduleAttr::get(ctx, GpuKernel::MmaSync, blockM, blockN, 32,
                              warpsM, warpsN, 1, 1, 4, 0);
    if (why)
      *why = llvm::formatv("mma_sync: {0} operands, K = {1} a multiple of 8; "
                           "{2} x {3} outputs a block for M = {4}, N = {5}",
                           x, K, blockM, blockN, M, N)
                 .str();
  } else {
    bool skinny = M <= 16;
    s = GemmScheduleAttr::get(ctx, GpuKernel::Simt, skinny ? 16 : 64, 64, 16,
                              1, 1, skinny ? 1 : 4, 4, 1, 0);
    if (why)
      *why = llvm::formatv("simt: {0} x and {1} weight{2}", x, w,
                           target.hasMmaSync && x == w && !x.isF32()
                               ? ", K not a multiple of 8"
                               : "")
                 .str();
  }
  return completeGemmSchedule(op, s, target);
}
