//===- GemmKernels.h - the GPU kernels of retention.linear ------*- C++ -*-===//
//
// y[M, N] = x[M, K] weight[N, K]^T (+ residual[M, N]) as one kernel, laid
// out from the op's #retention.gemm_schedule (the lowering decides
// nothing). Both operands are K-contiguous, so a block stages rows of x and
// rows of the weight alike; grid (ceil(N / block_n), ceil(M / block_m)),
// or the other way round with m_first.
//   simt      f32 FMAs: a block stages a block_k slice of its x rows and
//             weight rows in shared memory (transposed, k-major), each
//             thread accumulates thread_m x thread_n outputs.
//   mma_sync  bf16/f16: `stages` cp.async buffers of block_k-deep x and
//             weight tiles in flight (rows padded by 16 bytes, so that
//             ldmatrix's eight rows fall in distinct banks); each warp
//             accumulates its (block_m / warps_m) x (block_n / warps_n)
//             outputs in m16n8k16 MMAs.
// Rows of x at or past M and of the weight at or past N are staged as
// zeros, and outputs outside [M, N] are not stored; M may be a kernel
// parameter (GemmSignature::numRows).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GEMMKERNELS_H
#define RETC_CODEGEN_GPU_GEMMKERNELS_H

#include "dialect/RetentionOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::retention {

/// The kernel parameters of a lowered linear kernel function (its
/// arguments, then its result, as memrefs) and where each operand is.
struct GemmSignature {
  SmallVector<Type> params;
  unsigned x = 0, weight = 1;
  int up = -1;       ///< swiglu_linear's up weight; -1: none
  /// linear_group: every weight and its output, in order (weight and y are
  /// the first of each); empty otherwise.
  SmallVector<unsigned> groupWeights, groupOutputs;
  int residual = -1; ///< -1: no residual
  int norm = -1;     ///< the fused norm's weight [K] f32; -1: none
  int gate = -1;     ///< a gated head norm's gate [M, K]; -1: none
  unsigned y = 2;
  /// The run-time row count: the index in `params` of an `index`
  /// parameter holding M, 1 <= M <= the static M of x, residual and y
  /// (their memref types are sized for the maximum); -1: M is the static
  /// one. Rows of x at or past it are staged as zeros (not loaded), those
  /// of y and the residual neither stored nor read. The launch grid stays
  /// that of the static M (gemmGrid; the host recomputes it from the
  /// run-time M).
  int numRows = -1;
};

/// The launch grid of `schedule` for M x N outputs: (column blocks, row
/// blocks, 1), or (row blocks, column blocks, 1) with m_first.
SmallVector<int64_t> gemmGrid(GemmScheduleAttr schedule, int64_t M, int64_t N);

/// The dynamic shared memory (bytes) the kernel of `schedule` takes for
/// operands of element type `elt` (x's).
int64_t gemmSharedBytes(GemmScheduleAttr schedule, Type elt);

/// Builds the kernel of `op` under `schedule` as `gpu.func @<name>` at
/// `b`'s insertion point (in the gpu.module), its launch in
/// `retention.launch`; an error at `op` (nothing built) where
/// `signature.numRows` is not an `index` parameter.
LogicalResult buildGemmKernel(OpBuilder &b, Location loc, StringRef name,
                              const Projection &op, GemmScheduleAttr schedule,
                              const GemmSignature &signature);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GEMMKERNELS_H
