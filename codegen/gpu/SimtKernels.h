//===- SimtKernels.h - the SIMT retention kernels ---------------*- C++ -*-===//
//
// The kernels of kernel family `simt` (#retention.gpu_schedule): one thread
// per value column (recurrent: `lanes` columns, its K rows split over `rows`
// thread rows) of one (batch, head), grid (ceil(V / block), H, B).
//   recurrent  per token: S[i][j] = gamma S[i][j] + k_i v_j, o_j = s sum_i q_i S[i][j];
//   chunkwise  per chunk: the block computes the C x C decayed scores A in
//              shared memory (on tensor cores with score_tile = mma_sync),
//              each thread o_n = xi_n (q_n . S[:, j]) + sum A v, then
//              S[:, j] = gamma^c S[:, j] + sum_m zeta_m k_m v_mj;
//   parallel   per query tile: scores of every key tile at or before it in
//              shared memory, outputs accumulated in shared memory; the final
//              state directly from its definition.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_SIMTKERNELS_H
#define RETC_CODEGEN_GPU_SIMTKERNELS_H

#include "codegen/gpu/GpuKernelBuilder.h"
#include "codegen/gpu/KernelEmitter.h"
#include "dialect/RetentionOps.h"

namespace mlir::retention {

/// The kernel's view of one (batch, head, column) thread.
struct SimtThread {
  Emitter &e;
  RetentionShape shape;
  Value q, k, v, s0, o, st; ///< device buffers (s0 may be null)
  Value bi, hi, j, tid;     ///< batch, head, value column, thread in block
  Value inRange;            ///< j < V
  Value log2g, scale;
  int64_t blockSize;
  Value tokens; ///< the run-time token count (index), or null: shape.T
  /// Where the sequence's tokens are in q, k, v and o: row `row` of their
  /// batch (bi, or 0 for packed sequences), from token `first` on (null:
  /// 0; packed sequences: the sequence's offset).
  Value row, first;

  /// The token count as an index, built at `e`'s insertion point.
  Value T() { return tokens ? tokens : e.idx(shape.T); }
  /// Token `tok` of the sequence, as an index into q, k, v and o.
  Value at(Value tok) { return first ? e.addi(first, tok) : tok; }
};

/// Builds the SIMT kernel of `op` under `schedule` (kernel = simt) as
/// `gpu.func @<name>` at `b`'s insertion point (in the gpu.module); with
/// `signature.numTokens`, T is that parameter (checkRunTimeTokens: an
/// error at `op` and nothing built otherwise). The grid does not depend on
/// T. With `signature.segments` (a chunkwise op with packed sequences),
/// block z is sequence z: its tokens and count from the offsets, its
/// states at z; with `numSequences` too, blocks of sequences at or past it
/// do nothing.
LogicalResult buildSimtKernel(OpBuilder &b, Location loc, StringRef name,
                              RetentionOpInterface op, GpuScheduleAttr schedule,
                              const KernelSignature &signature);

/// The recurrent form's body (SimtRecurrent.cpp). Thread (x, y) owns
/// `lanes` adjacent value columns j.. of one (batch, head) and the state
/// rows y, y + rows, ... of them; each token's partial dot products meet in
/// shared memory (`partial`, [rows][block * lanes]).
void emitSimtRecurrent(SimtThread &t, Value ty, int64_t rows, int64_t lanes,
                       Value partial);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_SIMTKERNELS_H
