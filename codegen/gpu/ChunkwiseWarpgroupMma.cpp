//===- ChunkwiseWarpgroupMma.cpp - chunkwise kernel on wgmma --------------===//
//
// See ChunkwiseWarpgroupMma.h. Layouts (g = lane / 4, c = lane % 4; a
// warpgroup's warp q owns rows 16 q.. of every 64-row wgmma operand and
// result):
//   accumulator x of 8-column tile t: row g + 8 (x / 2), column 8t + 2c + x % 2
//   (the transposed state S^T and O^T: rows are value columns)
//   register A (16 x 16 per warp): word r: row g + 8 (r % 2), columns 2c,
//   2c+1 (+8 for r >= 2), as mma.sync's A fragment
//   core-matrix layout (the S^T and P regions of Ss): element (r, e) of a
//   tile of E columns at (r / 8) (E / 8) 64 + (e / 8) 64 + (r % 8) 8 + e % 8
//   128-byte swizzle (Qs, Ks, Vs): element (r, e) of a tile of C rows at
//   (e / 64) 64 C + 64 r + 8 ((e % 64 / 8) ^ (r % 8)) + e % 8
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/ChunkwiseWarpgroupMma.h"
#include "codegen/gpu/MmaFragments.h"
#include "codegen/gpu/WarpgroupMma.h"

using namespace mlir;
using namespace mlir::retention;

int64_t mlir::retention::warpgroupRegionElements(int64_t K) {
  // The score columns: all C of them with one warpgroup, half with two.
  return std::max<int64_t>(64 * K, kWarpgroupChunk * kWarpgroupOutputRow +
                                       kWarpgroupChunk * kWarpgroupChunk);
}

int64_t mlir::retention::warpgroupTileWidth(int64_t columns) {
  return (columns + 63) / 64 * 64;
}

int64_t mlir::retention::warpgroupChunkSharedBytes(int64_t C, int64_t K,
                                                   int64_t vSlice,
                                                   int64_t stages) {
  return 2 * (stages * C * (2 * warpgroupTileWidth(K) + vSlice) +
              vSlice / 64 * warpgroupRegionElements(K)) +
         4 * kWarpgroupDecayTable;
}

namespace {

/// The body of one warpgroup kernel (`part` of `shape` under `plan`),
/// emitted phase by phase at the Emitter's insertion point: the thread's
/// place in the block, the decay table, the initial state, the first
/// chunks' copies, the chunk loop (emitChunk: the steps of the schedule in
/// docs/gpu-codegen.md, a member function or two each) and the final state.
/// What more than one phase reads is a member, set by the phase that
/// makes it; emit() runs the phases in order.
class WarpgroupChunkKernel {
public:
  WarpgroupChunkKernel(Emitter &e, const RetentionShape &shape,
                       const ChunkwiseMmaPlan &plan,
                       const ChunkwiseMmaOperands &ops, ChunkwiseMmaPart part)
      : e(e), b(e.b), loc(e.loc), shape(shape), plan(plan), ops(ops),
        part(part) {}

  /// Emits the whole body.
  void emit();

private:
  /// Chunk c0 in the loop, its copies waited for.
  struct Chunk {
    Value c0;      ///< its first row
    Value count;   ///< its rows below T: C, fewer for the last chunk
    Value qkStage; ///< byte offset of its stage of Qs and Ks
    Value vStage;  ///< byte offset of its stage of Vs
  };
  /// What the chunk's first wgmma group (step 3) leaves, waited for.
  struct QueryProducts {
    SmallVector<Value> P; ///< Q K^T: this warpgroup's columns of the scores
    SmallVector<Value> O; ///< S^T Q^T: O^T's term from the state
    Value n0;             ///< this warpgroup's first column of P
  };

  // Index arithmetic on constants.
  Value div(Value x, int64_t d) {
    return arith::DivUIOp::create(b, loc, x, e.idx(d)).getResult();
  }
  Value rem(Value x, int64_t d) {
    return arith::RemUIOp::create(b, loc, x, e.idx(d)).getResult();
  }
  Value mul(Value x, int64_t m) { return e.muli(x, e.idx(m)); }
  Value add(Value x, int64_t a) { return e.addi(x, e.idx(a)); }

  // Layouts (the file comment has them).
  /// Row of accumulator x among the warp's 16: g + 8 (x / 2).
  Value accRow(int64_t x) { return add(g, 8 * (x / 2)); }
  /// Column of accumulator x of 8-column tile t: 8t + 2c + x % 2.
  Value accCol(int64_t t, int64_t x) { return add(c2, 8 * t + x % 2); }
  /// Two f32 values rounded to the input type as one i32 word.
  Value packedWord(Value x, Value y) { return f.word(f.pair(x, y, elt)); }
  Value coreMatrixAt(Value rowGroup, Value columnGroup, Value rowInGroup,
                     Value columnInGroup, int64_t columns);
  Value accumulatorPairAt(int64_t t, int64_t half, int64_t columns);
  Value swizzledAt(Value r, Value piece);
  /// Where k-step ks (16 columns) of a K-major swizzled operand starts.
  int64_t kStepBytes(int64_t ks) const {
    return ks / 4 * blockBytes + ks % 4 * 32;
  }

  // Setup, before the chunk loop.
  void emitThreadIndices();
  void emitDecayTable();
  Value gammaPower(Value exponent);
  SmallVector<Value, 5> stateIndex(Value buf, Value k, Value j);
  SmallVector<Value> loadInitialState();
  void emitBlockExtent();
  void emitSharedAddresses();

  // Staging copies.
  Value rowsOfChunk(Value c0);
  Value stageOf(Value c0);
  void copyRowsSwizzled(Value tid, Value src, Value dst, Value stage,
                        int64_t width, Value col0, int64_t limit, Value c0,
                        Value count, bool whole);
  void issueCopies(Value tid, Value c0, bool whole);
  void issueChunkCopies(Value tid, Value c0);
  void issueFirstChunks();

