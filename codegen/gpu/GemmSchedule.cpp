//===- GemmSchedule.cpp - choosing how a retention.linear runs ------------===//
//
// See GemmSchedule.h. The rules, in order:
//  - M <= 16 (kGemvMaxRows; a decode batch), any types: kernel gemv, warps
//    streaming whole weight rows (GemvKernel.h); the only kernel for a
//    fused norm or two weights (retention.swiglu_linear);
//  - bf16/f16 x and weight of one type, K a multiple of 8, M > 64, on a
//    target with wgmma (sm_90a): kernel wgmma, two warpgroups of 64 rows
//    by 256 columns (128 where the grid would not give every SM a block),
//    64-deep tiles in the 128-byte swizzle, as many stages as 192 KiB hold;
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
mlir::retention::completeGemmSchedule(const Projection &p,
                                      GemmScheduleAttr s,
                                      const GpuTargetInfo &target) {
  Operation *op = p.op;
  MLIRContext *ctx = op->getContext();
  if (failed(verifyGemmScheduleForOp(s, op)))
    return failure();
  if (s.getKernel() == GpuKernel::MmaSync && !target.hasMmaSync)
    return op->emitOpError() << "gemm_schedule: kernel = mma_sync needs "
                               "mma.sync, which "
                            << target.name << " lacks";
  if (s.getKernel() == GpuKernel::Wgmma && !target.hasWgmma)
    return op->emitOpError() << "gemm_schedule: kernel = wgmma needs "
                               "wgmma (sm_90a), which "
                            << target.name << " lacks";
  int64_t bytes = gemmSharedBytes(s, p.x.getType().getElementType());
  if (s.getSharedBytes() != 0 && s.getSharedBytes() != bytes)
    return op->emitOpError() << "gemm_schedule: shared_bytes = "
                            << s.getSharedBytes() << " but its tiles take "
                            << bytes;
  // A fused norm's static sums come before the dynamic tiles.
  int64_t normBytes =
      p.norm && s.getKernel() == GpuKernel::Gemv
          ? gemvNormSharedBytes(s, p.normHeads())
          : 0;
  if (normBytes && bytes + normBytes > target.maxSharedBytesPerBlock)
    return op->emitOpError()
           << "gemm_schedule: its tiles and the fused norm's sums take "
           << bytes + normBytes << " bytes of shared memory, more than the "
           << target.maxSharedBytesPerBlock << " a block of " << target.name
           << " may use";
  if (bytes > target.maxSharedBytesPerBlock)
    return op->emitOpError() << "gemm_schedule: its tiles take " << bytes
                            << " bytes of shared memory, more than the "
                            << target.maxSharedBytesPerBlock << " a block of "
                            << target.name << " may use";
  int64_t M = p.M(), N = p.N();
  if (!ShapedType::isDynamic(M)) {
    int64_t gridY = gemmGrid(s, M, N)[1];
    if (gridY > target.maxGridYZ)
      return op->emitOpError()
             << "gemm_schedule: a grid of " << gridY << " "
             << (s.getMFirst() ? "column" : "row")
             << " blocks along y, more than the " << target.maxGridYZ << " "
             << target.name << " allows";
  }
  return GemmScheduleAttr::get(ctx, s.getKernel(), s.getBlockM(),
                               s.getBlockN(), s.getBlockK(), s.getWarpsM(),
                               s.getWarpsN(), s.getThreadM(), s.getThreadN(),
                               s.getStages(), bytes, s.getMFirst());
}

