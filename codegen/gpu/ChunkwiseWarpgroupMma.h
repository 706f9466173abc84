//===- ChunkwiseWarpgroupMma.h - chunkwise kernel on wgmma ------*- C++ -*-===//
//
// The chunkwise retention kernel for sm_90a with every chunk matmul on
// wgmma (warpgroup MMA, operands read from shared memory once per
// warpgroup instead of once per warp). One block owns one (batch, head,
// slice of 64 or 128 value columns); warpgroup w owns 64 of them and keeps
// the transposed state S^T (its value columns x K, f32) as wgmma
// accumulators across the chunks. Per chunk of 64 rows:
//   P   = s (Q K^T) .* D                  A = Q, B = K (shared, K-major)
//   O^T = (S^T Q^T) .* xi + V^T P^T       A = S^T (rounded: registers up
//                                         to K = 128, else through shared),
//                                         V^T (shared, MN-major);
//                                         B = Q, P (shared, K-major)
//   S^T = gamma^c S^T + (V .* zeta)^T K   A = V^T .* zeta (registers),
//                                         B = K (shared, MN-major)
// q, k and v are staged by cp.async into 128-byte-swizzled tiles, each
// both a K-major and an MN-major operand. O^T leaves through shared memory
// (stmatrix.trans) as rows of o.
// Schedule, shared memory and registers: docs/gpu-codegen.md.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_CHUNKWISEWARPGROUPMMA_H
#define RETC_CODEGEN_GPU_CHUNKWISEWARPGROUPMMA_H

#include "codegen/gpu/ChunkwiseTensorCores.h"

namespace mlir::retention {

/// Elements of shared row of the staged output tile: 64 value columns and 8
/// of padding (so that stmatrix's eight rows fall in distinct banks).
constexpr int64_t kWarpgroupOutputRow = 72;
/// Entries of the decay table gamma^-C .. gamma^C (those of negative powers
/// 0).
constexpr int64_t kWarpgroupDecayTable = 2 * kWarpgroupChunk + 1;

/// Staged columns of a tile of `columns` columns in the 128-byte swizzle:
/// whole blocks of 64 (those past `columns` zero-filled).
int64_t warpgroupTileWidth(int64_t columns);

/// Elements of a warpgroup's region of Ss: its 64 rows of S^T (K columns),
/// later its columns of the score tile (C x C / warpgroups) and its rows
/// of O^T (C x kWarpgroupOutputRow).
int64_t warpgroupRegionElements(int64_t K);

/// Bytes of shared memory of the warpgroup kernel: `stages` buffers of Qs,
/// Ks (C x warpgroupTileWidth(K)) and Vs (C x vSlice), one region of Ss a
/// warpgroup (16-bit elements), then the f32 decay table.
int64_t warpgroupChunkSharedBytes(int64_t C, int64_t K, int64_t vSlice,
                                  int64_t stages);

/// Emits the body of the warpgroup kernel `part` (Whole or SegmentOutputs;
/// `plan.warpgroupMma`) at `e`'s insertion point. Shared tiles in `ops`,
/// all 1-D: Qs, Ks [stages * C * warpgroupTileWidth(K)], Vs [stages * C *
/// vSlice] in the 128-byte swizzle (blocks of 64 columns), Ss
/// [vSlice / 64 * warpgroupRegionElements(K)], decayTable
/// [kWarpgroupDecayTable] f32.
void emitChunkwiseWarpgroupMma(Emitter &e, const RetentionShape &shape,
                               const ChunkwiseMmaPlan &plan,
                               const ChunkwiseMmaOperands &ops,
                               ChunkwiseMmaPart part);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_CHUNKWISEWARPGROUPMMA_H