  // The chunk loop; emitChunk runs the schedule's steps (numbered).
  scf::ForOp emitChunkLoop(ValueRange init);
  SmallVector<Value> emitChunk(Value c0, ValueRange carried);
  Chunk waitForChunk(Value c0); // 1
  Value statePair(ArrayRef<Value> S, int64_t t, int64_t half);
  void storeRoundedState(ArrayRef<Value> S);                      // 2
  void issueNextChunkCopies(Value c0);                            // 2
  QueryProducts emitQueryGroup(ArrayRef<Value> S, Value qkStage); // 3
  void storeScoreTile(ArrayRef<Value> P, Value n0);               // 4
  Value emitValueGroups(SmallVector<Value> &O, SmallVector<Value> &S,
                        const Chunk &chunk); // 5
  void scaleOutputColumns(MutableArrayRef<Value> O);
  // V^T's words of this warp's 16 value columns, a k-step each.
  Value valueFragment(const Chunk &chunk, int64_t ms);
  SmallVector<SmallVector<Value>> finiteValueWords(const Chunk &chunk,
                                                   Value &nonFinite);
  SmallVector<SmallVector<Value>> zetaScaledValueWords(const Chunk &chunk);
  void emitOutputsGroup(SmallVector<Value> &O,
                        ArrayRef<SmallVector<Value>> finite);
  void addNonFiniteDiagonalTerms(const Chunk &chunk, Value nonFinite);
  Value scoreColumnsAt(int64_t ms);
  void emitStateUpdateGroup(MutableArrayRef<Value> S,
                            ArrayRef<SmallVector<Value>> scaled,
                            Value kColumns);
  void storeOutputTile(ArrayRef<Value> O);  // 6
  void storeOutputRows(const Chunk &chunk); // 6

  // After the chunk loop.
  void emitFinalState(ValueRange S);
  void storeFinalState(ValueRange S);

  Emitter &e;
  OpBuilder &b;
  Location loc;
  const RetentionShape &shape;
  const ChunkwiseMmaPlan &plan;
  const ChunkwiseMmaOperands &ops;
  const ChunkwiseMmaPart part;

  const int64_t C = plan.C, K = shape.K, V = shape.V, Vb = plan.vSlice;
  const int64_t Kp = warpgroupTileWidth(K); // staged columns of Qs and Ks
  const int64_t groups = Vb / 64, kSteps = K / 16, cSteps = C / 16;
  const int64_t stages = plan.stages, threads = plan.threads;
  const int64_t outRow = kWarpgroupOutputRow;
  const Type elt = cast<MemRefType>(ops.Vs.getType()).getElementType();
  // Every slice's value columns inside V, and K a whole number of blocks.
  const bool columnsInside = V % Vb == 0 && K == Kp;
  // Bytes of one 8-row group of S^T's core matrices (K / 8 of them), of a
  // 64-column block of a swizzled tile, and of a stage of Qs/Ks and of Vs.
  const int64_t sGroupBytes = K * 16, blockBytes = C * 128;
  const int64_t qkStageBytes = C * Kp * 2, vStageBytes = C * Vb * 2;
  // k-steps of S^T Q^T whose A is S^T's words in registers, the rest
  // reading it rounded from shared memory: all of them up to K = 128 (no
  // store), none at K = 256, where the 64 more live registers spill
  // (measurements: docs/gpu-codegen.md, the wgmma kernel's steps).
  const int64_t registerSteps = K <= 128 ? kSteps : 0;
  /// Whether S^T Q^T reads some of S^T rounded from shared memory.
  const bool stateInShared = registerSteps < kSteps;
  const int64_t scoreColumns = C / groups; // this warpgroup's columns of P
  /// Where this warpgroup's columns of the score tile start in its region
  /// (past O^T's rows).
  const int64_t scoreOffset = C * outRow;

  /// ldmatrix and register packing; its lane values are set by
  /// emitThreadIndices.
  Fragments f{e, elt, Value(), Value(), Value(), Value()};

  // The thread's place in the block (emitThreadIndices).
  Value lane;        ///< tid % 32
  Value group;       ///< the warpgroup, tid / 128
  Value warpInGroup; ///< q, the warp in the warpgroup
  /// The warpgroup, warp-uniform (for the descriptors) up to K = 128.
  Value uniformGroup;
  Value tidInGroup; ///< tid % 128
  Value g, c2;      ///< lane / 4 and 2 (lane % 4)
  Value zero;       ///< f32 0
  Value T;          ///< ops.tokens, or shape.T as an index
  Value vLocal;     ///< this warp's first value column within the slice
  Value vGlobal0;   ///< this warp's first value column of V

  // The block's extent (emitBlockExtent).
  Value first, end; ///< its chunks' rows [first, end)
  Value vColumn0;   ///< its slice's first value column

  // Shared memory (emitSharedAddresses).
  Value qAddr, kAddr, vAddr, sAddr; ///< byte addresses of Qs, Ks, Vs, Ss
  Value region; ///< element offset of this warpgroup's region of Ss
};

} // namespace

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

// Element offset of (r, e) in a core-matrix tile of `columns` columns,
// from the row's and the column's 8-groups and their places in them (the
// stores below know them without dividing).
Value WarpgroupChunkKernel::coreMatrixAt(Value rowGroup, Value columnGroup,
                                         Value rowInGroup, Value columnInGroup,
                                         int64_t columns) {
  Value matrix = e.addi(mul(rowGroup, columns / 8), columnGroup);
  Value matrixAt = mul(matrix, 64);
  Value inMatrix = e.addi(mul(rowInGroup, 8), columnInGroup);
  return e.addi(matrixAt, inMatrix);
}

