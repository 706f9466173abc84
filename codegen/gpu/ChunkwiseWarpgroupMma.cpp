//===- ChunkwiseWarpgroupMma.cpp - chunkwise kernel on wgmma --------------===//
//
// See ChunkwiseWarpgroupMma.h. Layouts (g = lane / 4, c = lane % 4; a
// warpgroup's warp q owns rows 16 q.. of every 64-row wgmma operand and
// result):
//   accumulator x of 8-column tile t: row g + 8 (x / 2), column 8t + 2c + x % 2
//   (the transposed state S^T and O^T: rows are value columns)
//   register A (16 x 16 per warp): word r: row g + 8 (r % 2), columns 2c,
//   2c+1 (+8 for r >= 2), as mma.sync's A fragment
//   Qs, Ks, Ps: core-matrix layout, element (r, e) of a tile of E columns at
//   (r / 8) (E / 8) 64 + (e / 8) 64 + (r % 8) 8 + e % 8
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/ChunkwiseWarpgroupMma.h"
#include "codegen/gpu/MmaFragments.h"
#include "codegen/gpu/WarpgroupMma.h"

using namespace mlir;
using namespace mlir::retention;

void mlir::retention::emitChunkwiseWarpgroupMma(Emitter &e,
                                                const RetentionShape &shape,
                                                const ChunkwiseMmaPlan &plan,
                                                const ChunkwiseMmaOperands &ops,
                                                ChunkwiseMmaPart part) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  const int64_t C = plan.C, K = shape.K, V = shape.V, Vb = plan.vSlice;
  const int64_t groups = Vb / 64, kSteps = K / 16, cSteps = C / 16;
  const int64_t stages = plan.stages, vRow = Vb + 8, threads = plan.threads;
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
  Value tidInGroup = rem(ops.tid, 128);
  Fragments f{e,
              elt,
              rem(lane, 16),
              mul(div(lane, 16), 8),
              rem(lane, 8),
              mul(rem(div(lane, 8), 2), 8)};
  Value g = div(lane, 4), c2 = mul(rem(lane, 4), 2);
  Value one = e.f32(1), zero = e.f32(0);
  Value T = e.idx(shape.T);
  // This warp's 16 value columns (rows of S^T and O^T) within the slice.
  Value vLocal = e.addi(mul(group, 64), mul(warpInGroup, 16));
  Value vGlobal0 = e.addi(mul(ops.slice, Vb), vLocal);
  auto accRow = [&](int64_t x) { return add(g, 8 * (x / 2)); };
  auto accCol = [&](int64_t t, int64_t x) {
    return add(c2, 8 * t + x % 2);
  };
  auto word = [&](Value x, Value y) { return f.word(f.pair(x, y, elt)); };

  // The initial state S^T: s0 (or zero) for the whole sequence, the scan's
  // result for a segment. Columns past V read a clamped element and are
  // zeroed.
  Value initial =
      part == ChunkwiseMmaPart::Whole ? ops.s0 : ops.workspace;
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
  // One 16-byte cp.async of row n (< count) of chunk c0, columns col.., of
  // `src` into dst[dstIndex]; zero-filled (no source bytes, the source
  // clamped into the buffer) past count and past `limit` columns.
  auto copy = [&](Value src, Value dst, ValueRange dstIndex, Value n,
                  Value col, int64_t limit, Value c0, Value count) {
    Value inColumns = e.lt(col, e.idx(limit));
    Value ok = e.andi(e.lt(n, count), inColumns);
    Value t = e.mini(e.addi(c0, n), e.idx(shape.T - 1));
    nvgpu::DeviceAsyncCopyOp::create(
        b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), dst,
        dstIndex, src,
        ValueRange{ops.batch, t, ops.head, e.select(inColumns, col, e.idx(0))},
        b.getIndexAttr(8), e.select(ok, e.idx(8), e.idx(0)), b.getUnitAttr());
  };
  // `total` copies over the block's threads, unrolled (each thread's part
  // of the chunk is loop-invariant); copy i of thread tid is piece
  // tid + i * threads.
  auto forPieces = [&](Value tid, int64_t total,
                       function_ref<void(Value)> body) {
    for (int64_t i = 0; i * threads < total; ++i) {
      Value p = add(tid, i * threads);
      if ((i + 1) * threads <= total)
        body(p);
      else
        e.ifThen(e.lt(p, e.idx(total)), [&] { body(p); });
    }
  };
  // q and k rows in core-matrix layout: piece p = (8-row group, 16-byte
  // column, row in group) lands at elements 8p of the stage, so a warp's
  // copies fill whole core matrices (no bank conflicts) and each row's
  // pieces pair up into whole 32-byte sectors.
  auto stageCoreMatrices = [&](Value tid, Value src, Value dst, Value stage,
                               Value c0, Value count) {
    const int64_t perRow = K / 8;
    forPieces(tid, C * perRow, [&](Value p) {
      Value rest = div(p, 8);
      Value n = e.addi(mul(div(rest, perRow), 8), rem(p, 8));
      copy(src, dst, {e.addi(mul(stage, C * K), mul(p, 8))}, n,
           mul(rem(rest, perRow), 8), K, c0, count);
    });
  };
  Value vColumn0 = mul(ops.slice, Vb);
  // (Inside the chunk loop `tid` is an opaque copy: hoisted, the copies'
  // per-thread offsets would hold dozens of 64-bit registers.)
  auto issueChunk = [&](Value tid, Value c0) {
    Value count = e.mini(e.idx(C), e.subi(T, c0));
    Value stage = stageOf(c0);
    stageCoreMatrices(tid, ops.q, ops.Qs, stage, c0, count);
    stageCoreMatrices(tid, ops.k, ops.Ks, stage, c0, count);
    const int64_t perRow = Vb / 8;
    forPieces(tid, C * perRow, [&](Value p) {
      Value n = div(p, perRow), col = mul(rem(p, perRow), 8);
      copy(ops.v, ops.Vs, {e.addi(mul(stage, C), n), col}, n,
           e.addi(vColumn0, col), V, c0, count);
    });
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
  // zeta_m = gamma^(count-1-m) (0 for m >= count) of this lane's A columns
  // m = 16 ms + 2c + {0, 1, 8, 9}.
  auto zetaOf = [&](Value count, Value log2g) {
    SmallVector<Value> out;
    for (int64_t ms = 0; ms < cSteps; ++ms)
      for (int64_t dk : {0, 1, 8, 9})
        out.push_back(e.power(e.subi(add(count, -1), add(c2, 16 * ms + dk)),
                              log2g, one));
    return out;
  };

  Value qAddr = sharedByteAddress(e, ops.Qs), kAddr = sharedByteAddress(e, ops.Ks);
  Value pAddr = sharedByteAddress(e, ops.Ps), oAddr = sharedByteAddress(e, ops.Os);
  // Bytes of one 8-row group of a Qs/Ks stage (K / 8 core matrices) and of
  // Ps (C / 8), and of a stage.
  const int64_t qkGroupBytes = K * 16, pGroupBytes = C * 16;
  const int64_t stageBytes = C * K * 2;
  const int64_t scoreColumns = C / groups; // this warpgroup's columns of P
  // k-steps of O^T = S^T Q^T a wgmma group: the words of two groups are
  // live at once, beside the K / 2 state registers.
  const int64_t kStepsPerGroup = K > 128 ? 2 : 4;

  auto chunkLoop = scf::ForOp::create(
      b, loc, first, end, e.idx(C), init,
      [&](OpBuilder &nb, Location, Value c0, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        SmallVector<Value> S(carried.begin(), carried.end());
        Value count = e.mini(e.idx(C), e.subi(T, c0));
        // The decay factors (about 50 a thread, all loop-invariant but
        // for a partial last chunk) are computed anew each chunk from an
        // opaque copy of log2(gamma): hoisted out of the loop they would
        // hold as many registers beside the state (and ptxas would
        // serialize the wgmmas for want of registers).
        Value log2g = fenceOperands(e, {ops.log2g})[0];
        // Staging: wait for this chunk's copies, publish them to the async
        // proxy (wgmma reads through it), then reuse the buffer the
        // previous chunk is done with.
        if (stages >= 2) {
          NVVM::CpAsyncWaitGroupOp::create(b, loc, stages - 2);
          fenceProxyAsyncShared(e);
          gpu::BarrierOp::create(b, loc);
          Value next = add(c0, (stages - 1) * C);
          e.ifThen(e.lt(next, end),
                   [&] { issueChunk(opaqueIndex(e, ops.tid), next); });
          NVVM::CpAsyncCommitGroupOp::create(b, loc);
        } else {
          gpu::BarrierOp::create(b, loc);
          issueChunk(opaqueIndex(e, ops.tid), c0);
          NVVM::CpAsyncCommitGroupOp::create(b, loc);
          NVVM::CpAsyncWaitGroupOp::create(b, loc, 0);
          fenceProxyAsyncShared(e);
          gpu::BarrierOp::create(b, loc);
        }
        Value stage = stageOf(c0);
        Value stageOffset = mul(stage, stageBytes);
        // Q (A of the scores, B of S^T Q^T): K-major, 8-row groups of
        // qkGroupBytes, k-step ks 256 bytes on.
        Value qBase =
            wgmmaDescriptor(e, qAddr, stageOffset, 128, qkGroupBytes);
        auto qDesc = [&](int64_t ks) {
          return descriptorPlus(e, qBase, 256 * ks);
        };

        // P = s (Q K^T) .* gamma^(n-m): warpgroup w the columns
        // w * scoreColumns.., B = K's rows (K-major); decayed and masked
        // (gamma^(n-m) is 0 above the diagonal) into Ps for V^T P^T. Its
        // own wgmma group, waited for before O^T's: its accumulators are
        // then dead while O^T's words are live.
        Value n0 = mul(group, scoreColumns);
        SmallVector<Value> P = accumulatorsUndefined(e, scoreColumns / 2);
        Value kRows = wgmmaDescriptor(
            e, kAddr, e.addi(stageOffset, mul(div(n0, 8), qkGroupBytes)), 128,
            qkGroupBytes);
        wgmmaFence(e);
        for (int64_t ks = 0; ks < kSteps; ++ks)
          P = wgmma(e, elt, P, {}, qDesc(ks), descriptorPlus(e, kRows, 256 * ks),
                    /*transB=*/false, /*accumulate=*/ks > 0);
        wgmmaCommit(e);
        wgmmaWait(e, 0);
        P = fenceOperands(e, P);
        for (int64_t t = 0; t < scoreColumns / 8; ++t)
          for (int64_t half = 0; half < 2; ++half) {
            Value n = e.addi(mul(warpInGroup, 16), accRow(2 * half));
            Value m = e.addi(n0, accCol(t, 0));
            Value dist = e.subi(n, m);
            Value x = e.mulf(P[4 * t + 2 * half],
                             e.power(dist, log2g, ops.scale));
            Value y = e.mulf(P[4 * t + 2 * half + 1],
                             e.power(add(dist, -1), log2g, ops.scale));
            Value at = e.addi(
                mul(e.addi(e.addi(mul(e.addi(mul(warpInGroup, 2),
                                             e.idx(half)),
                                      C / 8),
                                  div(n0, 8)),
                           e.idx(t)),
                    64),
                e.addi(mul(g, 8), c2));
            storeVector(e, f.pair(x, y, elt), ops.Ps, {at});
          }
        fenceProxyAsyncShared(e);

        // O^T = S^T Q^T, A = S^T rounded to the input type (as
        // flash-linear-attention's h.to(q.dtype)), kStepsPerGroup k-steps a
        // group so that only two groups' words are live.
        SmallVector<Value> O = accumulatorsUndefined(e, C / 2);
        for (int64_t k0 = 0; k0 < kSteps; k0 += kStepsPerGroup) {
          const int64_t k1 = std::min(k0 + kStepsPerGroup, kSteps);
          SmallVector<SmallVector<Value>> words;
          for (int64_t ks = k0; ks < k1; ++ks) {
            const Value *lo = &S[8 * ks], *hi = &S[8 * ks + 4];
            words.push_back({word(lo[0], lo[1]), word(lo[2], lo[3]),
                             word(hi[0], hi[1]), word(hi[2], hi[3])});
          }
          wgmmaFence(e);
          for (int64_t ks = k0; ks < k1; ++ks)
            O = wgmma(e, elt, O, words[ks - k0], {}, qDesc(ks),
                      /*transB=*/false, /*accumulate=*/ks > 0);
          wgmmaCommit(e);
          wgmmaWait(e, 1);
        }
        wgmmaWait(e, 0);
        O = fenceOperands(e, O);
        // Every warpgroup's columns of Ps are in.
        gpu::BarrierOp::create(b, loc);

        // O^T columns n scaled by xi_n = s gamma^(n+1); S^T by gamma^count.
        for (int64_t t = 0; t < C / 8; ++t)
          for (int64_t x = 0; x < 2; ++x) {
            Value xi = e.power(add(accCol(t, x), 1), log2g, ops.scale);
            O[4 * t + x] = e.mulf(O[4 * t + x], xi);
            O[4 * t + x + 2] = e.mulf(O[4 * t + x + 2], xi);
          }
        Value decay = e.power(count, log2g, one);
        for (Value &s : S)
          s = e.mulf(s, decay);
        const SmallVector<Value> zetas = zetaOf(count, log2g);

        // Per 16-row k-step ms of the chunk: V^T's A words (ldmatrix.trans
        // of Vs) for O^T += V^T P^T, and, scaled by zeta, for S^T += (V .*
        // zeta)^T K with K as the MN-major B (8-row groups along k-steps).
        // (O^T's columns n < 16 ms get nothing from k-step ms, but a wgmma
        // on the other columns alone, a sub-range of O^T's accumulators,
        // made ptxas serialize every wgmma of the chunk.)
        Value vRow0 = mul(stage, C);
        Value pBase = wgmmaDescriptor(e, pAddr, e.idx(0), 128, pGroupBytes);
        Value kColumns =
            wgmmaDescriptor(e, kAddr, stageOffset, qkGroupBytes, 128);
        auto f32x2 = VectorType::get({2}, f32);
        SmallVector<SmallVector<Value>> raw(cSteps), scaled(cSteps);
        for (int64_t ms = 0; ms < cSteps; ++ms) {
          Value frag = f.ldmatrix(
              ops.Vs, e.addi(add(vRow0, 16 * ms), e.addi(f.lane8, f.hi8)),
              e.addi(vLocal, f.mid8), 4, /*trans=*/true);
          for (int64_t r = 0; r < 4; ++r) {
            Value pair = vector::ExtractOp::create(b, loc, frag, r);
            raw[ms].push_back(f.word(pair));
            Value z = vector::FromElementsOp::create(
                b, loc, f32x2,
                ValueRange{zetas[4 * ms + 2 * (r / 2)],
                           zetas[4 * ms + 2 * (r / 2) + 1]});
            Value x = e.mulf(arith::ExtFOp::create(b, loc, f32x2, pair), z);
            scaled[ms].push_back(f.word(arith::TruncFOp::create(
                b, loc, VectorType::get({2}, elt), x)));
          }
        }
        // Every register these wgmmas read is written: one fence.
        wgmmaFence(e);
        for (int64_t ms = 0; ms < cSteps; ++ms) {
          O = wgmma(e, elt, O, raw[ms], {}, descriptorPlus(e, pBase, 256 * ms),
                    /*transB=*/false);
          S = wgmma(e, elt, S, scaled[ms], {},
                    descriptorPlus(e, kColumns, 2 * ms * qkGroupBytes),
                    /*transB=*/true);
        }
        wgmmaCommit(e);
        wgmmaWait(e, 0);
        {
          SmallVector<Value> both(O);
          both.append(S);
          both = fenceOperands(e, both);
          O.assign(both.begin(), both.begin() + O.size());
          S.assign(both.begin() + O.size(), both.end());
        }

        // O^T to Os transposed (stmatrix.trans: matrix i of lane 8i + r is
        // value half i % 2 of 8-column tile t + i / 2; its row r is token
        // row 8 (t + i / 2) + r), then this warpgroup's 64 columns as
        // 16-byte pieces of o's rows below count.
        Value matrix = div(lane, 8), rowInMatrix = rem(lane, 8);
        for (int64_t t = 0; t < C / 8; t += 2) {
          SmallVector<Value> words;
          for (int64_t i = 0; i < 4; ++i) {
            const Value *acc = &O[4 * (t + i / 2) + 2 * (i % 2)];
            words.push_back(word(acc[0], acc[1]));
          }
          Value n = e.addi(e.addi(mul(div(matrix, 2), 8), rowInMatrix),
                           e.idx(8 * t));
          Value col = e.addi(vLocal, mul(rem(matrix, 2), 8));
          Value byte = mul(e.addi(mul(n, vRow), col), 2);
          stmatrixTransposed(
              e,
              arith::AddIOp::create(
                  b, loc, oAddr,
                  arith::IndexCastOp::create(b, loc, b.getI64Type(), byte)),
              words);
        }
        namedBarrier(e, add(group, 1), 128);
        auto vec8 = VectorType::get({8}, elt);
        for (int64_t i = 0; i < C * 8 / 128; ++i) {
          Value p = add(tidInGroup, 128 * i);
          Value n = div(p, 8);
          Value col = e.addi(mul(group, 64), mul(rem(p, 8), 8));
          Value j = e.addi(vColumn0, col);
          e.ifThen(e.andi(e.lt(n, count), e.lt(j, e.idx(V))), [&] {
            storeVector(e, loadVector(e, vec8, ops.Os, {n, col}), ops.o,
                        {ops.batch, e.addi(c0, n), ops.head, j});
          });
        }
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
