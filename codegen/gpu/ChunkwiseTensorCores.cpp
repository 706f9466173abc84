//===- ChunkwiseTensorCores.cpp - chunkwise kernel, all on tensor cores ---===//
//
// See ChunkwiseTensorCores.h; fragment layouts in MmaFragments.h.
// ldmatrix.x4 fills A registers from four 8 x 8 matrices whose rows lanes
// 8q..8q+7 address; ldmatrix.trans transposes each 8 x 8 matrix, which
// turns a tile stored k-major (V[m][j], S[i][j]) into B fragments and a tile
// stored the other way (K[m][i]) into A fragments of its transpose.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/ChunkwiseTensorCores.h"
#include "codegen/gpu/ChunkwiseWarpgroupMma.h"
#include "codegen/gpu/MmaFragments.h"

using namespace mlir;
using namespace mlir::retention;

int64_t mlir::retention::tensorCoreChunkSharedBytes(int64_t C, int64_t K,
                                                    int64_t vSlice,
                                                    int64_t stages) {
  int64_t qkRow = K + 8, vRow = vSlice + 8, aRow = C + 8;
  return 2 * (stages * (2 * C * qkRow + C * vRow) + C * aRow);
}

int64_t mlir::retention::segmentStatesSharedBytes(int64_t C, int64_t K,
                                                  int64_t vSlice,
                                                  int64_t stages) {
  return 2 * stages * C * ((K + 8) + (vSlice + 8));
}

namespace {

/// Where between a chunk's matmuls the copies of a later chunk are issued
/// (MmaChunkKernel::issueAt).
enum class CopyPoint { AfterScores, AfterQS, AfterMiddle, End };

/// The chunk an iteration of the chunk loop computes.
struct ChunkRows {
  Value c0;    ///< its first token
  Value count; ///< its rows inside the sequence: min(C, T - c0)
  Value base;  ///< its first row in the staged tiles Qs, Ks and Vs
};

/// The body of one kernel of the mma.sync chunkwise schedule
/// (ChunkwiseMmaPart), emitted at `e`'s insertion point in named phases:
/// the lane layout, the initial state, the copies of the first chunks, the
/// chunk loop (per chunk: the wait for its rows, the score tile, Q S, A V
/// with the state update, the output store, and the copies of a later
/// chunk between them) and the final state. The values one phase makes and
/// later phases read are members; a chunk's own are in ChunkRows and the
/// accumulators passed along.
class MmaChunkKernel {
public:
  MmaChunkKernel(Emitter &e, const RetentionShape &shape,
                 const ChunkwiseMmaPlan &plan, const ChunkwiseMmaOperands &ops,
                 ChunkwiseMmaPart part);

  /// Emits the whole body, phase by phase.
  void emit();

private:
  Value div(Value x, int64_t d);
  Value rem(Value x, int64_t d);

  // The lane layout.
  /// The lane and warp decomposition of the thread, the fragments' lane
  /// offsets, the output stores' quad exchange and this warp's columns.
  void layOutLanes();
  /// Accumulator element x of 8-column tile ct: its global column.
  Value globalCol(int64_t ct);
  /// The row of accumulator elements 2 half, 2 half + 1 of 16-row tile rt.
  Value rowOf(int64_t rt, int64_t half);
  /// The state: accumulator tiles [kTiles][2] of this warp's columns.
  static int64_t sIndex(int64_t rt, int64_t ct) { return rt * 2 + ct; }

  // The state in and out.
  /// Element (row, j) of this block's state in the workspace or a state
  /// buffer.
  SmallVector<Value, 5> stateIndex(Value buf, Value row, Value j);
  /// The accumulators of the initial state, four per tile, as the chunk
  /// loop carries them.
  SmallVector<Value> loadInitialState();
  /// Stores the chunk loop's final accumulators `state`.
  void storeFinalState(ValueRange state);
  /// Stores the accumulators `state` into `result`, columns below V.
  void storeState(ValueRange state, Value result);

  // The staging copies.
  /// This block's tokens, [tokensBegin, tokensEnd).
  void findTokenRange();
  /// The first staged row of chunk c0's q, k and v.
  Value stagedRow0(Value c0);
  /// Row `row` of `chunk` in the staged tiles.
  Value stagedRow(const ChunkRows &chunk, int64_t row);
  /// The cp.async copies of one operand's rows of one chunk.
  void stageRows(Value src, Value dst, Value row0, int64_t width, Value col0,
                 int64_t limit, Value c0, Value count);
  /// Starts the copies of chunk c0's rows (q, k and/or v) into its
  /// buffers, as one group.
  void issueParts(Value c0, bool q, bool k, bool v);
  /// issueParts of all three.
  void issueChunk(Value c0);
  /// The copies of the chunks before the loop.
  void issueFirstChunks();
  /// Issues those copies of chunk c0 + (N - 1) C that go at `point`.
  void issueAt(Value c0, CopyPoint point);
  /// Waits for chunk c0's rows (and, with one stage, copies them first).
  void waitForChunk(Value c0);