// Element offset, in a core-matrix tile of `columns` columns, of this
// thread's pair of accumulators 2 half, 2 half + 1 of 8-column tile t: row
// 16 q + g + 8 half, columns 8t + 2c, +1.
Value WarpgroupChunkKernel::accumulatorPairAt(int64_t t, int64_t half,
                                              int64_t columns) {
  Value warpRowGroup = mul(warpInGroup, 2);
  Value rowGroup = e.addi(warpRowGroup, e.idx(half));
  Value columnGroup = e.idx(t);
  return coreMatrixAt(rowGroup, columnGroup, g, c2, columns);
}

// Element offset of 16-byte run `piece` (8 elements) of row r in a
// 128-byte-swizzled tile of C rows (WarpgroupMma.h): blocks of 64
// columns, each C rows of 64 elements, run c of row r at c ^ (r % 8).
Value WarpgroupChunkKernel::swizzledAt(Value r, Value piece) {
  Value runInRow = rem(piece, 8);
  Value rowInAtom = rem(r, 8);
  Value run = arith::XOrIOp::create(b, loc, runInRow, rowInAtom);
  Value blockAt = mul(div(piece, 8), C * 64);
  Value rowAt = mul(r, 64);
  Value rowStart = e.addi(blockAt, rowAt);
  Value runAt = mul(run, 8);
  return e.addi(rowStart, runAt);
}

//===----------------------------------------------------------------------===//
// Setup
//===----------------------------------------------------------------------===//

void WarpgroupChunkKernel::emitThreadIndices() {
  lane = rem(ops.tid, 32);
  Value warp = div(ops.tid, 32);
  group = div(ops.tid, 128);
  warpInGroup = rem(warp, 4);
  // The warpgroup as a warp-uniform value for the descriptors, which then
  // stay in uniform registers, up to K = 128; at K = 256 ptxas spills 64
  // bytes more with it (docs/gpu-codegen.md, the wgmma kernel's steps).
  uniformGroup = K <= 128 ? warpUniform(e, group) : group;
  tidInGroup = rem(ops.tid, 128);
  f.lane16 = rem(lane, 16);
  f.hi8 = mul(div(lane, 16), 8);
  f.lane8 = rem(lane, 8);
  f.mid8 = mul(rem(div(lane, 8), 2), 8);
  g = div(lane, 4);
  c2 = mul(rem(lane, 4), 2);
  zero = e.f32(0);
  T = ops.tokens ? ops.tokens : e.idx(shape.T);
  // This warp's 16 value columns (rows of S^T and O^T) within the slice.
  Value groupColumn0 = mul(group, 64);
  Value warpColumn0 = mul(warpInGroup, 16);
  vLocal = e.addi(groupColumn0, warpColumn0);
  vGlobal0 = e.addi(mul(ops.slice, Vb), vLocal);
}

void WarpgroupChunkKernel::emitDecayTable() {
  // gamma^e for e = -C .. C (0 for e < 0) at table[e + C]: decay factors
  // are one shared-memory load each instead of an exp2, at an address
  // linear in e (no clamp: the compiler folds each factor's offset).
  forEachPiece(
      e, ops.tid, threads, kWarpgroupDecayTable, [&](Value i, int64_t) {
        Value exponent = add(i, -C);
        Value one = e.f32(1);
        Value x = e.power(exponent, ops.log2g, one);
        memref::StoreOp::create(b, loc, x, ops.decayTable, ValueRange{i});
      });
}

// gamma^e (e an index, at least -C and at most C).
Value WarpgroupChunkKernel::gammaPower(Value exponent) {
  return memref::LoadOp::create(b, loc, ops.decayTable,
                                ValueRange{add(exponent, C)})
      .getResult();
}

// The index of initial-state element (k, j) in `buf`: s0 [B][H][K][V], or
// the workspace slot of this block's segment's initial state.
SmallVector<Value, 5> WarpgroupChunkKernel::stateIndex(Value buf, Value k,
                                                       Value j) {
  if (buf == ops.workspace)
    return {ops.batch, ops.head, mul(ops.segment, plan.statesSplit), k, j};
  return {ops.batch, ops.head, k, j};
}

// The initial state S^T: s0 (or zero) for the whole sequence, the scan's
// result for a segment. Columns past V read a clamped element and are
// zeroed.
SmallVector<Value> WarpgroupChunkKernel::loadInitialState() {
  Value initial = part == ChunkwiseMmaPart::Whole ? ops.s0 : ops.workspace;
  SmallVector<Value> init;
  for (int64_t t = 0; t < K / 8; ++t)
    for (int64_t x = 0; x < 4; ++x) {
      if (!initial) {
        init.push_back(zero);
        continue;
      }
      Value j = e.addi(vGlobal0, accRow(x));
      Value inside = e.lt(j, e.idx(V));
      Value k = accCol(t, x);
      Value jInside = e.select(inside, j, e.idx(0));
      Value s = e.load(initial, stateIndex(initial, k, jInside));
      init.push_back(e.select(inside, s, zero));
    }
  return init;
}

void WarpgroupChunkKernel::emitBlockExtent() {
  // The chunks: all of them, or this block's segment's.
  first = e.idx(0);
  end = T;
  if (part == ChunkwiseMmaPart::SegmentOutputs) {
    first = mul(ops.segment, plan.segmentLength);
    end = e.mini(T, add(first, plan.segmentLength));
  }
  vColumn0 = mul(ops.slice, Vb);
}

void WarpgroupChunkKernel::emitSharedAddresses() {
  qAddr = sharedByteAddress(e, ops.Qs);
  kAddr = sharedByteAddress(e, ops.Ks);
  vAddr = sharedByteAddress(e, ops.Vs);
  sAddr = sharedByteAddress(e, ops.Ss);
  // This warpgroup's region of Ss: S^T rounded (64 rows, K columns, core
  // matrices) for S^T Q^T; then its columns of the score tile at
  // scoreOffset and O^T's rows of o (64 + 8 a row) at 0.
  region = mul(group, warpgroupRegionElements(K));
}

