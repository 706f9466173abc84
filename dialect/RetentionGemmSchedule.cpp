//===- RetentionGemmSchedule.cpp - #retention.gemm_schedule's checks ------===//
//
// The invariants of a GEMM schedule that need no target: tile shapes the
// kernel families can lay out, and the op's types and widths they need.
// The fit on a target (shared memory) is the selection pass's.
//
//===----------------------------------------------------------------------===//
#include "dialect/RetentionDialect.h"
#include "dialect/RetentionOps.h"

using namespace mlir;
using namespace mlir::retention;

LogicalResult
GemmScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         GpuKernel kernel, int64_t blockM, int64_t blockN,
                         int64_t blockK, int64_t warpsM, int64_t warpsN,
                         int64_t threadM, int64_t threadN, int64_t stages,
                         int64_t sharedBytes, bool mFirst) {
  auto fail = [&]() { return emitError() << "gemm_schedule: "; };
  if (blockM < 1 || blockN < 1 || blockK < 1 || warpsM < 1 || warpsN < 1 ||
      threadM < 1 || threadN < 1 || stages < 1 || sharedBytes < 0)
    return fail() << "sizes must be positive (shared_bytes non-negative)";
  if (stages > 8)
    return fail() << "stages must be at most 8, got " << stages;
  switch (kernel) {
  case GpuKernel::Simt: {
    if (blockM % threadM || blockN % threadN)
      return fail() << "kernel = simt: block_m must be a multiple of "
                       "thread_m and block_n of thread_n, got "
                    << blockM << " x " << blockN << " over " << threadM
                    << " x " << threadN;
    if (threadM > 8 || threadN > 8)
      return fail() << "kernel = simt: thread_m and thread_n must be at most "
                       "8, got "
                    << threadM << " x " << threadN;
    int64_t threads = blockM / threadM * (blockN / threadN);
    if (threads < 32 || threads > 1024 || threads % 32)
      return fail() << "kernel = simt: " << threads
                    << " threads per block; must be a multiple of 32 from "
                       "32 to 1024";
    if (blockK > 64)
      return fail() << "kernel = simt: block_k must be at most 64, got "
                    << blockK;
    return success();
  }
  case GpuKernel::MmaSync: {
    if (blockM % (16 * warpsM) || blockN % (16 * warpsN) || blockK % 16)
      return fail() << "kernel = mma_sync: each warp's outputs must be "
                       "whole 16 x 16 tiles and block_k a multiple of 16, "
                       "got block "
                    << blockM << " x " << blockN << " x " << blockK
                    << " over warps " << warpsM << " x " << warpsN;
    if (warpsM * warpsN > 32)
      return fail() << "kernel = mma_sync: at most 32 warps, got "
                    << warpsM * warpsN;
    if (threadM != 1 || threadN != 1)
      return fail() << "kernel = mma_sync: thread_m and thread_n are simt's";
    if (stages < 2)
      return fail() << "kernel = mma_sync: stages must be at least 2 (one "
                       "tile computed while the next is copied), got "
                    << stages;
    return success();
  }
  case GpuKernel::Wgmma: {
    // Each warpgroup (4 warps) owns 64 rows of x by block_n / warps_n
    // columns: one m64nNk16 wgmma a k-step, N a multiple of 8 up to 256.
    // The staged rows are 128 bytes of 16-bit elements (the 128-byte
    // swizzle): block_k = 64.
    if (warpsM % 4 || blockM != 16 * warpsM)
      return fail() << "kernel = wgmma: warps_m must be a multiple of 4 "
                       "(whole warpgroups) and block_m 16 x warps_m (64 rows "
                       "a warpgroup), got block_m "
                    << blockM << " over warps_m " << warpsM;
    if (blockN % warpsN || (blockN / warpsN) % 8 || blockN / warpsN > 256)
      return fail() << "kernel = wgmma: each warpgroup's columns, block_n / "
                       "warps_n, must be a multiple of 8 up to 256, got "
                    << blockN << " / " << warpsN;
    if (blockK != 64)
      return fail() << "kernel = wgmma: block_k must be 64 (128-byte rows of "
                       "16-bit elements), got "
                    << blockK;
    if (warpsM * warpsN > 32)
      return fail() << "kernel = wgmma: at most 32 warps, got "
                    << warpsM * warpsN;
    if (threadM != 1 || threadN != 1)
      return fail() << "kernel = wgmma: thread_m and thread_n are simt's";
    if (stages < 2)
      return fail() << "kernel = wgmma: stages must be at least 2 (one tile "
                       "computed while the next is copied), got "
                    << stages;
    return success();
  }
  case GpuKernel::Gemv: {
    if (mFirst)
      return fail() << "kernel = gemv: m_first does not apply (a gemv grid "
                       "has one row block)";
    if (warpsM != 1 || threadM != 1)
      return fail() << "kernel = gemv: warps_m and thread_m must be 1 (a "
                       "block takes block_m rows of x whole), got "
                    << warpsM << " and " << threadM;
    if (blockN != warpsN * threadN)
      return fail() << "kernel = gemv: block_n must be warps_n * thread_n "
                       "(weight rows of a warp) = "
                    << warpsN * threadN << ", got " << blockN;
    if (warpsN > 32)
      return fail() << "kernel = gemv: at most 32 warps, got " << warpsN;
    if (blockM > 16 || threadN > 8)
      return fail() << "kernel = gemv: block_m must be at most 16 and "
                       "thread_n at most 8 (a lane's block_m * thread_n "
                       "sums), got "
                    << blockM << " and " << threadN;
    if (blockK <= 0 || blockK % 256)
      return fail() << "kernel = gemv: block_k (columns of x staged at a "
                       "time) must be a positive multiple of 256, got "
                    << blockK;
    if (threadN * stages > 32)
      return fail() << "kernel = gemv: thread_n * stages (a lane's loads "
                       "of a group) must be at most 32, got "
                    << threadN * stages;
    return success();
  }
  }
  return success();
}