  // The chunk loop and its phases (docs/gpu-codegen.md, steps 1-4).
  /// The loop over this block's chunks, carrying the state from `init`.
  scf::ForOp emitChunkLoop(ValueRange init);
  /// The body of the chunk loop: the phases of chunk c0, from the state
  /// `carried` to the state it yields.
  SmallVector<Value> emitChunk(Value c0, ValueRange carried);
  /// As = s (Q K^T) .* D into shared memory, in units dealt to the warps.
  void emitScoreTile(const ChunkRows &chunk);
  /// This warp's score unit of slot `slot` (a 16 x 8 tile of As).
  void emitScoreUnit(const ChunkRows &chunk, int64_t slot);
  /// The output accumulators O = xi .* (Q S) (none in the states kernel):
  /// step 3.
  SmallVector<Acc> emitQS(const ChunkRows &chunk, ArrayRef<Acc> S);
  /// O += A V and S = gamma^count S + K^T (V .* zeta), sharing V's
  /// fragments: step 4. Returns whether the lane's V held an Inf or NaN.
  Value emitAVAndStateUpdate(const ChunkRows &chunk, MutableArrayRef<Acc> O,
                            MutableArrayRef<Acc> S);
  /// O += A V over the diagonal block of k-step ms (rows and keys 16 ms..)
  /// from V's B fragments `vFrag` with every Inf or NaN as 0; returns the
  /// or of their words' nonFiniteBits (i32: not 0 where they held any).
  Value emitDiagonalAV(int64_t ms, ArrayRef<Value> vFrag,
                       MutableArrayRef<Acc> O);
  /// The terms emitDiagonalAV took as 0, m <= n only, added to the chunk's
  /// outputs in o where the warp's V held any Inf or NaN (`nonFinite` in
  /// some lane).
  void addNonFiniteDiagonalTerms(const ChunkRows &chunk, Value nonFinite);
  /// zeta_m of this lane's rows of every k-step of a chunk of `count` rows.
  SmallVector<Value> zetaOf(Value count);
  /// This chunk's zetas (in the states kernel, times the decay to the end).
  SmallVector<Value> chunkZetas(const ChunkRows &chunk);
  /// The chunk's outputs O into o.
  void storeOutputs(const ChunkRows &chunk, ArrayRef<Acc> O);

  // What the kernel is.
  Emitter &e;
  OpBuilder &b;
  Location loc;
  const RetentionShape &shape;
  const ChunkwiseMmaPlan &plan;
  const ChunkwiseMmaOperands &ops;
  const ChunkwiseMmaPart part;
  /// The states kernel computes no outputs: it stages only k and v and
  /// skips the score tile, Q S and A V.
  const bool outputs;
  const int64_t C, K, V, Vb;
  const int64_t cTiles, kTiles, warps;
  const Type elt;
  const int64_t stages; ///< buffers of staged rows
  const Type f32;

  // The values shared across phases, by the phase that makes them.
  // layOutLanes (g = lane / 4, c = lane % 4: MmaFragments.h).
  Value lane, warp;
  Fragments f;
  Value g;               ///< lane / 4
  Value c2;              ///< 2c
  Value c4;              ///< 4c: the first of this lane's output columns
  Value lowerHalfOfQuad; ///< c < 2
  Value quadSource[2];   ///< the lanes this lane's outputs come from (i32)
  Value one;             ///< f32 1
  Value T;               ///< ops.tokens, or shape.T
  Value wcol;            ///< this warp's first column in Vs
  Value j0;              ///< this warp's first global value column
  // findTokenRange.
  Value tokensBegin, tokensEnd;
  // issueFirstChunks.
  Value vcol0; ///< this slice's first value column
  // emit: the zetas of a full chunk, loop-invariant.
  SmallVector<Value> zetaFull;
};

} // namespace

MmaChunkKernel::MmaChunkKernel(Emitter &e, const RetentionShape &shape,
                               const ChunkwiseMmaPlan &plan,
                               const ChunkwiseMmaOperands &ops,
                               ChunkwiseMmaPart part)
    : e(e), b(e.b), loc(e.loc), shape(shape), plan(plan), ops(ops), part(part),
      outputs(part != ChunkwiseMmaPart::SegmentStates), C(plan.C), K(shape.K),
      V(shape.V), Vb(plan.vSlice), cTiles(C / 16), kTiles(K / 16),
      warps(plan.threads / 32),
      elt(cast<MemRefType>(ops.Ks.getType()).getElementType()),
      stages(outputs ? plan.stages : plan.statesStages), f32(e.b.getF32Type()),
      // The lane offsets: layOutLanes.
      f{e, elt, Value(), Value(), Value(), Value()} {}

void MmaChunkKernel::emit() {
  layOutLanes();
  SmallVector<Value> init = loadInitialState();
  findTokenRange();
  issueFirstChunks();
  Value fullCount = e.idx(C);
  zetaFull = zetaOf(fullCount);
  scf::ForOp chunkLoop = emitChunkLoop(init);
  storeFinalState(chunkLoop.getResults());
}

Value MmaChunkKernel::div(Value x, int64_t d) {
  return arith::DivUIOp::create(b, loc, x, e.idx(d)).getResult();
}

Value MmaChunkKernel::rem(Value x, int64_t d) {
  return arith::RemUIOp::create(b, loc, x, e.idx(d)).getResult();
}

//===----------------------------------------------------------------------===//
// The lane layout
//===----------------------------------------------------------------------===//

void MmaChunkKernel::layOutLanes() {
  lane = rem(ops.tid, 32);
  warp = div(ops.tid, 32);
  f.lane16 = rem(lane, 16);
  Value half = div(lane, 16);
  f.hi8 = e.muli(half, e.idx(8));
  f.lane8 = rem(lane, 8);
  Value matrixRow = rem(div(lane, 8), 2);
  f.mid8 = e.muli(matrixRow, e.idx(8));
  g = div(lane, 4);
  Value c = rem(lane, 4);
  c2 = e.muli(c, e.idx(2));
  // The output stores' quad exchange: lane c takes columns 4c..4c+3, the
  // pairs of lanes 2c % 4 and (2c + 1) % 4 of the same quad, from tile 0
  // (c < 2) or tile 1.
  c = rem(lane, 4);
  c4 = e.muli(c, e.idx(4));
  c = rem(lane, 4);
  lowerHalfOfQuad = e.lt(c, e.idx(2));
  for (int64_t k = 0; k < 2; ++k) {
    Value quad0 = e.muli(g, e.idx(4));
    Value pairLane = rem(e.addi(c2, e.idx(k)), 4);
    quadSource[k] = arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                               e.addi(quad0, pairLane));
  }
  one = e.f32(1);
  T = ops.tokens ? ops.tokens : e.idx(shape.T);
  // This warp's 16 columns: local (in Vs) and global.
  wcol = e.muli(warp, e.idx(16));
  j0 = e.addi(e.muli(ops.slice, e.idx(Vb)), wcol);
}