//===----------------------------------------------------------------------===//
// Staging copies
//===----------------------------------------------------------------------===//

// Rows of chunk c0 below T: C, fewer for the last chunk.
Value WarpgroupChunkKernel::rowsOfChunk(Value c0) {
  Value chunkRows = e.idx(C);
  Value rowsLeft = e.subi(T, c0);
  return e.mini(chunkRows, rowsLeft);
}

// The staging buffer of chunk c0.
Value WarpgroupChunkKernel::stageOf(Value c0) {
  return stages == 1 ? e.idx(0) : rem(div(e.subi(c0, first), C), stages);
}

// Copies of chunk c0's rows into 128-byte-swizzled tiles: piece p =
// (row, 16-byte column), so that a warp reads whole rows (every sector
// once) and each eight of its lanes fill one 128-byte row of shared
// memory (no bank conflicts). Rows past count and columns past `limit`
// are zero-filled (copies of no source bytes, the source clamped into
// the buffer). The copies are unrolled over the block's threads; inside
// the chunk loop `tid` is an opaque copy, since hoisted, the copies'
// per-thread offsets would hold dozens of 64-bit registers.
// With `whole` (a chunk of C rows, columns all inside) the copies take
// neither clamps nor zero-fill: a few instructions fewer each.
void WarpgroupChunkKernel::copyRowsSwizzled(Value tid, Value src, Value dst,
                                            Value stage, int64_t width,
                                            Value col0, int64_t limit, Value c0,
                                            Value count, bool whole) {
  const int64_t perRow = width / 8;
  forEachPiece(e, tid, threads, C * perRow, [&](Value p, int64_t) {
    Value n = div(p, perRow), piece = rem(p, perRow);
    Value stageAt = mul(stage, C * width);
    Value pieceAt = swizzledAt(n, piece);
    Value at = e.addi(stageAt, pieceAt);
    Value col = e.addi(col0, mul(piece, 8));
    if (whole)
      copyInsidePiece(e, src, dst, {at}, ops.batch, ops.head, e.addi(c0, n),
                      col);
    else
      copyRowPiece(e, src, dst, {at}, ops.batch, ops.head, shape.T, c0, n,
                   count, col, limit);
  });
}

// Chunk c0's copies of q, k and v into its stage.
void WarpgroupChunkKernel::issueCopies(Value tid, Value c0, bool whole) {
  Value count = rowsOfChunk(c0);
  Value stage = stageOf(c0);
  copyRowsSwizzled(tid, ops.q, ops.Qs, stage, Kp, e.idx(0), K, c0, count,
                   whole);
  copyRowsSwizzled(tid, ops.k, ops.Ks, stage, Kp, e.idx(0), K, c0, count,
                   whole);
  copyRowsSwizzled(tid, ops.v, ops.Vs, stage, Vb, vColumn0, V, c0, count,
                   whole);
}

