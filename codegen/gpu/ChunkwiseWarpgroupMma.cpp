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

void mlir::retention::emitChunkwiseWarpgroupMma(Emitter &e,
                                                const RetentionShape &shape,
                                                const ChunkwiseMmaPlan &plan,
                                                const ChunkwiseMmaOperands &ops,
                                                ChunkwiseMmaPart part) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const int64_t C = plan.C, K = shape.K, V = shape.V, Vb = plan.vSlice;
  const int64_t Kp = warpgroupTileWidth(K); // staged columns of Qs and Ks
  const int64_t groups = Vb / 64, kSteps = K / 16, cSteps = C / 16;
  const int64_t stages = plan.stages, threads = plan.threads;
  const int64_t outRow = kWarpgroupOutputRow;
  Type elt = cast<MemRefType>(ops.Vs.getType()).getElementType();
  Type f32 = b.getF32Type();
  auto div = [&](Value x, int64_t d) {
    return arith::DivUIOp::create(b, loc, x, e.idx(d)).getResult();
  };
  auto rem = [&](Value x, int64_t d) {
    return arith::RemUIOp::create(b, loc, x, e.idx(d)).getResult();
  };
  auto mul = [&](Value x, int64_t m) { return e.muli(x, e.idx(m)); };
  auto add = [&](Value x, int64_t a) { return e.addi(x, e.idx(a)); };
  Value lane = rem(ops.tid, 32), warp = div(ops.tid, 32);
  Value group = div(ops.tid, 128), warpInGroup = rem(warp, 4);
  // The warpgroup as a warp-uniform value for the descriptors, which then
  // stay in uniform registers, up to K = 128 (H200, 8x4096: 1.23 -> 1.20x
  // the floor); at K = 256 ptxas spills 64 bytes more with it (RetNet-1.3B
  // heads: 2.45 -> 3.08x).
  Value uniformGroup = K <= 128 ? warpUniform(e, group) : group;
  Value tidInGroup = rem(ops.tid, 128);
  Fragments f{e,
              elt,
              rem(lane, 16),
              mul(div(lane, 16), 8),
              rem(lane, 8),
              mul(rem(div(lane, 8), 2), 8)};
  Value g = div(lane, 4), c2 = mul(rem(lane, 4), 2);
  Value zero = e.f32(0);
  Value T = e.idx(shape.T);
  // This warp's 16 value columns (rows of S^T and O^T) within the slice.
  Value vLocal = e.addi(mul(group, 64), mul(warpInGroup, 16));
  Value vGlobal0 = e.addi(mul(ops.slice, Vb), vLocal);
  auto accRow = [&](int64_t x) { return add(g, 8 * (x / 2)); };
  auto accCol = [&](int64_t t, int64_t x) {
    return add(c2, 8 * t + x % 2);
  };
  auto word = [&](Value x, Value y) { return f.word(f.pair(x, y, elt)); };
  // Element offset of (r, e) in a core-matrix tile of `columns` columns,
  // from the row's and the column's 8-groups and their places in them (the
  // stores below know them without dividing).
  auto coreMatrixAt = [&](Value rowGroup, Value columnGroup, Value rowInGroup,
                          Value columnInGroup, int64_t columns) {
    return e.addi(mul(e.addi(mul(rowGroup, columns / 8), columnGroup), 64),
                  e.addi(mul(rowInGroup, 8), columnInGroup));
  };
  // Element offset of 16-byte run `piece` (8 elements) of row r in a
  // 128-byte-swizzled tile of C rows (WarpgroupMma.h): blocks of 64
  // columns, each C rows of 64 elements, run c of row r at c ^ (r % 8).
  auto swizzledAt = [&](Value r, Value piece) {
    Value run = arith::XOrIOp::create(b, loc, rem(piece, 8), rem(r, 8));
    return e.addi(e.addi(mul(div(piece, 8), C * 64), mul(r, 64)),
                  mul(run, 8));
  };

  // gamma^e for e = -C .. C (0 for e < 0) at table[e + C]: decay factors
  // are one shared-memory load each instead of an exp2, at an address
  // linear in e (no clamp: the compiler folds each factor's offset).
  forEachPiece(e, ops.tid, threads, kWarpgroupDecayTable,
               [&](Value i, int64_t) {
                 Value x = e.power(add(i, -C), ops.log2g, e.f32(1));
                 memref::StoreOp::create(b, loc, x, ops.decayTable,
                                         ValueRange{i});
               });
  // gamma^e (e an index, at least -C and at most C).
  auto gammaPower = [&](Value exponent) -> Value {
    return memref::LoadOp::create(b, loc, ops.decayTable,
                                  ValueRange{add(exponent, C)})
        .getResult();
  };

  // The initial state S^T: s0 (or zero) for the whole sequence, the scan's
  // result for a segment. Columns past V read a clamped element and are
  // zeroed.
  Value initial = part == ChunkwiseMmaPart::Whole ? ops.s0 : ops.workspace;
  auto stateIndex = [&](Value buf, Value k, Value j) -> SmallVector<Value, 5> {
    if (buf == ops.workspace)
      return {ops.batch, ops.head, mul(ops.segment, plan.statesSplit), k, j};
    return {ops.batch, ops.head, k, j};
  };
  SmallVector<Value> init;
  for (int64_t t = 0; t < K / 8; ++t)
    for (int64_t x = 0; x < 4; ++x) {
      if (!initial) {
        init.push_back(zero);
        continue;
      }
      Value j = e.addi(vGlobal0, accRow(x));
      Value inside = e.lt(j, e.idx(V));
      Value s = e.load(initial, stateIndex(initial, accCol(t, x),
                                           e.select(inside, j, e.idx(0))));
      init.push_back(e.select(inside, s, zero));
    }

  // The chunks: all of them, or this block's segment's.
  Value first = e.idx(0), end = T;
  if (part == ChunkwiseMmaPart::SegmentOutputs) {
    first = mul(ops.segment, plan.segmentLength);
    end = e.mini(T, add(first, plan.segmentLength));
  }
  auto stageOf = [&](Value c0) {
    return stages == 1 ? e.idx(0) : rem(div(e.subi(c0, first), C), stages);
  };
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
  auto stageSwizzled = [&](Value tid, Value src, Value dst, Value stage,
                           int64_t width, Value col0, int64_t limit, Value c0,
                           Value count, bool whole) {
    const int64_t perRow = width / 8;
    forEachPiece(e, tid, threads, C * perRow, [&](Value p, int64_t) {
      Value n = div(p, perRow), piece = rem(p, perRow);
      Value at = e.addi(mul(stage, C * width), swizzledAt(n, piece));
      Value col = e.addi(col0, mul(piece, 8));
      if (whole)
        copyInsidePiece(e, src, dst, {at}, ops.batch, ops.head,
                        e.addi(c0, n), col);
      else
        copyRowPiece(e, src, dst, {at}, ops.batch, ops.head, shape.T, c0, n,
                     count, col, limit);
    });
  };
  Value vColumn0 = mul(ops.slice, Vb);
  // Every slice's value columns inside V, and K a whole number of blocks.
  const bool columnsInside = V % Vb == 0 && K == Kp;
  auto issueChunk = [&](Value tid, Value c0) {
    auto copies = [&](bool whole) {
      Value count = e.mini(e.idx(C), e.subi(T, c0));
      Value stage = stageOf(c0);
      stageSwizzled(tid, ops.q, ops.Qs, stage, Kp, e.idx(0), K, c0, count,
                    whole);
      stageSwizzled(tid, ops.k, ops.Ks, stage, Kp, e.idx(0), K, c0, count,
                    whole);
      stageSwizzled(tid, ops.v, ops.Vs, stage, Vb, vColumn0, V, c0, count,
                    whole);
    };
    if (!columnsInside) {
      copies(false);
      return;
    }
    auto ifOp = scf::IfOp::create(b, loc, e.lt(add(c0, C - 1), T),
                                  /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    copies(true);
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    copies(false);
  };
  for (int64_t i = 0; i + 1 < stages; ++i) {
    if (i == 0) {
      issueChunk(ops.tid, first);
    } else {
      Value ci = add(first, i * C);
      e.ifThen(e.lt(ci, end), [&] { issueChunk(ops.tid, ci); });
    }
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
  }

  Value qAddr = sharedByteAddress(e, ops.Qs);
  Value kAddr = sharedByteAddress(e, ops.Ks);
  Value vAddr = sharedByteAddress(e, ops.Vs);
  Value sAddr = sharedByteAddress(e, ops.Ss);
  // Bytes of one 8-row group of S^T's core matrices (K / 8 of them), of a
  // 64-column block of a swizzled tile, and of a stage of Qs/Ks and of Vs.
  const int64_t sGroupBytes = K * 16, blockBytes = C * 128;
  const int64_t qkStageBytes = C * Kp * 2, vStageBytes = C * Vb * 2;
  // k-steps of S^T Q^T whose A is S^T's words in registers, the rest
  // reading it rounded from shared memory: all of them up to K = 128 (no
  // store; H200, 8x4096: 1.32 -> 1.23x the floor), none at K = 256, where
  // the 64 more live registers spill (RetNet-1.3B heads: 2.56x with none,
  // 2.63x with 2, 3.03x with 4, 3.13x with 8).
  const int64_t registerSteps = K <= 128 ? kSteps : 0;
  // Where k-step ks (16 columns) of a K-major swizzled operand starts.
  auto kStepBytes = [&](int64_t ks) {
    return ks / 4 * blockBytes + ks % 4 * 32;
  };
  const int64_t scoreColumns = C / groups; // this warpgroup's columns of P
  // This warpgroup's region of Ss: S^T rounded (64 rows, K columns, core
  // matrices) for S^T Q^T; then its columns of the score tile at
  // scoreOffset and O^T's rows of o (64 + 8 a row) at 0.
  Value region = mul(group, warpgroupRegionElements(K));
  const int64_t scoreOffset = C * outRow;

  auto chunkLoop = scf::ForOp::create(
      b, loc, first, end, e.idx(C), init,
      [&](OpBuilder &nb, Location, Value c0, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> S(carried.begin(), carried.end());
        Value count = e.mini(e.idx(C), e.subi(T, c0));
        // 1. Staging: wait for this chunk's copies, publish them to the
        // async proxy (wgmma reads through it); then reuse the buffer the
        // previous chunk is done with.
        if (stages >= 2) {
          NVVM::CpAsyncWaitGroupOp::create(b, loc, stages - 2);
          fenceProxyAsyncShared(e);
          gpu::BarrierOp::create(b, loc);
        } else {
          gpu::BarrierOp::create(b, loc);
          issueChunk(opaqueIndex(e, ops.tid), c0);
          NVVM::CpAsyncCommitGroupOp::create(b, loc);
          NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
          fenceProxyAsyncShared(e);
          gpu::BarrierOp::create(b, loc);
        }
        Value stage = stageOf(c0);
        Value qkStage = mul(stage, qkStageBytes);
        Value vStage = mul(stage, vStageBytes);

        // 2. S^T rounded to the input type (as flash-linear-attention's
        // h.to(q.dtype)): row g + 8 half, columns 8t + 2c, +1 of the warp's
        // 16 rows, as a pair. No wgmma is in flight while the state is
        // read: ptxas makes a thread that reads a register some wgmma wrote
        // wait for every wgmma in flight. Past its first registerSteps
        // k-steps it goes into this warpgroup's region, K-major: each warp
        // instruction fills one core matrix.
        auto statePair = [&](int64_t t, int64_t half) {
          return f.pair(S[4 * t + 2 * half], S[4 * t + 2 * half + 1], elt);
        };
        const bool stateInShared = registerSteps < kSteps;
        for (int64_t t = 2 * registerSteps; t < K / 8; ++t)
          for (int64_t half = 0; half < 2; ++half) {
            Value at = e.addi(
                region, coreMatrixAt(e.addi(mul(warpInGroup, 2), e.idx(half)),
                                     e.idx(t), g, c2, K));
            storeVector(e, statePair(t, half), ops.Ss, {at});
          }
        if (stateInShared)
          fenceProxyAsyncShared(e);
        // With N >= 2 stages, chunk c0 + (N-1) C's copies, into the buffer
        // chunk c0 - C is done with, where only S^T is live.
        if (stages >= 2) {
          Value next = add(c0, (stages - 1) * C);
          e.ifThen(e.lt(next, end),
                   [&] { issueChunk(opaqueIndex(e, ops.tid), next); });
          NVVM::CpAsyncCommitGroupOp::create(b, loc);
        }
        if (stateInShared)
          namedBarrier(e, add(group, 1), 128);

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
              stateWords[ks].push_back(f.word(statePair(t, half)));
        wgmmaFence(e);
        SmallVector<Value> P = accumulatorsUndefined(e, scoreColumns / 2);
        SmallVector<Value> O = accumulatorsUndefined(e, C / 2);
        for (int64_t ks = 0; ks < kSteps; ++ks) {
          P = wgmma(e, elt, P, {}, descriptorPlus(e, qBase, kStepBytes(ks)),
                    descriptorPlus(e, kRows, kStepBytes(ks)), /*transB=*/false,
                    /*accumulate=*/ks > 0);
          O = ks < registerSteps
                  ? wgmma(e, elt, O, stateWords[ks], {},
                          descriptorPlus(e, qBase, kStepBytes(ks)),
                          /*transB=*/false, /*accumulate=*/ks > 0)
                  : wgmma(e, elt, O, {}, descriptorPlus(e, sBase, 256 * ks),
                          descriptorPlus(e, qBase, kStepBytes(ks)),
                          /*transB=*/false, /*accumulate=*/ks > 0);
        }
        wgmmaCommit(e);
        wgmmaWait(e, 0);
        {
          SmallVector<Value> all(P);
          all.append(O);
          all = fenceOperands(e, all);
          P.assign(all.begin(), all.begin() + P.size());
          O.assign(all.begin() + P.size(), all.end());
        }

        // 4. This warpgroup's columns of the score tile, s gamma^(n-m) P
        // (0 above the diagonal), into its region past the output rows:
        // rows n, K-major along m (its S^T is read).
        Value pHalf = add(region, scoreOffset);
        for (int64_t t = 0; t < scoreColumns / 8; ++t)
          for (int64_t half = 0; half < 2; ++half) {
            Value n = e.addi(mul(warpInGroup, 16), accRow(2 * half));
            Value dist = e.subi(n, e.addi(n0, accCol(t, 0)));
            Value x = e.mulf(P[4 * t + 2 * half],
                             e.mulf(gammaPower(dist), ops.scale));
            Value y = e.mulf(P[4 * t + 2 * half + 1],
                             e.mulf(gammaPower(add(dist, -1)), ops.scale));
            // Row n = 16 q + g + 8 half, column 8t + 2c of the half.
            Value at = e.addi(
                pHalf, coreMatrixAt(e.addi(mul(warpInGroup, 2), e.idx(half)),
                                    e.idx(t), g, c2, scoreColumns));
            storeVector(e, f.pair(x, y, elt), ops.Ss, {at});
          }
        fenceProxyAsyncShared(e);
        gpu::BarrierOp::create(b, loc);

        // 5. O^T columns n scaled by xi_n = s gamma^(n+1), then O^T +=
        // V^T P^T (A = Vs MN-major: this warpgroup's 64 value columns; B =
        // the warpgroups' halves of P, K-major along m); then S^T =
        // gamma^count S^T + (V .* zeta)^T K (A = V^T's words, ldmatrix.trans
        // of Vs, scaled by zeta_m = gamma^(count-1-m); B = Ks MN-major, in
        // pieces of at most 128 columns), a group of its own that runs
        // under the output below.
        for (int64_t t = 0; t < C / 8; ++t)
          for (int64_t x = 0; x < 2; ++x) {
            Value xi = e.mulf(gammaPower(add(accCol(t, x), 1)), ops.scale);
            O[4 * t + x] = e.mulf(O[4 * t + x], xi);
            O[4 * t + x + 2] = e.mulf(O[4 * t + x + 2], xi);
          }
        Value decay = gammaPower(count);
        for (Value &s : S)
          s = e.mulf(s, decay);
        auto f32x2 = VectorType::get({2}, f32);
        SmallVector<SmallVector<Value>> scaled(cSteps);
        for (int64_t ms = 0; ms < cSteps; ++ms) {
          Value row = e.addi(e.idx(16 * ms), e.addi(f.lane8, f.hi8));
          Value frag = nvgpu::LdMatrixOp::create(
              b, loc, VectorType::get({4, 2}, elt), ops.Vs,
              ValueRange{e.addi(div(vStage, 2),
                                swizzledAt(row, div(e.addi(vLocal, f.mid8),
                                                    8)))},
              /*transpose=*/true, /*numTiles=*/4);
          for (int64_t r = 0; r < 4; ++r) {
            Value pair = vector::ExtractOp::create(b, loc, frag, r);
            Value m = e.addi(c2, e.idx(16 * ms + 8 * (r / 2)));
            Value toEnd = e.subi(add(count, -1), m);
            Value z = vector::FromElementsOp::create(
                b, loc, f32x2,
                ValueRange{gammaPower(toEnd), gammaPower(add(toEnd, -1))});
            Value x = e.mulf(arith::ExtFOp::create(b, loc, f32x2, pair), z);
            scaled[ms].push_back(f.word(arith::TruncFOp::create(
                b, loc, VectorType::get({2}, elt), x)));
          }
        }
        Value vColumns =
            wgmmaDescriptor(e, vAddr,
                            e.addi(vStage, mul(uniformGroup, blockBytes)),
                            blockBytes, 1024, /*swizzle128=*/true);
        Value kColumns = wgmmaDescriptor(e, kAddr, qkStage, blockBytes, 1024,
                                         /*swizzle128=*/true);
        wgmmaFence(e);
        for (int64_t ms = 0; ms < cSteps; ++ms) {
          // k-step ms (rows 16 ms.. of P^T) lies in warpgroup
          // 16 ms / scoreColumns's half.
          const int64_t owner = 16 * ms / scoreColumns;
          const int64_t within = 16 * ms % scoreColumns;
          Value pDesc = wgmmaDescriptor(
              e, sAddr,
              e.idx(2 * (owner * warpgroupRegionElements(K) + scoreOffset) +
                    within / 8 * 128),
              128, scoreColumns * 16);
          O = wgmma(e, elt, O, {},
                    descriptorPlus(e, vColumns, 2048 * ms), pDesc,
                    /*transB=*/false, /*accumulate=*/true, /*transA=*/true);
        }
        wgmmaCommit(e);
        for (int64_t ms = 0; ms < cSteps; ++ms)
          for (int64_t k0 = 0; k0 < K; k0 += 128) {
            const int64_t width = std::min<int64_t>(128, K - k0);
            SmallVector<Value> piece(S.begin() + k0 / 2,
                                     S.begin() + (k0 + width) / 2);
            piece = wgmma(e, elt, piece, scaled[ms], {},
                          descriptorPlus(e, kColumns,
                                         2048 * ms + k0 / 64 * blockBytes),
                          /*transB=*/true);
            std::copy(piece.begin(), piece.end(), S.begin() + k0 / 2);
          }
        wgmmaCommit(e);
        wgmmaWait(e, 1);
        O = fenceOperands(e, O);

        // 6. O^T to this warpgroup's region transposed (stmatrix.trans:
        // matrix i of lane 8i + r is value half i % 2 of 8-column tile
        // t + i / 2; its row r is token row 8 (t + i / 2) + r), rows of 64
        // value columns + 8, then as 16-byte pieces of o's rows below count.
        Value matrix = div(lane, 8), rowInMatrix = rem(lane, 8);
        for (int64_t t = 0; t < C / 8; t += 2) {
          SmallVector<Value> words;
          for (int64_t i = 0; i < 4; ++i) {
            const Value *acc = &O[4 * (t + i / 2) + 2 * (i % 2)];
            words.push_back(word(acc[0], acc[1]));
          }
          Value n = e.addi(e.addi(mul(div(matrix, 2), 8), rowInMatrix),
                           e.idx(8 * t));
          Value col = e.addi(mul(warpInGroup, 16), mul(rem(matrix, 2), 8));
          Value byte = mul(e.addi(region, e.addi(mul(n, outRow), col)), 2);
          stmatrixTransposed(
              e,
              arith::AddIOp::create(
                  b, loc, sAddr,
                  arith::IndexCastOp::create(b, loc, b.getI64Type(), byte)),
              words);
        }
        namedBarrier(e, add(group, 1), 128);
        auto vec8 = VectorType::get({8}, elt);
        for (int64_t i = 0; i < C * 8 / 128; ++i) {
          Value p = add(tidInGroup, 128 * i);
          Value n = div(p, 8), col = mul(rem(p, 8), 8);
          Value j = e.addi(vColumn0, e.addi(mul(group, 64), col));
          e.ifThen(e.andi(e.lt(n, count), e.lt(j, e.idx(V))), [&] {
            Value row = e.addi(region, e.addi(mul(n, outRow), col));
            storeVector(e, loadVector(e, vec8, ops.Ss, {row}), ops.o,
                        {ops.batch, e.addi(c0, n), ops.head, j});
          });
        }
        // 7. The state update is done.
        wgmmaWait(e, 0);
        S = fenceOperands(e, S);
        scf::YieldOp::create(b, loc, S);
      });

  // The final state, f32 [K][V]: transposed back from S^T. With segments
  // only the last segment's block writes it.
  auto storeFinal = [&] {
    for (int64_t t = 0; t < K / 8; ++t)
      for (int64_t x = 0; x < 4; ++x) {
        Value j = e.addi(vGlobal0, accRow(x));
        Value s = chunkLoop.getResult(4 * t + x);
        e.ifThen(e.lt(j, e.idx(V)), [&] {
          e.store(s, ops.state, {ops.batch, ops.head, accCol(t, x), j});
        });
      }
  };
  if (part == ChunkwiseMmaPart::SegmentOutputs)
    e.ifThen(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                   ops.segment, e.idx(plan.segments - 1)),
             storeFinal);
  else
    storeFinal();
}