Value MmaChunkKernel::globalCol(int64_t ct) {
  return e.addi(e.addi(j0, e.idx(8 * ct)), c2);
}

Value MmaChunkKernel::rowOf(int64_t rt, int64_t half) {
  return e.addi(g, e.idx(16 * rt + 8 * half));
}

//===----------------------------------------------------------------------===//
// The state in and out
//===----------------------------------------------------------------------===//

SmallVector<Value, 5> MmaChunkKernel::stateIndex(Value buf, Value row,
                                                 Value j) {
  if (buf == ops.workspace)
    return {ops.batch, ops.head,
            outputs ? e.muli(ops.segment, e.idx(plan.statesSplit))
                    : ops.segment,
            row, j};
  return {ops.batch, ops.head, row, j};
}

SmallVector<Value> MmaChunkKernel::loadInitialState() {
  // The initial state: s0 (or zero) for the whole sequence, zero for a
  // segment's contribution, the scan's result for a segment's outputs.
  Value initial = part == ChunkwiseMmaPart::Whole            ? ops.s0
                  : part == ChunkwiseMmaPart::SegmentOutputs ? ops.workspace
                                                             : Value();
  SmallVector<Value> init;
  for (int64_t rt = 0; rt < kTiles; ++rt)
    for (int64_t ct = 0; ct < 2; ++ct)
      for (int64_t half = 0; half < 2; ++half) {
        Value x = e.f32(0), y = e.f32(0);
        if (initial) {
          Value j = globalCol(ct);
          Value inside = e.lt(j, e.idx(V));
          SmallVector<Value, 5> at = stateIndex(initial, rowOf(rt, half), j);
          Value p =
              maskedLoad(e, inside, VectorType::get({2}, f32), initial, at);
          x = vector::ExtractOp::create(b, loc, p, 0);
          y = vector::ExtractOp::create(b, loc, p, 1);
        }
        init.push_back(x);
        init.push_back(y);
      }
  return init;
}

void MmaChunkKernel::storeFinalState(ValueRange state) {
  // The final state, f32: the whole sequence's, a segment's contribution
  // into the workspace, or, from the last segment's outputs block, the
  // whole sequence's (its accumulators started from the scan's state).
  Value result =
      part == ChunkwiseMmaPart::SegmentStates ? ops.workspace : ops.state;
  Value lastSegment =
      part == ChunkwiseMmaPart::SegmentOutputs
          ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, ops.segment,
                                  e.idx(plan.segments - 1))
                .getResult()
          : Value();
  if (lastSegment)
    e.ifThen(lastSegment, [&] { storeState(state, result); });
  else
    storeState(state, result);
}

void MmaChunkKernel::storeState(ValueRange state, Value result) {
  for (int64_t rt = 0; rt < kTiles; ++rt)
    for (int64_t ct = 0; ct < 2; ++ct)
      for (int64_t half = 0; half < 2; ++half) {
        Value j = globalCol(ct);
        int64_t t = 4 * sIndex(rt, ct) + 2 * half;
        Value x = state[t], y = state[t + 1];
        e.ifThen(e.lt(j, e.idx(V)), [&] {
          Value pair = f.pair(x, y, f32);
          storeVector(e, pair, result, stateIndex(result, rowOf(rt, half), j));
        });
      }
}

//===----------------------------------------------------------------------===//
// Staging copies
//===----------------------------------------------------------------------===//

void MmaChunkKernel::findTokenRange() {
  // The chunks: all of them, or those of this block's segment (the segment
  // length is a multiple of C, so a chunk never straddles two).
  tokensBegin = e.idx(0);
  tokensEnd = T;
  if (part != ChunkwiseMmaPart::Whole) {
    // The states kernel's blocks take parts of L / r tokens.
    int64_t length =
        outputs ? plan.segmentLength : plan.segmentLength / plan.statesSplit;
    tokensBegin = e.muli(ops.segment, e.idx(length));
    tokensEnd = e.mini(T, e.addi(tokensBegin, e.idx(length)));
  }
}

Value MmaChunkKernel::stagedRow0(Value c0) {
  // A ring of `stages` buffers, one a chunk.
  if (stages == 1)
    return e.idx(0);
  Value slot = rem(div(e.subi(c0, tokensBegin), C), stages);
  return e.muli(slot, e.idx(C));
}

Value MmaChunkKernel::stagedRow(const ChunkRows &chunk, int64_t row) {
  return e.addi(chunk.base, e.idx(row));
}