// Chunk c0's copies; those of a whole chunk without clamps or zero-fill
// where the columns are all inside.
void WarpgroupChunkKernel::issueChunkCopies(Value tid, Value c0) {
  if (!columnsInside) {
    issueCopies(tid, c0, /*whole=*/false);
    return;
  }
  auto ifOp = scf::IfOp::create(b, loc, e.lt(add(c0, C - 1), T),
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  issueCopies(tid, c0, /*whole=*/true);
  b.setInsertionPointToStart(&ifOp.getElseRegion().front());
  issueCopies(tid, c0, /*whole=*/false);
}

// With N stages, the copies of the first N - 1 chunks before the loop, a
// commit group each (empty for a chunk past the end).
void WarpgroupChunkKernel::issueFirstChunks() {
  for (int64_t i = 0; i + 1 < stages; ++i) {
    if (i == 0) {
      issueChunkCopies(ops.tid, first);
    } else {
      Value ci = add(first, i * C);
      e.ifThen(e.lt(ci, end), [&] { issueChunkCopies(ops.tid, ci); });
    }
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
  }
}

//===----------------------------------------------------------------------===//
// The chunk loop
//===----------------------------------------------------------------------===//

// The loop over the chunks, S^T (K / 2 accumulators a thread) carried.
scf::ForOp WarpgroupChunkKernel::emitChunkLoop(ValueRange init) {
  return scf::ForOp::create(
      b, loc, first, end, e.idx(C), init,
      [&](OpBuilder &nb, Location, Value c0, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> S = emitChunk(c0, carried);
        scf::YieldOp::create(b, loc, S);
      });
}

// One chunk, steps 1 to 7; returns S^T after it.
SmallVector<Value> WarpgroupChunkKernel::emitChunk(Value c0,
                                                   ValueRange carried) {
  SmallVector<Value> S(carried.begin(), carried.end());
  Chunk chunk = waitForChunk(c0);
  storeRoundedState(S);
  issueNextChunkCopies(c0);
  // Every warp's part of S^T in shared memory before the warpgroup's
  // wgmmas read it.
  if (stateInShared)
    namedBarrier(e, add(group, 1), 128);
  QueryProducts products = emitQueryGroup(S, chunk.qkStage);
  storeScoreTile(products.P, products.n0);
  Value nonFinite = emitValueGroups(products.O, S, chunk);
  storeOutputTile(products.O);
  // The tile is complete; and whether the warpgroup's V held an Inf or NaN.
  Value anyNonFinite = namedBarrierAny(e, add(group, 1), 128, nonFinite);
  storeOutputRows(chunk);
  // 7. The state update is done.
  wgmmaWait(e, 0);
  S = fenceOperands(e, S);
  addNonFiniteDiagonalTerms(chunk, anyNonFinite);
  return S;
}

WarpgroupChunkKernel::Chunk WarpgroupChunkKernel::waitForChunk(Value c0) {
  Value count = rowsOfChunk(c0);
  // 1. Staging: wait for this chunk's copies, publish them to the
  // async proxy (wgmma reads through it); then reuse the buffer the
  // previous chunk is done with.
  if (stages >= 2) {
    NVVM::CpAsyncWaitGroupOp::create(b, loc, stages - 2);
    fenceProxyAsyncShared(e);
    gpu::BarrierOp::create(b, loc);
  } else {
    gpu::BarrierOp::create(b, loc);
    issueChunkCopies(opaqueIndex(e, ops.tid), c0);
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
    NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
    fenceProxyAsyncShared(e);
    gpu::BarrierOp::create(b, loc);
  }
  Value stage = stageOf(c0);
  Value qkStage = mul(stage, qkStageBytes);
  Value vStage = mul(stage, vStageBytes);
  return {c0, count, qkStage, vStage};
}

// S^T's accumulators 2 half, 2 half + 1 of 8-column tile t (row g + 8 half,
// columns 8t + 2c, +1 of the warp's 16 rows) as a pair of the input type.
Value WarpgroupChunkKernel::statePair(ArrayRef<Value> S, int64_t t,
                                      int64_t half) {
  return f.pair(S[4 * t + 2 * half], S[4 * t + 2 * half + 1], elt);
}

void WarpgroupChunkKernel::storeRoundedState(ArrayRef<Value> S) {
  // 2. S^T rounded to the input type (as flash-linear-attention's
  // h.to(q.dtype)): row g + 8 half, columns 8t + 2c, +1 of the warp's
  // 16 rows, as a pair. No wgmma is in flight while the state is
  // read: ptxas makes a thread that reads a register some wgmma wrote
  // wait for every wgmma in flight. Past its first registerSteps
  // k-steps it goes into this warpgroup's region, K-major: each warp
  // instruction fills one core matrix.
  for (int64_t t = 2 * registerSteps; t < K / 8; ++t)
    for (int64_t half = 0; half < 2; ++half) {
      Value at = e.addi(region, accumulatorPairAt(t, half, K));
      storeVector(e, statePair(S, t, half), ops.Ss, {at});
    }
  if (stateInShared)
    fenceProxyAsyncShared(e);
}

void WarpgroupChunkKernel::issueNextChunkCopies(Value c0) {
  // With N >= 2 stages, chunk c0 + (N-1) C's copies, into the buffer
  // chunk c0 - C is done with, where only S^T is live.
  if (stages < 2)
    return;
  Value next = add(c0, (stages - 1) * C);
  e.ifThen(e.lt(next, end),
           [&] { issueChunkCopies(opaqueIndex(e, ops.tid), next); });
  NVVM::CpAsyncCommitGroupOp::create(b, loc);
}

WarpgroupChunkKernel::QueryProducts
WarpgroupChunkKernel::emitQueryGroup(ArrayRef<Value> S, Value qkStage) {
  // 3. P = Q K^T (warpgroup w: columns w * scoreColumns..; A = Qs,
  // B = Ks rows, both K-major) and O^T = S^T Q^T (A = this
  // warpgroup's S^T, B = Qs), one group.
  Value qBase = wgmmaDescriptor(e, qAddr, qkStage, 16, 1024,
                                /*swizzle128=*/true);
  Value n0 = mul(uniformGroup, scoreColumns);
  Value kRows = wgmmaDescriptor(
      e, kAddr, e.addi(qkStage, mul(div(n0, 8), 1024)), 16, 1024,
      /*swizzle128=*/true);
  Value sBase = wgmmaDescriptor(
      e, sAddr, mul(uniformGroup, 2 * warpgroupRegionElements(K)), 128,
      sGroupBytes);
  // The first registerSteps k-steps of S^T Q^T take S^T as register
  // A: its words, written before the fence (ptxas serializes wgmmas
  // whose register A is written after it).
  SmallVector<SmallVector<Value>> stateWords(registerSteps);
  for (int64_t ks = 0; ks < registerSteps; ++ks)
    for (int64_t t = 2 * ks; t < 2 * ks + 2; ++t)
      for (int64_t half = 0; half < 2; ++half)
        stateWords[ks].push_back(f.word(statePair(S, t, half)));
  wgmmaFence(e);
  SmallVector<Value> P = accumulatorsUndefined(e, scoreColumns / 2);
  SmallVector<Value> O = accumulatorsUndefined(e, C / 2);
  for (int64_t ks = 0; ks < kSteps; ++ks) {
    Value qStep = descriptorPlus(e, qBase, kStepBytes(ks));
    Value kStep = descriptorPlus(e, kRows, kStepBytes(ks));
    P = wgmma(e, elt, P, {}, qStep, kStep, /*transB=*/false,
              /*accumulate=*/ks > 0);
    if (ks < registerSteps) {
      Value qColumns = descriptorPlus(e, qBase, kStepBytes(ks));
      O = wgmma(e, elt, O, stateWords[ks], {}, qColumns, /*transB=*/false,
                /*accumulate=*/ks > 0);
    } else {
      Value sStep = descriptorPlus(e, sBase, 256 * ks);
      Value qColumns = descriptorPlus(e, qBase, kStepBytes(ks));
      O = wgmma(e, elt, O, {}, sStep, qColumns, /*transB=*/false,
                /*accumulate=*/ks > 0);
    }
  }
  wgmmaCommit(e);
  wgmmaWait(e, 0);
  SmallVector<Value> all(P);
  all.append(O);
  all = fenceOperands(e, all);
  QueryProducts products;
  products.P.assign(all.begin(), all.begin() + P.size());
  products.O.assign(all.begin() + P.size(), all.end());
  products.n0 = n0;
  return products;
}

void WarpgroupChunkKernel::storeScoreTile(ArrayRef<Value> P, Value n0) {
  // 4. This warpgroup's columns of the score tile, s gamma^(n-m) P
  // (0 above the diagonal), into its region past the output rows:
  // rows n, K-major along m (its S^T is read).
  Value pHalf = add(region, scoreOffset);
  for (int64_t t = 0; t < scoreColumns / 8; ++t)
    for (int64_t half = 0; half < 2; ++half) {
      Value warpRow0 = mul(warpInGroup, 16);
      Value n = e.addi(warpRow0, accRow(2 * half));
      Value dist = e.subi(n, e.addi(n0, accCol(t, 0)));
      Value distNext = add(dist, -1);
      Value x =
          e.mulf(P[4 * t + 2 * half], e.mulf(gammaPower(dist), ops.scale));
      Value y = e.mulf(P[4 * t + 2 * half + 1],
                       e.mulf(gammaPower(distNext), ops.scale));
      // Above the diagonal the 0 is selected, not multiplied: q k^T there
      // may be Inf or NaN (a future key's), and 0 * Inf is NaN.
      x = e.select(e.le(e.idx(0), dist), x, zero);
      y = e.select(e.le(e.idx(0), distNext), y, zero);
      // Row n = 16 q + g + 8 half, column 8t + 2c of the half.
      Value at = e.addi(pHalf, accumulatorPairAt(t, half, scoreColumns));
      storeVector(e, f.pair(x, y, elt), ops.Ss, {at});
    }
  fenceProxyAsyncShared(e);
  gpu::BarrierOp::create(b, loc);
}

Value WarpgroupChunkKernel::emitValueGroups(SmallVector<Value> &O,
                                            SmallVector<Value> &S,
                                            const Chunk &chunk) {
  // 5. O^T columns n scaled by xi_n = s gamma^(n+1), then O^T +=
  // V^T P^T (A = V^T's words, ldmatrix.trans of this warpgroup's 64 value
  // columns of Vs, with every Inf or NaN as 0, whose terms are added at
  // the end of the chunk; B = the warpgroups' halves of P, K-major along
  // m), waited for; then S^T = gamma^count S^T + (V .* zeta)^T K (A = V^T's words,
  // ldmatrix.trans of Vs again, scaled by zeta_m = gamma^(count-1-m); B =
  // Ks MN-major, in pieces of at most 128 columns), a group of its own
  // that runs under the output below.
  scaleOutputColumns(O);
  Value decay = gammaPower(chunk.count);
  for (Value &s : S)
    s = e.mulf(s, decay);
  // The outputs' group first, waited for before the state update's A
  // words are made, so that the cleaned words and the scaled ones are
  // never live together. (Restricting each k-step to the columns at or
  // past its diagonal block instead, with sub-ranges of O^T's
  // accumulators, made ptxas serialize every wgmma, C7511: RetNet-1.3B
  // heads 1.74 -> 2.64x the floor.)
  Value nonFinite;
  SmallVector<SmallVector<Value>> finite = finiteValueWords(chunk, nonFinite);
  wgmmaFence(e);
  emitOutputsGroup(O, finite);
  wgmmaWait(e, 0);
  O = fenceOperands(e, O);
  SmallVector<SmallVector<Value>> scaled = zetaScaledValueWords(chunk);
  Value kColumns = wgmmaDescriptor(e, kAddr, chunk.qkStage, blockBytes, 1024,
                                   /*swizzle128=*/true);
  wgmmaFence(e);
  emitStateUpdateGroup(S, scaled, kColumns);
  return nonFinite;
}

// The terms of the Inf and NaN values of V that O^T += V^T P^T took as 0
// (step 5), added to the rows of o that storeOutputRows wrote, by the
// thread that wrote each (so after its own store): o[n][j] = tile[n][j] +
// P[n][m] V[m][j] summed over the chunk's m <= n where V[m][j] is not
// finite (an Inf or NaN, so the tile's rounding does not matter). Rare (`nonFinite`: the warpgroup's V held such
// a value), and at the end of the chunk, where no wgmma holds registers;
// the thread's place is computed anew from an opaque copy of the thread
// index, so that none of this path is hoisted out of the chunk loop. The
// tile, P and this chunk's V stay in shared memory until the next chunk's
// first barrier.
void WarpgroupChunkKernel::addNonFiniteDiagonalTerms(const Chunk &chunk,
                                                     Value nonFinite) {
  e.ifThen(nonFinite, [&] {
    Value tid = opaqueIndex(e, ops.tid);
    Value myGroup = div(tid, 128), inGroup = rem(tid, 128);
    Value myRegion = mul(myGroup, warpgroupRegionElements(K));
    Value stageAt = div(chunk.vStage, 2);
    // storeOutputRows's pieces of this thread, 8 columns each.
    Value columns = e.idx(C * 8 / 128 * 8), step = e.idx(1);
    e.loop(e.idx(0), columns, step, [&](Value entry) {
      Value p = e.addi(inGroup, mul(div(entry, 8), 128));
      Value n = div(p, 8);
      Value col = e.addi(mul(rem(p, 8), 8), rem(entry, 8));
      Value j = e.addi(mul(myGroup, 64), col); // in the slice
      Value jGlobal = e.addi(vColumn0, j);
      Value inside = e.andi(e.lt(n, chunk.count), e.lt(jGlobal, e.idx(V)));
      e.ifThen(inside, [&] {
        Value first = e.idx(0), keysEnd = add(n, 1);
        Value missing = e.sum(first, keysEnd, zero, [&](Value m, Value sum) {
          // P's column m is in warpgroup m / scoreColumns's region.
          Value owner = div(m, scoreColumns);
          Value ownerColumn0 = mul(owner, scoreColumns);
          Value ownerRegion = mul(owner, warpgroupRegionElements(K));
          Value scoresAt = add(ownerRegion, scoreOffset);
          Value piece = div(j, 8);
          Value vAt =
              e.addi(stageAt, e.addi(swizzledAt(m, piece), rem(j, 8)));
          Value v = memref::LoadOp::create(b, loc, ops.Vs, ValueRange{vAt});
          Value column = e.subi(m, ownerColumn0);
          Value pAt = e.addi(scoresAt,
                             coreMatrixAt(div(n, 8), div(column, 8), rem(n, 8),
                                          rem(column, 8), scoreColumns));
          Value score = e.load(ops.Ss, {pAt});
          Value vf = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
          Value term = e.mulf(score, vf);
          Value kept = e.select(f.isNonFinite(v), term, zero);
          return e.addf(sum, kept);
        });
        // Only where some term was dropped: the sum is then not 0.
        Value dropped = arith::CmpFOp::create(
            b, loc, arith::CmpFPredicate::UNE, missing, zero);
        e.ifThen(dropped, [&] {
          Value tileAt = e.addi(myRegion, e.addi(mul(n, outRow), col));
          Value stored = e.load(ops.Ss, {tileAt});
          Value token = e.addi(chunk.c0, n);
          e.store(e.addf(stored, missing), ops.o,
                  {ops.batch, token, ops.head, jGlobal});
        });
      });
    });
  });
}

// O^T's columns n times xi_n = s gamma^(n+1).
void WarpgroupChunkKernel::scaleOutputColumns(MutableArrayRef<Value> O) {
  for (int64_t t = 0; t < C / 8; ++t)
    for (int64_t x = 0; x < 2; ++x) {
      Value xi = e.mulf(gammaPower(add(accCol(t, x), 1)), ops.scale);
      O[4 * t + x] = e.mulf(O[4 * t + x], xi);
      O[4 * t + x + 2] = e.mulf(O[4 * t + x + 2], xi);
    }
}

// V^T's A fragment of k-step ms (rows 16 ms.. of the chunk): ldmatrix.trans
// of this warp's 16 value columns of Vs.
Value WarpgroupChunkKernel::valueFragment(const Chunk &chunk, int64_t ms) {
  Value stepRow0 = e.idx(16 * ms);
  Value rowInStep = e.addi(f.lane8, f.hi8);
  Value row = e.addi(stepRow0, rowInStep);
  Value stageAt = div(chunk.vStage, 2);
  Value piece = div(e.addi(vLocal, f.mid8), 8);
  Value at = e.addi(stageAt, swizzledAt(row, piece));
  return nvgpu::LdMatrixOp::create(b, loc, VectorType::get({4, 2}, elt),
                                   ops.Vs, ValueRange{at},
                                   /*transpose=*/true, /*numTiles=*/4);
}

// V^T's A words, a k-step each, with every Inf or NaN as 0 (the diagonal
// blocks of O^T += V^T P^T); `nonFinite` tells whether the thread's words
// held any.
SmallVector<SmallVector<Value>>
WarpgroupChunkKernel::finiteValueWords(const Chunk &chunk, Value &nonFinite) {
  SmallVector<SmallVector<Value>> finite(cSteps);
  Value bitsSeen = f.i32(0);
  for (int64_t ms = 0; ms < cSteps; ++ms) {
    Value frag = valueFragment(chunk, ms);
    for (int64_t r = 0; r < 4; ++r) {
      Value pair = vector::ExtractOp::create(b, loc, frag, r);
      Value word = f.word(pair);
      Value bits = f.nonFiniteBits(word);
      bitsSeen = arith::OrIOp::create(b, loc, bitsSeen, bits);
      finite[ms].push_back(f.finiteOnly(word, bits));
    }
  }
  nonFinite = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                    bitsSeen, f.i32(0));
  return finite;
}