LogicalResult mlir::retention::verifyGemmScheduleForOp(GemmScheduleAttr s,
                                                       Operation *op) {
  std::optional<Projection> linear = Projection::of(op);
  if (!linear)
    return op->emitOpError("retention.gemm_schedule belongs on "
                           "retention.linear or retention.swiglu_linear");
  // Only gemv stages whole rows of x, which a fused norm needs, and only
  // gemv takes two weights.
  if (linear->norm && s.getKernel() != GpuKernel::Gemv)
    return op->emitOpError()
           << "gemm_schedule: kernel = " << stringifyGpuKernel(s.getKernel())
           << " cannot take a fused norm; only gemv normalizes its rows of "
              "x";
  if (linear->group && s.getKernel() != GpuKernel::Gemv)
    return op->emitOpError()
           << "gemm_schedule: kernel = " << stringifyGpuKernel(s.getKernel())
           << " has no grouped form; only gemv takes a group of weights";
  if (linear->up && s.getKernel() != GpuKernel::Gemv)
    return op->emitOpError()
           << "gemm_schedule: kernel = " << stringifyGpuKernel(s.getKernel())
           << " has no two-weight (SwiGLU) form; only gemv takes one";
  // Two weights: a lane holds sums and loads of thread_n rows of each, so
  // the attribute's bounds on them apply to twice thread_n.
  if (linear->up && (2 * s.getThreadN() > 8 ||
                     2 * s.getThreadN() * s.getStages() > 32))
    return op->emitOpError()
           << "gemm_schedule: kernel = gemv with two weights streams "
              "thread_n rows of each: 2 * thread_n must be at most 8 and 2 "
              "* thread_n * stages at most 32, got "
           << 2 * s.getThreadN() << " and "
           << 2 * s.getThreadN() * s.getStages();
  // The tensor-core kernels' operand types; simt and gemv take any.
  if (s.getKernel() != GpuKernel::MmaSync && s.getKernel() != GpuKernel::Wgmma)
    return success();
  StringRef kernel = stringifyGpuKernel(s.getKernel());
  Type x = linear->x.getType().getElementType();
  Type w = linear->weight.getType().getElementType();
  if (x != w || !(x.isBF16() || x.isF16()))
    return op->emitOpError()
           << "gemm_schedule: kernel = " << kernel
           << " needs x and the weight both bf16 or both f16, got " << x
           << " and " << w;
  int64_t k = linear->K();
  if (!ShapedType::isDynamic(k) && k % 8)
    return op->emitOpError()
           << "gemm_schedule: kernel = " << kernel
           << " needs the input width K a multiple of 8 (16-byte rows), got "
           << k;
  return success();
}