void MmaChunkKernel::stageRows(Value src, Value dst, Value row0, int64_t width,
                               Value col0, int64_t limit, Value c0,
                               Value count) {
  // Copies rows c0.. of `src` (columns col0.., `width` of them, all < limit)
  // into rows row0.. of `dst` with cp.async, 16 bytes a copy; rows past
  // `count` and columns past the limit are zero-filled (copies of no
  // source bytes, their source address clamped into the buffer).
  // The copies are unrolled (C * width / 8 of them over the block's
  // threads), so that each thread's row and column within the chunk are
  // loop-invariant and leave the chunk loop: only the token row and the
  // masks are computed per chunk.
  const int64_t perRow = width / 8;
  const bool wholeRows = plan.threads % perRow == 0;
  forEachPiece(e, ops.tid, plan.threads, C * perRow, [&](Value p, int64_t i) {
    // With whole rows per pass, thread tid copies row tid / perRow +
    // i * threads / perRow, column 8 (tid % perRow), every pass.
    Value n = div(wholeRows ? ops.tid : p, perRow);
    if (wholeRows)
      n = e.addi(n, e.idx(i * plan.threads / perRow));
    Value piece = rem(wholeRows ? ops.tid : p, perRow);
    Value col = e.muli(piece, e.idx(8));
    Value gcol = e.addi(col0, col), row = e.addi(row0, n);
    copyRowPiece(e, src, dst, {row, col}, ops.batch, ops.head, shape.T, c0, n,
                 count, gcol, limit);
  });
}

void MmaChunkKernel::issueParts(Value c0, bool q, bool k, bool v) {
  Value full = e.idx(C);
  Value count = e.mini(full, e.subi(T, c0));
  Value row0 = stagedRow0(c0);
  if (outputs && q)
    stageRows(ops.q, ops.Qs, row0, K, e.idx(0), K, c0, count);
  if (k)
    stageRows(ops.k, ops.Ks, row0, K, e.idx(0), K, c0, count);
  if (v)
    stageRows(ops.v, ops.Vs, row0, Vb, vcol0, V, c0, count);
}

void MmaChunkKernel::issueChunk(Value c0) { issueParts(c0, true, true, true); }

void MmaChunkKernel::issueFirstChunks() {
  vcol0 = e.muli(ops.slice, e.idx(Vb));
  // With N stages the first N - 1 chunks' groups go out before the loop
  // (one group each, empty past the end).
  for (int64_t i = 0; i + 1 < stages; ++i) {
    if (i == 0) {
      issueChunk(tokensBegin);
    } else {
      Value ci = e.addi(tokensBegin, e.idx(i * C));
      e.ifThen(e.lt(ci, tokensEnd), [&] { issueChunk(ci); });
    }
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
  }
}

void MmaChunkKernel::issueAt(Value c0, CopyPoint point) {
  // With N >= 2 stages, chunk c0 + (N-1) C's copies go into the buffer
  // chunk c0 - C is done with, free from the chunk's first barrier on. They
  // are issued between the chunk's matmuls, not all at once after that
  // barrier: a thread's cp.async instructions queue behind one another
  // (each holds its address registers until the memory pipe takes it), and
  // between matmuls other warps' mma instructions fill those waits
  // (docs/gpu-codegen.md, "Where the copies go"). The outputs kernel: q after the score tile, k after Q S, v
  // (and the commit) after the middle barrier; the states kernel, which
  // has only K^T V: all at the end of the chunk.
  if (stages < 2)
    return;
  bool q = outputs && point == CopyPoint::AfterScores;
  bool k = outputs ? point == CopyPoint::AfterQS : point == CopyPoint::End;
  bool v = outputs ? point == CopyPoint::AfterMiddle : point == CopyPoint::End;
  if (!(q || k || v))
    return;
  Value next = e.addi(c0, e.idx((stages - 1) * C));
  e.ifThen(e.lt(next, tokensEnd), [&] { issueParts(next, q, k, v); });
  if (v)
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
}

void MmaChunkKernel::waitForChunk(Value c0) {
  if (stages >= 2) {
    // This chunk's rows were issued N - 1 chunks ago: wait until at
    // most the N - 2 newer groups are pending; the barrier makes
    // every thread's copies visible and tells that the previous chunk
    // is done with its buffers, where chunk c0 + (N - 1) C goes
    // (issueAt; two barriers a chunk with the middle one).
    NVVM::CpAsyncWaitGroupOp::create(b, loc, stages - 2);
    gpu::BarrierOp::create(b, loc);
  } else {
    // The previous chunk has finished reading every tile; this
    // chunk's copies, then the wait for them.
    gpu::BarrierOp::create(b, loc);
    issueChunk(c0);
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    gpu::BarrierOp::create(b, loc);
  }
}

//===----------------------------------------------------------------------===//
// The chunk loop
//===----------------------------------------------------------------------===//

scf::ForOp MmaChunkKernel::emitChunkLoop(ValueRange init) {
  Value step = e.idx(C);
  return scf::ForOp::create(
      b, loc, tokensBegin, tokensEnd, step, init,
      [&](OpBuilder &nb, Location, Value c0, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> next = emitChunk(c0, carried);
        scf::YieldOp::create(b, loc, next);
      });
}

SmallVector<Value> MmaChunkKernel::emitChunk(Value c0, ValueRange carried) {
  SmallVector<Acc> S;
  for (int64_t t = 0; t < kTiles * 2; ++t)
    S.push_back({carried[4 * t], carried[4 * t + 1], carried[4 * t + 2],
                 carried[4 * t + 3]});
  ChunkRows chunk;
  chunk.c0 = c0;
  Value full = e.idx(C);
  chunk.count = e.mini(full, e.subi(T, c0));
  waitForChunk(c0);
  // Rows of this chunk in Qs, Ks and Vs.
  chunk.base = stagedRow0(c0);

  emitScoreTile(chunk);
  issueAt(c0, CopyPoint::AfterScores);
  SmallVector<Acc> O = emitQS(chunk, S);
  issueAt(c0, CopyPoint::AfterQS);
  // The score tile is complete.
  if (outputs)
    gpu::BarrierOp::create(b, loc);
  issueAt(c0, CopyPoint::AfterMiddle);
  Value nonFinite = emitAVAndStateUpdate(chunk, O, S);
  storeOutputs(chunk, O);
  if (outputs)
    addNonFiniteDiagonalTerms(chunk, nonFinite);
  issueAt(c0, CopyPoint::End);

  SmallVector<Value> next;
  for (const Acc &s : S)
    next.append(s.begin(), s.end());
  return next;
}