// The A words of the state update, a k-step (16 rows of the chunk) each:
// V^T's fragment with row m scaled by zeta_m = gamma^(count-1-m) and
// rounded.
SmallVector<SmallVector<Value>>
WarpgroupChunkKernel::zetaScaledValueWords(const Chunk &chunk) {
  auto f32x2 = VectorType::get({2}, b.getF32Type());
  SmallVector<SmallVector<Value>> scaled(cSteps);
  for (int64_t ms = 0; ms < cSteps; ++ms) {
    Value frag = valueFragment(chunk, ms);
    for (int64_t r = 0; r < 4; ++r) {
      Value pair = vector::ExtractOp::create(b, loc, frag, r);
      Value m = e.addi(c2, e.idx(16 * ms + 8 * (r / 2)));
      Value toEnd = e.subi(add(chunk.count, -1), m);
      Value zeta = gammaPower(toEnd);
      Value zetaNext = gammaPower(add(toEnd, -1));
      Value z = vector::FromElementsOp::create(b, loc, f32x2,
                                               ValueRange{zeta, zetaNext});
      Value x = e.mulf(arith::ExtFOp::create(b, loc, f32x2, pair), z);
      scaled[ms].push_back(f.word(
          arith::TruncFOp::create(b, loc, VectorType::get({2}, elt), x)));
    }
  }
  return scaled;
}

