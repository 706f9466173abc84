//===- ChunkwiseWarpgroupMma.h - chunkwise kernel on wgmma ------*- C++ -*-===//
//
// The chunkwise retention kernel for sm_90a with every chunk matmul on
// wgmma (warpgroup MMA, operands read from shared memory once per
// warpgroup instead of once per warp). One block owns one (batch, head,
// slice of 64 or 128 value columns); warpgroup w owns 64 of them and keeps
// the transposed state S^T (its value columns x K, f32) as wgmma
// accumulators across the chunks. Per chunk of 64 rows:
//   P   = s (Q K^T) .* D                  A = Q, B = K (shared, K-major)
//   O^T = (S^T Q^T) .* xi + V^T P^T       A = S^T, V^T (registers), B = Q, P
//   S^T = gamma^c S^T + (V .* zeta)^T K   A = V^T .* zeta (registers),
//                                         B = K (shared, MN-major)
// O^T leaves through shared memory (stmatrix.trans) as rows of o.
// Schedule, shared memory and registers: docs/gpu-codegen.md.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_CHUNKWISEWARPGROUPMMA_H
#define RETC_CODEGEN_GPU_CHUNKWISEWARPGROUPMMA_H

#include "codegen/gpu/ChunkwiseTensorCores.h"

namespace mlir::retention {

/// Emits the body of the warpgroup kernel `part` (Whole or SegmentOutputs;
/// `plan.warpgroupMma`) at `e`'s insertion point. Shared tiles in `ops`:
/// Qs, Ks 1-D [stages * C * K] in core-matrix layout (8-row groups of
/// 16-byte runs), Vs [stages * C][vSlice + 8], Ps 1-D [C * C] in core-matrix
/// layout, Os [C][vSlice + 8].
void emitChunkwiseWarpgroupMma(Emitter &e, const RetentionShape &shape,
                               const ChunkwiseMmaPlan &plan,
                               const ChunkwiseMmaOperands &ops,
                               ChunkwiseMmaPart part);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_CHUNKWISEWARPGROUPMMA_H