void MmaChunkKernel::emitScoreTile(const ChunkRows &chunk) {
  // Score tile As = s (Q K^T) .* gamma^(n-m), 0 above the diagonal:
  // only the 8-column tiles at or left of each 16-row tile's diagonal
  // block (A V reads no other), C/16 (C/16 + 1) units numbered row by
  // row, dealt to the warps in turn (warp w: units w, w + warps, ...)
  // so that none has more than one more than another. A warp's full
  // slots are straight-line code, and each unit sums its k-steps in
  // two accumulators, so the mma chains interleave.
  const int64_t units = cTiles * (cTiles + 1);
  for (int64_t slot = 0; outputs && slot * warps < units; ++slot) {
    if ((slot + 1) * warps <= units)
      emitScoreUnit(chunk, slot);
    else {
      Value unit = e.addi(warp, e.idx(slot * warps));
      e.ifThen(e.lt(unit, e.idx(units)), [&] { emitScoreUnit(chunk, slot); });
    }
  }
}

void MmaChunkKernel::emitScoreUnit(const ChunkRows &chunk, int64_t slot) {
  Value base = chunk.base;
  Value u = e.addi(warp, e.idx(slot * warps));
  // Row tile rt holds units rt (rt + 1) .. (rt + 1) (rt + 2) - 1.
  Value rt = e.idx(0);
  for (int64_t r = 1; r < cTiles; ++r) {
    Value past = e.le(e.idx(r * (r + 1)), u);
    Value inc = e.idx(1), noInc = e.idx(0);
    rt = e.addi(rt, e.select(past, inc, noInc));
  }
  Value ct = e.subi(u, e.muli(rt, e.addi(rt, e.idx(1))));
  Value row0 = e.muli(rt, e.idx(16)), col0 = e.muli(ct, e.idx(8));
  Acc acc[2] = {f.zero(), f.zero()};
  for (int64_t ks = 0; ks < kTiles; ++ks) {
    Value qRow = e.addi(base, row0), qCol = e.idx(16 * ks);
    SmallVector<Value> a = f.loadA(ops.Qs, qRow, qCol);
    Value kRow = e.addi(base, col0), kCol = e.idx(16 * ks);
    SmallVector<Value> bK = f.regs(f.loadBRows(ops.Ks, kRow, kCol));
    acc[ks % 2] = f.mma(a, bK, acc[ks % 2]);
  }
  Value m = e.addi(col0, c2);
  for (int64_t half = 0; half < 2; ++half) {
    Value rowG = e.addi(row0, g);
    Value n = e.addi(rowG, e.idx(8 * half));
    Value x = e.addf(acc[0][2 * half], acc[1][2 * half]);
    Value y = e.addf(acc[0][2 * half + 1], acc[1][2 * half + 1]);
    // 0 above the diagonal selected, not multiplied: q k^T there may be
    // Inf or NaN (a future key's), and 0 * Inf is NaN.
    Value dist = e.subi(n, m), zero = e.f32(0);
    Value distNext = e.subi(dist, e.idx(1));
    x = e.mulf(x, e.power(dist, ops.log2g, ops.scale));
    y = e.mulf(y, e.power(distNext, ops.log2g, ops.scale));
    x = e.select(e.le(e.idx(0), dist), x, zero);
    y = e.select(e.le(e.idx(0), distNext), y, zero);
    storeVector(e, f.pair(x, y, elt), ops.As, {n, m});
  }
}

SmallVector<Acc> MmaChunkKernel::emitQS(const ChunkRows &chunk,
                                        ArrayRef<Acc> S) {
  // O = xi .* (Q S) with xi_n = s gamma^(n+1). The B fragments of S
  // (rounded to the input type, as flash-linear-attention's
  // h.to(q.dtype)) come from this warp's own accumulators: each 8 x 8
  // block, packed to 16-bit pairs, transposed in registers
  // (movmatrix) is the B fragment's register (rows 2c, 2c+1, column
  // g) of that k-step and column tile.
  SmallVector<Acc> O(outputs ? cTiles * 2 : 0, f.zero());
  for (int64_t ks = 0; ks < kTiles && outputs; ++ks) {
    SmallVector<Value> bS[2];
    for (int64_t ct = 0; ct < 2; ++ct) {
      const Acc &s = S[sIndex(ks, ct)];
      for (int64_t half = 0; half < 2; ++half)
        bS[ct].push_back(f.fromWord(
            f.transposed(f.word(f.pair(s[2 * half], s[2 * half + 1], elt)))));
    }
    for (int64_t rt = 0; rt < cTiles; ++rt) {
      Value row = stagedRow(chunk, 16 * rt), col = e.idx(16 * ks);
      SmallVector<Value> a = f.loadA(ops.Qs, row, col);
      for (int64_t ct = 0; ct < 2; ++ct)
        O[rt * 2 + ct] = f.mma(a, bS[ct], O[rt * 2 + ct]);
    }
  }
  for (int64_t rt = 0; rt < cTiles && outputs; ++rt)
    for (int64_t half = 0; half < 2; ++half) {
      Value row = rowOf(rt, half);
      Value xi = e.power(e.addi(row, e.idx(1)), ops.log2g, ops.scale);
      for (int64_t ct = 0; ct < 2; ++ct)
        for (int64_t x = 2 * half; x < 2 * half + 2; ++x)
          O[rt * 2 + ct][x] = e.mulf(O[rt * 2 + ct][x], xi);
    }
  return O;
}