// The descriptor of P^T's k-step ms (rows 16 ms.. of P^T, all C columns):
// in warpgroup 16 ms / scoreColumns's half.
Value WarpgroupChunkKernel::scoreColumnsAt(int64_t ms) {
  const int64_t owner = 16 * ms / scoreColumns;
  const int64_t within = 16 * ms % scoreColumns;
  return wgmmaDescriptor(
      e, sAddr,
      e.idx(2 * (owner * warpgroupRegionElements(K) + scoreOffset) +
            within / 8 * 128),
      128, scoreColumns * 16);
}

// O^T += V^T P^T, one group, A = `finite`: V^T's words with every Inf or
// NaN as 0 (P is 0 above the diagonal, and 0 * Inf is NaN; the dropped
// terms of m <= n are added at the end of the chunk).
void WarpgroupChunkKernel::emitOutputsGroup(
    SmallVector<Value> &O, ArrayRef<SmallVector<Value>> finite) {
  for (int64_t ms = 0; ms < cSteps; ++ms) {
    Value pDesc = scoreColumnsAt(ms);
    O = wgmma(e, elt, O, finite[ms], {}, pDesc, /*transB=*/false);
  }
  wgmmaCommit(e);
}

// S^T += (V .* zeta)^T K, one group, in pieces of at most 128 columns.
void WarpgroupChunkKernel::emitStateUpdateGroup(
    MutableArrayRef<Value> S, ArrayRef<SmallVector<Value>> scaled,
    Value kColumns) {
  for (int64_t ms = 0; ms < cSteps; ++ms)
    for (int64_t k0 = 0; k0 < K; k0 += 128) {
      const int64_t width = std::min<int64_t>(128, K - k0);
      SmallVector<Value> piece(S.begin() + k0 / 2,
                               S.begin() + (k0 + width) / 2);
      Value kStep =
          descriptorPlus(e, kColumns, 2048 * ms + k0 / 64 * blockBytes);
      piece = wgmma(e, elt, piece, scaled[ms], {}, kStep, /*transB=*/true);
      std::copy(piece.begin(), piece.end(), S.begin() + k0 / 2);
    }
  wgmmaCommit(e);
}

