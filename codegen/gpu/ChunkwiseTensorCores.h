//===- ChunkwiseTensorCores.h - chunkwise kernel, all on tensor cores -*- C++ -*-===//
//
// The chunkwise retention kernel with all four chunk matmuls on tensor cores
// (mma.sync m16n8k16, bf16/f16 operands, f32 accumulators): the score tile
// A = s (Q K^T) .* D, the output O = A V + (Q .* xi) S and the state update
// S <- gamma^c S + K^T (V .* zeta). One block owns one (batch, head, slice of
// value columns); its warps own 16 value columns each and keep their part of
// the f32 state in accumulator registers across the chunks (Q S takes its B
// fragments from them, transposed by movmatrix). Schedule, shared
// memory and registers: docs/gpu-codegen.md.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_CHUNKWISETENSORCORES_H
#define RETC_CODEGEN_GPU_CHUNKWISETENSORCORES_H

#include "codegen/gpu/KernelEmitter.h"
#include "dialect/RetentionOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <optional>
#include <string>

namespace mlir::retention {

/// How the tensor-core chunkwise kernel is laid out for one shape: what a
/// #retention.gpu_schedule of kernel mma_sync or wgmma means
/// (chunkwiseMmaLayout, KernelLayouts.h).
struct ChunkwiseMmaPlan {
  int64_t C = 0;      ///< chunk rows per step (multiple of 16; rows past T are padding)
  int64_t vSlice = 0; ///< value columns per block: 16 per warp
  int64_t threads = 0; ///< 2 * vSlice (one warp per 16 columns)
  /// sm_90a: the outputs kernel (whole sequence or per segment) is the
  /// warpgroup kernel of ChunkwiseWarpgroupMma.h (wgmma, chunk 64, one
  /// warpgroup per 64 value columns); the segment states kernel stays
  /// this file's.
  bool warpgroupMma = false;
  /// Padded row lengths (elements) of the shared tiles, so that the eight
  /// rows one ldmatrix reads fall in distinct banks.
  int64_t qkRow = 0, vRow = 0, aRow = 0;
  /// Buffers of the staged q, k, v rows: N > 1 keeps the next N - 1
  /// chunks' copies (cp.async) in flight while this one is computed, 1
  /// stages each chunk in turn.
  int64_t stages = 1;
  /// Qs, Ks [stages * C][qkRow]; Vs [stages * C][vRow]; As [C][aRow] (the
  /// warpgroup kernel: warpgroupChunkSharedBytes).
  int64_t sharedBytes = 0;
  /// Segment-parallel schedule (segments > 1): T split into `segments` of
  /// `segmentLength` tokens (a multiple of C), three kernels (states, scan,
  /// outputs) sharing a workspace [B][H][workspaceSlots()][K][V] f32.
  int64_t segments = 1;
  int64_t segmentLength = 0;
  int64_t workspaceBytes = 0; ///< B * H * workspaceSlots() * K * V * 4
  /// The states kernel's parts per segment (segments 0 .. S-2 each split
  /// into this many of segmentLength / statesSplit tokens).
  int64_t statesSplit = 1;
  /// States kernel blocks an SM (2: ptxas is held to 128 registers a
  /// thread by `.minnctapersm 2`).
  int64_t statesBlocksPerSM = 1;
  /// Workspace slots: a contribution per part, the last segment's initial
  /// state after them; segment s's initial state is slot s * statesSplit.
  int64_t workspaceSlots() const { return statesSplit * (segments - 1) + 1; }
  /// The segment states kernel stages only Ks and Vs (no Qs, As), in
  /// its own number of buffers.
  int64_t statesStages = 1;
  int64_t statesSharedBytes = 0;
};

/// Threads per block of the segment scan kernel.
constexpr int64_t kSegmentScanThreads = 256;
/// State elements (adjacent in a row) per thread of the segment scan.
constexpr int64_t kSegmentScanWidth = 4;
/// Up to this many segment contributions the scan is unrolled, its loads
/// issued together.
constexpr int64_t kSegmentScanUnroll = 24;

/// Which kernel of the chunkwise schedule to emit.
enum class ChunkwiseMmaPart {
  Whole,          ///< one kernel: all chunks, outputs and the final state
  SegmentStates,  ///< segments 0 .. S-2: the contribution from zero, to the workspace
  SegmentOutputs, ///< per segment: outputs from the segment's initial state;
                  ///< the last segment also writes the final state
};

/// Bytes of shared memory the kernel needs for chunk C, key dim K, a slice
/// of vSlice value columns and `stages` buffers of staged rows, with 16-bit
/// elements.
int64_t tensorCoreChunkSharedBytes(int64_t C, int64_t K, int64_t vSlice,
                                   int64_t stages = 1);

/// The chunk of the warpgroup (wgmma) kernel: its score tile is one
/// 64-row wgmma.
constexpr int64_t kWarpgroupChunk = 64;

/// Bytes of shared memory of the segment states kernel: `stages` buffers
/// of Ks and Vs only.
int64_t segmentStatesSharedBytes(int64_t C, int64_t K, int64_t vSlice,
                                 int64_t stages);

/// What the kernel body reads and writes.
struct ChunkwiseMmaOperands {
  Value q, k, v, s0, o, state; ///< device buffers (s0 may be null)
  Value workspace;             ///< segments: [B][H][segments][K][V] f32
  Value batch, head, slice;    ///< block indices: b, h, value-column slice
  Value segment;               ///< segments: this block's segment
  Value tid;                   ///< thread in block
  Value log2g, scale;          ///< log2(gamma_h), s (f32)
  Value Qs, Ks, Vs, As;        ///< shared tiles, element type of q (the
                               ///< states kernel has only Ks and Vs)
  Value Ss;                    ///< the warpgroup kernel's S^T/O^T regions
  Value decayTable;            ///< the warpgroup kernel: gamma^e, f32, shared
  Value tokens; ///< the run-time token count (index, whole-sequence kernel
                ///< only), or null: shape.T
};

/// Emits the body of kernel `part` at `e`'s insertion point.
void emitChunkwiseTensorCores(Emitter &e, const RetentionShape &shape,
                              const ChunkwiseMmaPlan &plan,
                              const ChunkwiseMmaOperands &ops,
                              ChunkwiseMmaPart part = ChunkwiseMmaPart::Whole);

/// Emits the segment scan at `e`'s insertion point: thread `flat` of head
/// `head`, batch `batch` owns kSegmentScanWidth adjacent state elements
/// from (4 flat / V, 4 flat % V) (none past K * V) and walks the
/// contributions of the states kernel's parts in order (statesSplit parts
/// of each segment 0 .. S-2), writing segment s's initial state (s0 or 0
/// for the first, then gamma^(L/r) S + contribution part by part) into
/// slot statesSplit * s, the last segment's into the last slot; the last
/// segment's outputs block writes the final state.
void emitSegmentScan(Emitter &e, const RetentionShape &shape,
                     const ChunkwiseMmaPlan &plan, Value s0, Value workspace,
                     Value batch, Value head, Value flat, Value log2g);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_CHUNKWISETENSORCORES_H
