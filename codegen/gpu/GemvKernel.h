//===- GemvKernel.h - retention.linear for a few rows of x ------*- C++ -*-===//
//
// The `gemv` GEMM kernel: y[M, N] = x[M, K] weight[N, K]^T (+ residual) for
// small M (a decode batch), where the time is that of reading the weight
// once and the kernel must stream it at the copy bandwidth. Each warp owns
// thread_n weight rows (output columns) and reads them whole, every lane
// 16-byte pieces (`stages` k-steps of every row a group, the next group's
// loads issued before this one is summed); x is staged as f32 in shared
// memory once per block (block_k columns at a time); a lane sums its
// pieces' products for all block_m rows of x in f32, and the warp's sums
// meet in a reduce-scatter of shuffles that leaves each lane a few whole
// outputs to store. docs/gpu-codegen.md, "GEMM kernels".
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GEMVKERNEL_H
#define RETC_CODEGEN_GPU_GEMVKERNEL_H

#include "codegen/gpu/GemmKernels.h"
#include "codegen/gpu/GpuTargetInfo.h"

#include <string>

namespace mlir::retention {

/// The most rows of x retention-gpu-select-schedule gives to gemv: up to
/// here the SIMT FMAs keep up with the weight stream (GemvKernel.cpp).
constexpr int64_t kGemvMaxRows = 16;

/// The gemv schedule of y[M, N] = x[M, K] weight[N, K]^T with weights of
/// `weightType` on `target`, or of `weights` = 2 such products (the gate
/// and up projections of retention.swiglu_linear); `why` (if given)
/// receives it in words.
GemmScheduleAttr chooseGemvSchedule(MLIRContext *ctx, int64_t M, int64_t N,
                                    int64_t K, Type weightType,
                                    int64_t weights,
                                    const GpuTargetInfo &target,
                                    std::string *why);

/// The dynamic shared memory (bytes) of a gemv schedule: x's staged slice.
int64_t gemvSharedBytes(GemmScheduleAttr schedule);

/// The static shared memory (bytes) a fused norm adds to a gemv kernel:
/// its per-warp sums [warps_n][block_m] f32, or with a gated head norm of
/// `heads` > 1 heads its factors [block_m][heads] f32, as the block lays it
/// out (the dynamic part starts at the next 1024-byte boundary after it).
int64_t gemvNormSharedBytes(GemmScheduleAttr schedule, int64_t heads = 1);

/// Elements of one weight load: 16 bytes, halved until K is a multiple
/// (so that every row's pieces are aligned).
int64_t gemvVectorWidth(Type weightType, int64_t K);

/// Builds the gemv kernel of `op` as `gpu.func @<name>` at `b`'s insertion
/// point (in the gpu.module), grid (ceil(N / block_n), ceil(M / block_m))
/// of the static M; with `signature.numRows` (checked by buildGemmKernel)
/// rows of x at or past that parameter are neither loaded nor stored.
/// With an up weight (`signature.up`), each warp streams thread_n rows of
/// both weights and stores swish(gate sum) * up sum.
void buildGemvKernel(OpBuilder &b, Location loc, StringRef name,
                     const Projection &op,
                     GemmScheduleAttr schedule,
                     const GemmSignature &signature);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GEMVKERNEL_H
