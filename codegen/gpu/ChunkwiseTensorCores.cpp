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

void mlir::retention::emitChunkwiseTensorCores(Emitter &e,
                                               const RetentionShape &shape,
                                               const ChunkwiseMmaPlan &plan,
                                               const ChunkwiseMmaOperands &ops,
                                               ChunkwiseMmaPart part) {
  // The states kernel computes no outputs: it stages only k and v and skips
  // the score tile, Q S and A V.
  const bool outputs = part != ChunkwiseMmaPart::SegmentStates;
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const int64_t C = plan.C, K = shape.K, V = shape.V, Vb = plan.vSlice;
  const int64_t cTiles = C / 16, kTiles = K / 16, warps = plan.threads / 32;
  Type elt = cast<MemRefType>(ops.Ks.getType()).getElementType();
  const int64_t stages = outputs ? plan.stages : plan.statesStages;
  Type f32 = b.getF32Type();
  auto div = [&](Value x, int64_t d) {
    return arith::DivUIOp::create(b, loc, x, e.idx(d)).getResult();
  };
  auto rem = [&](Value x, int64_t d) {
    return arith::RemUIOp::create(b, loc, x, e.idx(d)).getResult();
  };
  Value lane = rem(ops.tid, 32), warp = div(ops.tid, 32);
  Fragments f{e,
              elt,
              rem(lane, 16),
              e.muli(div(lane, 16), e.idx(8)),
              rem(lane, 8),
              e.muli(rem(div(lane, 8), 2), e.idx(8))};
  Value g = div(lane, 4), c2 = e.muli(rem(lane, 4), e.idx(2));
  // The output stores' quad exchange: lane c takes columns 4c..4c+3, the
  // pairs of lanes 2c % 4 and (2c + 1) % 4 of the same quad, from tile 0
  // (c < 2) or tile 1.
  Value c4 = e.muli(rem(lane, 4), e.idx(4));
  Value lowerHalfOfQuad = e.lt(rem(lane, 4), e.idx(2));
  Value quadSource[2];
  for (int64_t k = 0; k < 2; ++k)
    quadSource[k] = arith::IndexCastOp::create(
        b, loc, b.getI32Type(),
        e.addi(e.muli(g, e.idx(4)), rem(e.addi(c2, e.idx(k)), 4)));
  Value one = e.f32(1);
  Value T = e.idx(shape.T);
  // This warp's 16 columns: local (in Vs) and global.
  Value wcol = e.muli(warp, e.idx(16));
  Value j0 = e.addi(e.muli(ops.slice, e.idx(Vb)), wcol);
  // Accumulator element x of 8-column tile ct: its global column, and the
  // row of 16-row tile rt.
  auto globalCol = [&](int64_t ct) {
    return e.addi(e.addi(j0, e.idx(8 * ct)), c2);
  };
  auto rowOf = [&](int64_t rt, int64_t half) {
    return e.addi(g, e.idx(16 * rt + 8 * half));
  };
  // The state: accumulator tiles [kTiles][2] of this warp's columns.
  auto sIndex = [](int64_t rt, int64_t ct) { return rt * 2 + ct; };

  // The initial state: s0 (or zero) for the whole sequence, zero for a
  // segment's contribution, the scan's result for a segment's outputs.
  Value initial = part == ChunkwiseMmaPart::Whole ? ops.s0
                  : part == ChunkwiseMmaPart::SegmentOutputs ? ops.workspace
                                                             : Value();
  // Element (row, j) of this block's state in the workspace or a state
  // buffer.
  auto stateIndex = [&](Value buf, Value row,
                        Value j) -> SmallVector<Value, 5> {
    if (buf == ops.workspace)
      return {ops.batch, ops.head,
              outputs ? e.muli(ops.segment, e.idx(plan.statesSplit))
                      : ops.segment,
              row, j};
    return {ops.batch, ops.head, row, j};
  };
  SmallVector<Value> init;
  for (int64_t rt = 0; rt < kTiles; ++rt)
    for (int64_t ct = 0; ct < 2; ++ct)
      for (int64_t half = 0; half < 2; ++half) {
        Value x = e.f32(0), y = e.f32(0);
        if (initial) {
          Value j = globalCol(ct);
          Value p = maskedLoad(e, e.lt(j, e.idx(V)),
                               VectorType::get({2}, f32), initial,
                               stateIndex(initial, rowOf(rt, half), j));
          x = vector::ExtractOp::create(b, loc, p, 0);
          y = vector::ExtractOp::create(b, loc, p, 1);
        }
        init.push_back(x);
        init.push_back(y);
      }

  // Copies rows c0.. of `src` (columns col0.., `width` of them, all < limit)
  // into rows row0.. of `dst` with cp.async, 16 bytes a copy; rows past
  // `count` and columns past the limit are zero-filled (copies of no
  // source bytes, their source address clamped into the buffer).
  // The copies are unrolled (C * width / 8 of them over the block's
  // threads), so that each thread's row and column within the chunk are
  // loop-invariant and leave the chunk loop: only the token row and the
  // masks are computed per chunk.
  auto stage = [&](Value src, Value dst, Value row0, int64_t width,
                   Value col0, int64_t limit, Value c0, Value count) {
    const int64_t perRow = width / 8;
    const bool wholeRows = plan.threads % perRow == 0;
    forEachPiece(e, ops.tid, plan.threads, C * perRow, [&](Value p, int64_t i) {
      // With whole rows per pass, thread tid copies row tid / perRow +
      // i * threads / perRow, column 8 (tid % perRow), every pass.
      Value n = wholeRows ? e.addi(div(ops.tid, perRow),
                                   e.idx(i * plan.threads / perRow))
                          : div(p, perRow);
      Value col = e.muli(rem(wholeRows ? ops.tid : p, perRow), e.idx(8));
      Value gcol = e.addi(col0, col), row = e.addi(row0, n);
      copyRowPiece(e, src, dst, {row, col}, ops.batch, ops.head, shape.T, c0,
                   n, count, gcol, limit);
    });
  };

  // The chunks: all of them, or those of this block's segment (the segment
  // length is a multiple of C, so a chunk never straddles two).
  Value first = e.idx(0), end = T;
  if (part != ChunkwiseMmaPart::Whole) {
    // The states kernel's blocks take parts of L / r tokens.
    int64_t length = outputs ? plan.segmentLength
                             : plan.segmentLength / plan.statesSplit;
    first = e.muli(ops.segment, e.idx(length));
    end = e.mini(T, e.addi(first, e.idx(length)));
  }
  // The first staged row of chunk c0's q, k and v (a ring of `stages`
  // buffers, one a chunk).
  auto stagedRow0 = [&](Value c0) {
    if (stages == 1)
      return e.idx(0);
    return e.muli(rem(div(e.subi(c0, first), C), stages), e.idx(C));
  };
  // zeta_m = gamma^(count-1-m) (0 for m >= count) of this lane's rows
  // m = 16 ms + 2c + {0, 1, 8, 9}, every k-step ms of a chunk of `count`
  // rows.
  auto zetaOf = [&](Value count) {
    SmallVector<Value> out;
    for (int64_t ms = 0; ms < cTiles; ++ms)
      for (int64_t dk : {0, 1, 8, 9}) {
        Value m = e.addi(c2, e.idx(16 * ms + dk));
        out.push_back(e.power(e.subi(e.subi(count, e.idx(1)), m), ops.log2g,
                              one));
      }
    return out;
  };
  // Starts the copies of chunk c0's rows into its buffers, as one group.
  Value vcol0 = e.muli(ops.slice, e.idx(Vb));
  auto issueParts = [&](Value c0, bool q, bool k, bool v) {
    Value count = e.mini(e.idx(C), e.subi(T, c0));
    Value row0 = stagedRow0(c0);
    if (outputs && q)
      stage(ops.q, ops.Qs, row0, K, e.idx(0), K, c0, count);
    if (k)
      stage(ops.k, ops.Ks, row0, K, e.idx(0), K, c0, count);
    if (v)
      stage(ops.v, ops.Vs, row0, Vb, vcol0, V, c0, count);
  };
  auto issueChunk = [&](Value c0) { issueParts(c0, true, true, true); };
  // With N >= 2 stages, chunk c0 + (N-1) C's copies go into the buffer
  // chunk c0 - C is done with, free from the chunk's first barrier on. They
  // are issued between the chunk's matmuls, not all at once after that
  // barrier: a thread's cp.async instructions queue behind one another
  // (each holds its address registers until the memory pipe takes it), and
  // between matmuls other warps' mma instructions fill those waits (H200:
  // 1.88x -> 1.66x the floor at 8x4096 H16, 4.15x -> 3.68x for RetNet-1.3B
  // heads). The outputs kernel: q after the score tile, k after Q S, v
  // (and the commit) after the middle barrier; the states kernel, which
  // has only K^T V: all at the end of the chunk.
  enum class CopyPoint { AfterScores, AfterQS, AfterMiddle, End };
  auto issueAt = [&](Value c0, CopyPoint at) {
    if (stages < 2)
      return;
    bool q = outputs && at == CopyPoint::AfterScores;
    bool k = outputs ? at == CopyPoint::AfterQS : at == CopyPoint::End;
    bool v = outputs ? at == CopyPoint::AfterMiddle : at == CopyPoint::End;
    if (!(q || k || v))
      return;
    Value next = e.addi(c0, e.idx((stages - 1) * C));
    e.ifThen(e.lt(next, end), [&] { issueParts(next, q, k, v); });
    if (v)
      NVVM::CpAsyncCommitGroupOp::create(b, loc);
  };
  // With N stages the first N - 1 chunks' groups go out before the loop
  // (one group each, empty past the end).
  for (int64_t i = 0; i + 1 < stages; ++i) {
    if (i == 0) {
      issueChunk(first);
    } else {
      Value ci = e.addi(first, e.idx(i * C));
      e.ifThen(e.lt(ci, end), [&] { issueChunk(ci); });
    }
    NVVM::CpAsyncCommitGroupOp::create(b, loc);
  }
  const SmallVector<Value> zetaFull = zetaOf(e.idx(C));
  auto chunkLoop = scf::ForOp::create(
      b, loc, first, end, e.idx(C), init,
      [&](OpBuilder &nb, Location, Value c0, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Acc> S;
        for (int64_t t = 0; t < kTiles * 2; ++t)
          S.push_back({carried[4 * t], carried[4 * t + 1], carried[4 * t + 2],
                       carried[4 * t + 3]});
        Value count = e.mini(e.idx(C), e.subi(T, c0));
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
        // Rows of this chunk in Qs, Ks and Vs.
        Value base = stagedRow0(c0);
        auto at = [&](int64_t row) { return e.addi(base, e.idx(row)); };

        // Score tile As = s (Q K^T) .* gamma^(n-m), 0 above the diagonal:
        // only the 8-column tiles at or left of each 16-row tile's diagonal
        // block (A V reads no other), C/16 (C/16 + 1) units numbered row by
        // row, dealt to the warps in turn (warp w: units w, w + warps, ...)
        // so that none has more than one more than another. A warp's full
        // slots are straight-line code, and each unit sums its k-steps in
        // two accumulators, so the mma chains interleave.
        const int64_t units = cTiles * (cTiles + 1);
        for (int64_t slot = 0; outputs && slot * warps < units; ++slot) {
          auto scoreUnit = [&] {
            Value u = e.addi(warp, e.idx(slot * warps));
            // Row tile rt holds units rt (rt + 1) .. (rt + 1) (rt + 2) - 1.
            Value rt = e.idx(0);
            for (int64_t r = 1; r < cTiles; ++r)
              rt = e.addi(rt, e.select(e.le(e.idx(r * (r + 1)), u), e.idx(1),
                                       e.idx(0)));
            Value ct = e.subi(u, e.muli(rt, e.addi(rt, e.idx(1))));
            Value row0 = e.muli(rt, e.idx(16)), col0 = e.muli(ct, e.idx(8));
            Acc acc[2] = {f.zero(), f.zero()};
            for (int64_t ks = 0; ks < kTiles; ++ks)
              acc[ks % 2] = f.mma(
                  f.loadA(ops.Qs, e.addi(base, row0), e.idx(16 * ks)),
                  f.regs(f.loadBRows(ops.Ks, e.addi(base, col0),
                                     e.idx(16 * ks))),
                  acc[ks % 2]);
            Value m = e.addi(col0, c2);
            for (int64_t half = 0; half < 2; ++half) {
              Value n = e.addi(e.addi(row0, g), e.idx(8 * half));
              Value x = e.addf(acc[0][2 * half], acc[1][2 * half]);
              Value y = e.addf(acc[0][2 * half + 1], acc[1][2 * half + 1]);
              x = e.mulf(x, e.power(e.subi(n, m), ops.log2g, ops.scale));
              y = e.mulf(y, e.power(e.subi(e.subi(n, m), e.idx(1)),
                                    ops.log2g, ops.scale));
              storeVector(e, f.pair(x, y, elt), ops.As, {n, m});
            }
          };
          if ((slot + 1) * warps <= units)
            scoreUnit();
          else
            e.ifThen(e.lt(e.addi(warp, e.idx(slot * warps)), e.idx(units)),
                     scoreUnit);
        }

        issueAt(c0, CopyPoint::AfterScores);
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
              bS[ct].push_back(f.fromWord(f.transposed(f.word(
                  f.pair(s[2 * half], s[2 * half + 1], elt)))));
          }
          for (int64_t rt = 0; rt < cTiles; ++rt) {
            SmallVector<Value> a = f.loadA(ops.Qs, at(16 * rt), e.idx(16 * ks));
            for (int64_t ct = 0; ct < 2; ++ct)
              O[rt * 2 + ct] = f.mma(a, bS[ct], O[rt * 2 + ct]);
          }
        }
        for (int64_t rt = 0; rt < cTiles && outputs; ++rt)
          for (int64_t half = 0; half < 2; ++half) {
            Value xi = e.power(e.addi(rowOf(rt, half), e.idx(1)), ops.log2g,
                               ops.scale);
            for (int64_t ct = 0; ct < 2; ++ct)
              for (int64_t x = 2 * half; x < 2 * half + 2; ++x)
                O[rt * 2 + ct][x] = e.mulf(O[rt * 2 + ct][x], xi);
          }
        issueAt(c0, CopyPoint::AfterQS);
        // The score tile is complete.
        if (outputs)
          gpu::BarrierOp::create(b, loc);
        issueAt(c0, CopyPoint::AfterMiddle);

        // O += A V; S = gamma^count S + K^T (V .* zeta), zeta_m =
        // gamma^(count-1-m) (0 for rows past count), sharing V's fragments.
        // (The states kernel keeps no running state: it sums
        // gamma^(end-1-m) k_m^T v_m over its segment, each chunk's weights
        // carrying the decay to the segment's end, so S is never rescaled.)
        if (outputs) {
          Value decay = e.power(count, ops.log2g, one);
          for (Acc &s : S)
            for (Value &x : s)
              x = e.mulf(x, decay);
        }
        // zeta of this lane's rows m = 16 ms + 2c + {0, 1, 8, 9}: the
        // table of a full chunk (loop-invariant), computed anew only for
        // the last, partial one.
        SmallVector<Value> zetas;
        {
          SmallVector<Type> types(4 * cTiles, f32);
          auto full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            count, e.idx(C));
          auto ifOp = scf::IfOp::create(b, loc, types, full,
                                        /*withElseRegion=*/true);
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPointToStart(&ifOp.getThenRegion().front());
          scf::YieldOp::create(b, loc, zetaFull);
          b.setInsertionPointToStart(&ifOp.getElseRegion().front());
          scf::YieldOp::create(b, loc, zetaOf(count));
          zetas.assign(ifOp.getResults().begin(), ifOp.getResults().end());
        }
        if (!outputs) {
          Value toEnd = e.power(e.subi(end, e.addi(c0, count)), ops.log2g, one);
          for (Value &z : zetas)
            z = e.mulf(z, toEnd);
        }
        for (int64_t ms = 0; ms < cTiles; ++ms) {
          Value vFrag[2];
          for (int64_t ct = 0; ct < 2; ++ct)
            vFrag[ct] = f.loadBColumns(ops.Vs, at(16 * ms),
                                       e.addi(wcol, e.idx(8 * ct)));
          SmallVector<Value> bV[2] = {f.regs(vFrag[0]), f.regs(vFrag[1])};
          for (int64_t rt = ms; rt < cTiles && outputs; ++rt) {
            SmallVector<Value> a =
                f.loadA(ops.As, e.idx(16 * rt), e.idx(16 * ms));
            for (int64_t ct = 0; ct < 2; ++ct)
              O[rt * 2 + ct] = f.mma(a, bV[ct], O[rt * 2 + ct]);
          }
          ArrayRef<Value> zeta = ArrayRef<Value>(zetas).slice(4 * ms, 4);
          SmallVector<Value> bZ[2] = {f.scaled(vFrag[0], zeta),
                                      f.scaled(vFrag[1], zeta)};
          for (int64_t it = 0; it < kTiles; ++it) {
            SmallVector<Value> a =
                f.loadATransposed(ops.Ks, e.idx(16 * it), at(16 * ms));
            for (int64_t ct = 0; ct < 2; ++ct)
              S[sIndex(it, ct)] = f.mma(a, bZ[ct], S[sIndex(it, ct)]);
          }
        }

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
            e.ifThen(e.andi(e.lt(n, count), e.lt(j, e.idx(V))), [&] {
              Value packed = vector::FromElementsOp::create(
                  b, loc, VectorType::get({2}, b.getI32Type()),
                  ValueRange{mine[0], mine[1]});
              storeVector(e,
                          vector::BitCastOp::create(
                              b, loc, VectorType::get({4}, elt), packed),
                          ops.o, {ops.batch, e.addi(c0, n), ops.head, j});
            });
          }
        issueAt(c0, CopyPoint::End);
        SmallVector<Value> next;
        for (const Acc &s : S)
          next.append(s.begin(), s.end());
        scf::YieldOp::create(b, loc, next);
      });

  // The final state, f32: the whole sequence's, a segment's contribution
  // into the workspace, or, from the last segment's outputs block, the
  // whole sequence's (its accumulators started from the scan's state).
  Value result = part == ChunkwiseMmaPart::SegmentStates ? ops.workspace
                                                         : ops.state;
  Value lastSegment =
      part == ChunkwiseMmaPart::SegmentOutputs
          ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                  ops.segment, e.idx(plan.segments - 1))
                .getResult()
          : Value();
  auto storeFinal = [&] {
    for (int64_t rt = 0; rt < kTiles; ++rt)
      for (int64_t ct = 0; ct < 2; ++ct)
        for (int64_t half = 0; half < 2; ++half) {
          Value j = globalCol(ct);
          int64_t t = 4 * sIndex(rt, ct) + 2 * half;
          Value x = chunkLoop.getResult(t), y = chunkLoop.getResult(t + 1);
          e.ifThen(e.lt(j, e.idx(V)), [&] {
            storeVector(e, f.pair(x, y, f32), result,
                        stateIndex(result, rowOf(rt, half), j));
          });
        }
  };
  if (lastSegment)
    e.ifThen(lastSegment, storeFinal);
  else
    storeFinal();
}