void WarpgroupChunkKernel::storeOutputTile(ArrayRef<Value> O) {
  // 6. O^T to this warpgroup's region transposed (stmatrix.trans:
  // matrix i of lane 8i + r is value half i % 2 of 8-column tile
  // t + i / 2; its row r is token row 8 (t + i / 2) + r), rows of 64
  // value columns + 8, then as 16-byte pieces of o's rows below count.
  Value matrix = div(lane, 8), rowInMatrix = rem(lane, 8);
  for (int64_t t = 0; t < C / 8; t += 2) {
    SmallVector<Value> words;
    for (int64_t i = 0; i < 4; ++i) {
      const Value *acc = &O[4 * (t + i / 2) + 2 * (i % 2)];
      words.push_back(packedWord(acc[0], acc[1]));
    }
    Value matrixRow = e.addi(mul(div(matrix, 2), 8), rowInMatrix);
    Value tileRow0 = e.idx(8 * t);
    Value n = e.addi(matrixRow, tileRow0);
    Value warpColumn0 = mul(warpInGroup, 16);
    Value halfColumn0 = mul(rem(matrix, 2), 8);
    Value col = e.addi(warpColumn0, halfColumn0);
    Value byte = mul(e.addi(region, e.addi(mul(n, outRow), col)), 2);
    Value byte64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), byte);
    Value address = arith::AddIOp::create(b, loc, sAddr, byte64);
    stmatrixTransposed(e, address, words);
  }
}

// The rows of O^T's tile below count to o, 16 bytes a thread at a time.
void WarpgroupChunkKernel::storeOutputRows(const Chunk &chunk) {
  auto vec8 = VectorType::get({8}, elt);
  for (int64_t i = 0; i < C * 8 / 128; ++i) {
    Value p = add(tidInGroup, 128 * i);
    Value n = div(p, 8), col = mul(rem(p, 8), 8);
    Value j = e.addi(vColumn0, e.addi(mul(group, 64), col));
    Value rowInside = e.lt(n, chunk.count);
    Value columnInside = e.lt(j, e.idx(V));
    e.ifThen(e.andi(rowInside, columnInside), [&] {
      Value row = e.addi(region, e.addi(mul(n, outRow), col));
      Value x = loadVector(e, vec8, ops.Ss, {row});
      Value t = e.addi(chunk.c0, n);
      storeVector(e, x, ops.o, {ops.batch, t, ops.head, j});
    });
  }
}

//===----------------------------------------------------------------------===//
// After the chunk loop
//===----------------------------------------------------------------------===//

// The final state, f32 [K][V]: transposed back from S^T.
void WarpgroupChunkKernel::storeFinalState(ValueRange S) {
  for (int64_t t = 0; t < K / 8; ++t)
    for (int64_t x = 0; x < 4; ++x) {
      Value j = e.addi(vGlobal0, accRow(x));
      Value s = S[4 * t + x];
      e.ifThen(e.lt(j, e.idx(V)), [&] {
        e.store(s, ops.state, {ops.batch, ops.head, accCol(t, x), j});
      });
    }
}

// With segments only the last segment's block writes the final state.
void WarpgroupChunkKernel::emitFinalState(ValueRange S) {
  if (part != ChunkwiseMmaPart::SegmentOutputs) {
    storeFinalState(S);
    return;
  }
  Value lastSegment = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq, ops.segment, e.idx(plan.segments - 1));
  e.ifThen(lastSegment, [&] { storeFinalState(S); });
}

void WarpgroupChunkKernel::emit() {
  emitThreadIndices();
  emitDecayTable();
  SmallVector<Value> init = loadInitialState();
  emitBlockExtent();
  issueFirstChunks();
  emitSharedAddresses();
  scf::ForOp chunkLoop = emitChunkLoop(init);
  emitFinalState(chunkLoop.getResults());
}

void mlir::retention::emitChunkwiseWarpgroupMma(Emitter &e,
                                                const RetentionShape &shape,
                                                const ChunkwiseMmaPlan &plan,
                                                const ChunkwiseMmaOperands &ops,
                                                ChunkwiseMmaPart part) {
  WarpgroupChunkKernel(e, shape, plan, ops, part).emit();
}