Value MmaChunkKernel::emitAVAndStateUpdate(const ChunkRows &chunk,
                                          MutableArrayRef<Acc> O,
                                          MutableArrayRef<Acc> S) {
  // O += A V; S = gamma^count S + K^T (V .* zeta), zeta_m =
  // gamma^(count-1-m) (0 for rows past count), sharing V's fragments.
  // (The states kernel keeps no running state: it sums
  // gamma^(end-1-m) k_m^T v_m over its segment, each chunk's weights
  // carrying the decay to the segment's end, so S is never rescaled.)
  if (outputs) {
    Value decay = e.power(chunk.count, ops.log2g, one);
    for (Acc &s : S)
      for (Value &x : s)
        x = e.mulf(x, decay);
  }
  SmallVector<Value> zetas = chunkZetas(chunk);
  Value nonFinite = f.i32(0); // nonFiniteBits of every V word, or'ed
  for (int64_t ms = 0; ms < cTiles; ++ms) {
    Value vFrag[2];
    for (int64_t ct = 0; ct < 2; ++ct) {
      Value row = stagedRow(chunk, 16 * ms);
      Value col = e.addi(wcol, e.idx(8 * ct));
      vFrag[ct] = f.loadBColumns(ops.Vs, row, col);
    }
    SmallVector<Value> bV[2] = {f.regs(vFrag[0]), f.regs(vFrag[1])};
    for (int64_t rt = ms + 1; rt < cTiles && outputs; ++rt) {
      Value row = e.idx(16 * rt), col = e.idx(16 * ms);
      SmallVector<Value> a = f.loadA(ops.As, row, col);
      for (int64_t ct = 0; ct < 2; ++ct)
        O[rt * 2 + ct] = f.mma(a, bV[ct], O[rt * 2 + ct]);
    }
    if (outputs) {
      Value blockBits = emitDiagonalAV(ms, vFrag, O);
      nonFinite = arith::OrIOp::create(b, loc, nonFinite, blockBits);
    }
    ArrayRef<Value> zeta = ArrayRef<Value>(zetas).slice(4 * ms, 4);
    SmallVector<Value> bZ[2] = {f.scaled(vFrag[0], zeta),
                                f.scaled(vFrag[1], zeta)};
    for (int64_t it = 0; it < kTiles; ++it) {
      Value i0 = e.idx(16 * it), m0 = stagedRow(chunk, 16 * ms);
      SmallVector<Value> a = f.loadATransposed(ops.Ks, i0, m0);
      for (int64_t ct = 0; ct < 2; ++ct)
        S[sIndex(it, ct)] = f.mma(a, bZ[ct], S[sIndex(it, ct)]);
    }
  }
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, nonFinite,
                               f.i32(0));
}

Value MmaChunkKernel::emitDiagonalAV(int64_t ms, ArrayRef<Value> vFrag,
                                     MutableArrayRef<Acc> O) {
  // The diagonal block of A V: rows n and keys m of k-step ms. As is 0
  // above the diagonal (m > n), but a future key's v may be Inf or NaN,
  // and 0 * Inf is NaN: the block's matmul takes V with every non-finite
  // value as 0 (addNonFiniteDiagonalTerms adds their terms, m <= n only).
  SmallVector<Value> clean[2];
  Value nonFinite = f.i32(0);
  for (int64_t ct = 0; ct < 2; ++ct)
    for (int64_t r = 0; r < 2; ++r) {
      Value pair = vector::ExtractOp::create(b, loc, vFrag[ct], r);
      Value w = f.word(pair);
      Value bits = f.nonFiniteBits(w);
      nonFinite = arith::OrIOp::create(b, loc, nonFinite, bits);
      clean[ct].push_back(f.fromWord(f.finiteOnly(w, bits)));
    }
  Value diagonal = e.idx(16 * ms);
  SmallVector<Value> a = f.loadA(ops.As, diagonal, diagonal);
  for (int64_t ct = 0; ct < 2; ++ct)
    O[ms * 2 + ct] = f.mma(a, clean[ct], O[ms * 2 + ct]);
  return nonFinite;
}