void mlir::retention::emitSegmentScan(Emitter &e, const RetentionShape &shape,
                                      const ChunkwiseMmaPlan &plan, Value s0,
                                      Value workspace,
                                      Value batch, Value head, Value flat,
                                      Value log2g) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const int64_t V = shape.V, r = plan.statesSplit,
                L = plan.segmentLength / r;
  // kSegmentScanWidth adjacent elements of one row a thread (V is a
  // multiple of 8), moved as one 16-byte vector.
  const int64_t w = kSegmentScanWidth;
  auto vt = VectorType::get({w}, b.getF32Type());
  e.ifThen(e.lt(flat, e.idx(shape.K * V / w)), [&] {
    Value first = e.muli(flat, e.idx(w));
    Value i = arith::DivUIOp::create(b, loc, first, e.idx(V));
    Value j = arith::RemUIOp::create(b, loc, first, e.idx(V));
    auto zeros = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vt, b.getF32FloatAttr(0)));
    Value init = s0 ? loadVector(e, vt, s0, {batch, head, i, j})
                    : Value(zeros);
    // The r parts of segments 0 .. S-2 (all L = segment / r tokens long)
    // have contributions; the scan replaces the first part's of each
    // segment s (slot r s) by the segment's initial state and writes the
    // last segment's (slot r (S-1)). That segment's outputs block writes
    // the final state.
    Value decay = vector::BroadcastOp::create(
        b, loc, vt, e.power(e.idx(L), log2g, e.f32(1)));
    const int64_t contributions = r * (plan.segments - 1);
    auto at = [&](Value seg) -> SmallVector<Value> {
      return {batch, head, seg, i, j};
    };
    Value last;
    if (contributions <= kSegmentScanUnroll) {
      // All loads first: the stores into the workspace would otherwise
      // keep each load behind the previous segment's store.
      SmallVector<Value> deltas;
      for (int64_t seg = 0; seg < contributions; ++seg)
        deltas.push_back(loadVector(e, vt, workspace, at(e.idx(seg))));
      last = init;
      for (int64_t seg = 0; seg < contributions; ++seg) {
        if (seg % r == 0)
          storeVector(e, last, workspace, at(e.idx(seg)));
        last = e.fma(decay, last, deltas[seg]);
      }
    } else {
      last = e.sum(e.idx(0), e.idx(contributions), init,
                   [&](Value seg, Value running) {
                     Value delta = loadVector(e, vt, workspace, at(seg));
                     e.ifThen(arith::CmpIOp::create(
                                  b, loc, arith::CmpIPredicate::eq,
                                  arith::RemUIOp::create(b, loc, seg,
                                                         e.idx(r)),
                                  e.idx(0)),
                              [&] {
                                storeVector(e, running, workspace, at(seg));
                              });
                     return e.fma(decay, running, delta);
                   });
    }
    storeVector(e, last, workspace, at(e.idx(contributions)));
  });
}