FailureOr<GemmScheduleAttr>
mlir::retention::selectGemmSchedule(const Projection &p,
                                    const GpuTargetInfo &target,
                                    std::string *why) {
  Operation *op = p.op;
  MLIRContext *ctx = op->getContext();
  Type x = p.x.getType().getElementType();
  Type w = p.weight.getType().getElementType();
  int64_t M = p.M(), K = p.K(), N = p.N();
  if (ShapedType::isDynamic(M))
    M = 4096; // a run-time row count: tile for prefill-sized calls
  bool small = M >= 1 && M <= kGemvMaxRows;
  // A fused norm, two weights or a group: gemv's forms only.
  auto gemvOnly = [&](StringRef what) {
    return op->emitOpError() << what << ", which takes at most "
                             << kGemvMaxRows << " rows of x, got " << M;
  };
  if (p.norm && !small)
    return gemvOnly("with a fused norm runs on the gemv kernel only");
  if (p.up && !small)
    return gemvOnly("runs on the gemv kernel only (the GEMM kernels have no "
                    "two-weight form)");
  if (p.group && !small)
    return gemvOnly("runs on the gemv kernel only (the GEMM kernels have no "
                    "grouped form)");
  if (small) {
    // A fused norm's sums (at most 16 rows x 32 warps, 2 KiB; a head
    // norm's factors, 16 rows x its heads) take shared memory from x's
    // slices.
    GpuTargetInfo room = target;
    if (p.norm) {
      int64_t heads = p.normHeads();
      int64_t factorBytes = (M * heads * 4 + 1023) / 1024 * 1024;
      if (factorBytes > target.staticSharedBytes)
        return op->emitOpError()
               << "with a head norm of " << heads << " heads over " << M
               << " rows: their factors take " << factorBytes
               << " bytes of static shared memory, more than the "
               << target.staticSharedBytes << " a kernel may declare";
      room.maxSharedBytesPerBlock -= std::max<int64_t>(2048, factorBytes);
    }
    // x's slices must hold at least one warp k-step of every row.
    if (room.maxSharedBytesPerBlock < M * 4 * 256)
      return op->emitOpError()
             << "leaves " << room.maxSharedBytesPerBlock
             << " bytes of shared memory for x's slices of " << M
             << " rows, less than one 256-column step of them";
    GemmScheduleAttr gemv = chooseGemvSchedule(ctx, M, N, K, w, p.up ? 2 : 1,
                                               room, why);
    return completeGemmSchedule(p, gemv, target);
  }
  bool tensorCores = target.hasMmaSync && x == w && (x.isBF16() || x.isF16()) &&
                     K % 8 == 0;
  GemmScheduleAttr s;
  if (tensorCores && target.hasWgmma && M > 64) {
    // Two warpgroups of 64 rows; 256 columns where that still gives every
    // SM a block, else 128. Tiles of 64 (one 128-byte swizzled row), as
    // many stages as fit in 192 KiB (leaving room for a second block's
    // worth of L1 is not worth a stage: one block an SM).
    int64_t blockN = ceilDiv(M, 128) * ceilDiv(N, 256) >= target.numSMs ? 256
                                                                         : 128;
    int64_t stages = 192 * 1024 / ((128 + blockN) * 64 * 2);
    s = GemmScheduleAttr::get(ctx, GpuKernel::Wgmma, 128, blockN, 64, 8, 1, 1,
                              1, stages, 0, false);
    if (why)
      *why = llvm::formatv("wgmma: {0} operands, K = {1} a multiple of 8, "
                           "M = {2} > 64; 128 x {3} outputs a block for "
                           "N = {4}",
                           x, K, M, blockN, N)
                 .str();
  } else if (tensorCores) {
    int64_t blockM = M <= 16 ? 16 : M <= 64 ? 64 : 128;
    int64_t warpsM = blockM / 16 >= 2 ? 2 : 1;
    int64_t warpsN = 8 / warpsM;
    int64_t blockN = 128;
    if (ceilDiv(M, blockM) * ceilDiv(N, blockN) < target.numSMs)
      blockN = 64;
    while (blockN % (16 * warpsN))
      warpsN /= 2;
    s = GemmScheduleAttr::get(ctx, GpuKernel::MmaSync, blockM, blockN, 32,
                              warpsM, warpsN, 1, 1, 4, 0, false);
    if (why)
      *why = llvm::formatv("mma_sync: {0} operands, K = {1} a multiple of 8; "
                           "{2} x {3} outputs a block for M = {4}, N = {5}",
                           x, K, blockM, blockN, M, N)
                 .str();
  } else {
    bool skinny = M <= 16;
    s = GemmScheduleAttr::get(ctx, GpuKernel::Simt, skinny ? 16 : 64, 64, 16,
                              1, 1, skinny ? 1 : 4, 4, 1, 0, false);
    if (why)
      *why = llvm::formatv("simt: {0} x and {1} weight{2}", x, w,
                           target.hasMmaSync && x == w && !x.isF32()
                               ? ", K not a multiple of 8"
                               : "")
                 .str();
  }
  // Blocks that run together share the tile they have in common: along N
  // they share x's rows and sweep the weight, along M the reverse. Where
  // there are several row blocks and the weight is the larger operand
  // (the LM head: 32000 x 2048 against 4096 x 2048), blocks run down M,
  // so that the weight is streamed about once and x stays in L2.
  // Row blocks past the grid's y limit must run along x, too.
  int64_t rowBlocks = ceilDiv(M, s.getBlockM());
  if (rowBlocks > 1 && (N > M || rowBlocks > target.maxGridYZ) &&
      ceilDiv(N, s.getBlockN()) <= target.maxGridYZ) {
    s = GemmScheduleAttr::get(ctx, s.getKernel(), s.getBlockM(), s.getBlockN(),
                              s.getBlockK(), s.getWarpsM(), s.getWarpsN(),
                              s.getThreadM(), s.getThreadN(), s.getStages(), 0,
                              true);
    if (why)
      *why += N > M ? "; blocks run down M first (the weight is the larger "
                      "operand)"
                    : "; blocks run down M first (more row blocks than the "
                      "grid's y allows)";
  }
  return completeGemmSchedule(p, s, target);
}