void MmaChunkKernel::addNonFiniteDiagonalTerms(const ChunkRows &chunk,
                                               Value nonFinite) {
  // Rare (a warp vote a chunk otherwise), and after the outputs are stored,
  // so that it holds no registers in the chunk's matmuls: where keys
  // m = 16 (n / 16) .. n of output n's diagonal block have an Inf or NaN
  // V[m][j], o[n][j] += sum of As[n][m] V[m][j] over those m, from shared
  // memory (the sum is Inf or NaN, so o's rounding does not matter).
  e.ifThen(f.warpAny(nonFinite), [&] {
    f.warpSync(); // the quad's stores of o are visible to this lane
    // The lane's place anew from an opaque copy of the thread index, so
    // that nothing of this rare path is hoisted out of the chunk loop
    // into registers the matmuls need.
    Value tid = opaqueIndex(e, ops.tid);
    Value myLane = rem(tid, 32);
    Value myG = div(myLane, 4);
    Value myC2 = e.muli(rem(myLane, 4), e.idx(2));
    Value myCol = e.addi(e.muli(div(tid, 32), e.idx(16)), myC2);
    Value sliceCol = e.muli(ops.slice, e.idx(Vb));
    // One loop over the lane's 8 accumulators of each diagonal block (row
    // tile rt, column tiles 0 and 1), not unrolled: the rare path stays
    // small.
    Value entries = e.idx(8 * cTiles), step = e.idx(1);
    e.loop(e.idx(0), entries, step, [&](Value entry) {
      Value rt = div(entry, 8);
      Value ct = rem(div(entry, 4), 2);
      Value x = rem(entry, 4);
      Value rowInTile = e.addi(myG, e.muli(div(x, 2), e.idx(8)));
      Value n = e.addi(e.muli(rt, e.idx(16)), rowInTile);
      Value colInTile = e.addi(e.muli(ct, e.idx(8)), rem(x, 2));
      Value j = e.addi(myCol, colInTile);
      Value jGlobal = e.addi(sliceCol, j);
      Value inRows = e.lt(n, chunk.count);
      Value inColumns = e.lt(jGlobal, e.idx(V));
      e.ifThen(e.andi(inRows, inColumns), [&] {
        Value first = e.muli(rt, e.idx(16)), keysEnd = e.addi(n, e.idx(1));
        Value zero = e.f32(0);
        Value missing = e.sum(first, keysEnd, zero,
                              [&](Value m, Value partial) {
          Value row = e.addi(chunk.base, m);
          Value v = memref::LoadOp::create(b, loc, ops.Vs, ValueRange{row, j});
          Value score = e.load(ops.As, {n, m});
          Value vf = arith::ExtFOp::create(b, loc, f32, v);
          Value term = e.mulf(score, vf);
          Value none = e.f32(0);
          Value kept = e.select(f.isNonFinite(v), term, none);
          return e.addf(partial, kept);
        });
        // Only where some term was dropped: the sum is then not 0.
        Value dropped = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::UNE, missing, zero);
        e.ifThen(dropped, [&] {
          Value token = e.addi(chunk.c0, n);
          SmallVector<Value> at = {ops.batch, token, ops.head, jGlobal};
          Value stored = e.load(ops.o, at);
          e.store(e.addf(stored, missing), ops.o, at);
        });
      });
    });
  });
}

SmallVector<Value> MmaChunkKernel::zetaOf(Value count) {
  // zeta_m = gamma^(count-1-m) (0 for m >= count) of this lane's rows
  // m = 16 ms + 2c + {0, 1, 8, 9}, every k-step ms of a chunk of `count`
  // rows.
  SmallVector<Value> out;
  for (int64_t ms = 0; ms < cTiles; ++ms)
    for (int64_t dk : {0, 1, 8, 9}) {
      Value m = e.addi(c2, e.idx(16 * ms + dk));
      out.push_back(
          e.power(e.subi(e.subi(count, e.idx(1)), m), ops.log2g, one));
    }
  return out;
}

SmallVector<Value> MmaChunkKernel::chunkZetas(const ChunkRows &chunk) {
  // zeta of this lane's rows m = 16 ms + 2c + {0, 1, 8, 9}: the
  // table of a full chunk (loop-invariant), computed anew only for
  // the last, partial one.
  SmallVector<Value> zetas;
  {
    SmallVector<Type> types(4 * cTiles, f32);
    auto full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                      chunk.count, e.idx(C));
    auto ifOp = scf::IfOp::create(b, loc, types, full,
                                  /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    scf::YieldOp::create(b, loc, zetaFull);
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    scf::YieldOp::create(b, loc, zetaOf(chunk.count));
    zetas.assign(ifOp.getResults().begin(), ifOp.getResults().end());
  }
  if (!outputs) {
    Value toEnd = e.power(e.subi(tokensEnd, e.addi(chunk.c0, chunk.count)),
                          ops.log2g, one);
    for (Value &z : zetas)
      z = e.mulf(z, toEnd);
  }
  return zetas;
}

void MmaChunkKernel::storeOutputs(const ChunkRows &chunk, ArrayRef<Acc> O) {
  // The chunk's outputs: rows below count, columns below V. Lane c of
  // a quad holds columns 2c, 2c+1 of each 8-column tile; four
  // shuffles in the quad give it columns 4c..4c+3 of the warp's 16,
  // so that each row is one whole 32-byte sector of 8-byte stores.
  for (int64_t rt = 0; rt < cTiles && outputs; ++rt)
    for (int64_t half = 0; half < 2; ++half) {
      Value words[2];
      for (int64_t ct = 0; ct < 2; ++ct) {
        const Acc &o = O[rt * 2 + ct];
        words[ct] = f.word(f.pair(o[2 * half], o[2 * half + 1], elt));
      }
      Value mine[2];
      for (int64_t k = 0; k < 2; ++k) {
        Value from0 = f.shuffle(words[0], quadSource[k]);
        Value from1 = f.shuffle(words[1], quadSource[k]);
        mine[k] = e.select(lowerHalfOfQuad, from0, from1);
      }
      Value n = rowOf(rt, half), j = e.addi(j0, c4);
      Value inRows = e.lt(n, chunk.count), inColumns = e.lt(j, e.idx(V));
      e.ifThen(e.andi(inRows, inColumns), [&] {
        Value packed = vector::FromElementsOp::create(
            b, loc, VectorType::get({2}, b.getI32Type()),
            ValueRange{mine[0], mine[1]});
        Value x = vector::BitCastOp::create(b, loc, VectorType::get({4}, elt),
                                            packed);
        storeVector(e, x, ops.o, {ops.batch, e.addi(chunk.c0, n), ops.head, j});
      });
    }
}

void mlir::retention::emitChunkwiseTensorCores(Emitter &e,
                                               const RetentionShape &shape,
                                               const ChunkwiseMmaPlan &plan,
                                               const ChunkwiseMmaOperands &ops,
                                               ChunkwiseMmaPart part) {
  MmaChunkKernel(e, shape, plan, ops, part).emit();
}

namespace {

/// The segment scan (emitSegmentScan) of one thread: its kSegmentScanWidth
/// adjacent state elements (row i, columns j..) of (batch, head), walked
/// through the workspace's contributions.
class SegmentScan {
public:
  SegmentScan(Emitter &e, const RetentionShape &shape,
              const ChunkwiseMmaPlan &plan, Value s0, Value workspace,
              Value batch, Value head, Value log2g);

  /// Emits the scan of thread `flat` (no elements past K * V).
  void emit(Value flat);

private:
  /// The scan of the elements from flat index `first`.
  void scanElements(Value first);
  /// The initial state of the thread's elements: s0's or zero.
  Value initialState();
  /// The thread's elements in workspace slot `seg`.
  SmallVector<Value> slotIndex(Value seg);
  /// The scan over the contributions, unrolled; its result, the last
  /// segment's initial state.
  Value scanUnrolled(Value init);
  /// The scan over the contributions as a loop.
  Value scanLooped(Value init);
  /// One step of scanLooped: stores `running` where slot `seg` is a
  /// segment's first part and returns the state after its contribution.
  Value scanStep(Value seg, Value running);

  Emitter &e;
  OpBuilder &b;
  Location loc;
  const RetentionShape &shape;
  Value s0, workspace, batch, head, log2g;
  const int64_t V;
  const int64_t r; ///< parts a segment (plan.statesSplit)
  const int64_t L; ///< tokens a part
  /// kSegmentScanWidth adjacent elements of one row a thread (V is a
  /// multiple of 8), moved as one 16-byte vector.
  const int64_t w;
  const VectorType vt;
  /// The states kernel's parts, r (S - 1): every segment's but the last's.
  const int64_t contributions;
  // scanElements.
  Value i, j;  ///< the thread's row and first column of the state
  Value decay; ///< gamma^L, broadcast to vt
};

} // namespace

SegmentScan::SegmentScan(Emitter &e, const RetentionShape &shape,
                         const ChunkwiseMmaPlan &plan, Value s0,
                         Value workspace, Value batch, Value head, Value log2g)
    : e(e), b(e.b), loc(e.loc), shape(shape), s0(s0), workspace(workspace),
      batch(batch), head(head), log2g(log2g), V(shape.V), r(plan.statesSplit),
      L(plan.segmentLength / r), w(kSegmentScanWidth),
      vt(VectorType::get({w}, e.b.getF32Type())),
      contributions(r * (plan.segments - 1)) {}

void SegmentScan::emit(Value flat) {
  e.ifThen(e.lt(flat, e.idx(shape.K * V / w)), [&] {
    Value first = e.muli(flat, e.idx(w));
    scanElements(first);
  });
}

void SegmentScan::scanElements(Value first) {
  i = arith::DivUIOp::create(b, loc, first, e.idx(V));
  j = arith::RemUIOp::create(b, loc, first, e.idx(V));
  Value init = initialState();
  // The r parts of segments 0 .. S-2 (all L = segment / r tokens long)
  // have contributions; the scan replaces the first part's of each
  // segment s (slot r s) by the segment's initial state and writes the
  // last segment's (slot r (S-1)). That segment's outputs block writes
  // the final state.
  Value length = e.idx(L), one = e.f32(1);
  decay = vector::BroadcastOp::create(b, loc, vt, e.power(length, log2g, one));
  Value last = contributions <= kSegmentScanUnroll ? scanUnrolled(init)
                                                   : scanLooped(init);
  storeVector(e, last, workspace, slotIndex(e.idx(contributions)));
}

Value SegmentScan::initialState() {
  auto zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vt, b.getF32FloatAttr(0)));
  return s0 ? loadVector(e, vt, s0, {batch, head, i, j}) : Value(zeros);
}

SmallVector<Value> SegmentScan::slotIndex(Value seg) {
  return {batch, head, seg, i, j};
}

Value SegmentScan::scanUnrolled(Value init) {
  // All loads first: the stores into the workspace would otherwise
  // keep each load behind the previous segment's store.
  SmallVector<Value> deltas;
  for (int64_t seg = 0; seg < contributions; ++seg)
    deltas.push_back(loadVector(e, vt, workspace, slotIndex(e.idx(seg))));
  Value last = init;
  for (int64_t seg = 0; seg < contributions; ++seg) {
    if (seg % r == 0)
      storeVector(e, last, workspace, slotIndex(e.idx(seg)));
    last = e.fma(decay, last, deltas[seg]);
  }
  return last;
}

Value SegmentScan::scanLooped(Value init) {
  Value begin = e.idx(0);
  Value end = e.idx(contributions);
  return e.sum(begin, end, init, [&](Value seg, Value running) {
    return scanStep(seg, running);
  });
}

Value SegmentScan::scanStep(Value seg, Value running) {
  Value delta = loadVector(e, vt, workspace, slotIndex(seg));
  Value part = arith::RemUIOp::create(b, loc, seg, e.idx(r));
  Value zero = e.idx(0);
  Value firstPart =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, part, zero);
  e.ifThen(firstPart,
           [&] { storeVector(e, running, workspace, slotIndex(seg)); });
  return e.fma(decay, running, delta);
}

void mlir::retention::emitSegmentScan(Emitter &e, const RetentionShape &shape,
                                      const ChunkwiseMmaPlan &plan, Value s0,
                                      Value workspace, Value batch, Value head,
                                      Value flat, Value log2g) {
  SegmentScan(e, shape, plan, s0, workspace, batch, head, log2g).emit(flat);
}
