//===- ConvertRetentionToCPU.cpp - retention forms to CPU loop nests ------===//
//
// convert-retention-to-cpu: each retention form becomes an scf.parallel over
// (batch, head) whose body is that head's whole computation, built from the
// tile blocks of TileEmitter:
//
//   recurrent  for each token: S = gamma S + k^T v, o = s q S, streamed over
//              the state in place in the final-state buffer;
//   chunkwise  for each chunk: pack Q, K^T, V; A = (Q K^T) .* mask, the
//              masked entries selected to 0 and never read by A V;
//              O = xi .* (Q S) + A V; S = gamma^c S + (K .* zeta)^T V;
//   parallel   for each query tile: O = xi .* (Q S0) + sum over key tiles
//              of ((Q K^T) .* mask) V; the final state from all key tiles.
//
// Post-conditions: no retention form op remains (B, H, K, V must be static;
// T may be dynamic, read from q with memref.dim); the
// function reads operands through bufferization.to_buffer and returns fresh
// buffers through bufferization.to_tensor (ready for one-shot bufferize).
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/common/DecayTables.h"
#include "codegen/cpu/TileEmitter.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"

#include <numeric>

#define DEBUG_TYPE "convert-retention-to-cpu"

namespace mlir::retention {
#define GEN_PASS_DEF_CONVERTRETENTIONTOCPU
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {

/// What the body of one (sequence, head) task works on.
struct HeadTask {
  TileEmitter &e;
  RetentionShape shape;
  Value q, k, v, s0, o, st; ///< global buffers (s0 may be null)
  Value bi, hi;             ///< sequence (the states' row) and head indices
  Value log2g;              ///< log2(gamma_h), f32
  Value scale;              ///< s, f32
  Value T;                  ///< the sequence length (index; may be dynamic)
  /// Where the sequence's tokens are in q, k, v and o: row `row` of their
  /// batch, from token `first` on (packed sequences: row 0, from the
  /// sequence's offset; otherwise row bi, from token 0).
  Value row, first;

  /// Token `t` of the sequence, as an index into q, k, v and o.
  Value token(Value t) { return first ? e.add(first, t) : t; }
};

/// The padded tile sizes of the chunkwise and parallel forms.
struct TileSizes {
  int64_t Cp, Kp, Vp;
  static TileSizes get(const MicroTile &t, int64_t chunk, RetentionShape s) {
    int64_t rowsCols = std::lcm(t.rows, t.colBlock());
    return {roundUp(chunk, rowsCols), roundUp(s.K, std::lcm(t.rows, t.width)),
            roundUp(s.V, t.colBlock())};
  }
};

/// Scratch tiles shared by the chunkwise and parallel forms.
struct Scratch {
  Value Qs, Kt, Ktz, Vs, A, S, rtab, xi, zeta;
  void allocate(TileEmitter &e, const TileSizes &z) {
    Qs = e.alloc({z.Cp, z.Kp});
    Kt = e.alloc({z.Kp, z.Cp});
    Ktz = e.alloc({z.Kp, z.Cp});
    Vs = e.alloc({z.Cp, z.Vp});
    A = e.alloc({z.Cp, z.Cp});
    S = e.alloc({z.Kp, z.Vp});
    rtab = e.alloc({2 * z.Cp});
    xi = e.alloc({z.Cp});
    zeta = e.alloc({z.Cp});
  }
  void release(TileEmitter &e) {
    for (Value buf : {Qs, Kt, Ktz, Vs, A, S, rtab, xi, zeta})
      e.dealloc(buf);
  }
};

Value lessThan(TileEmitter &e, Value a, Value c) {
  return arith::CmpIOp::create(e.builder(), e.getLoc(),
                               arith::CmpIPredicate::slt, a, c);
}

Value broadcast(TileEmitter &e, Value scalar) {
  return vector::BroadcastOp::create(e.builder(), e.getLoc(), e.vecType(),
                                     scalar);
}

/// Loads one element of a [B, T, H, X] operand as f32.
Value loadElementF32(TileEmitter &e, Value src, ValueRange idx) {
  Value x = e.load(src, idx);
  if (!x.getType().isF32())
    x = arith::ExtFOp::create(e.builder(), e.getLoc(),
                              e.builder().getF32Type(), x);
  return x;
}

/// S[i][j] = s0[b, h, i, j] inside [K, V], zero elsewhere.
void packState(HeadTask &t, Value S, const TileSizes &z) {
  TileEmitter &e = t.e;
  int64_t W = e.microTile().width;
  Value zero = e.zeroVec();
  Value rowBegin = e.index(0), rowEnd = e.index(z.Kp);
  e.loop(rowBegin, rowEnd, 1, [&](Value i) {
    e.ifElse(
        lessThan(e, i, e.index(t.shape.K)),
        [&] {
          Value colBegin = e.index(0), colEnd = e.index(z.Vp);
          e.loop(colBegin, colEnd, W, [&](Value j) {
            e.storeVec(e.readStateRow(t.s0, t.bi, t.hi, i, j), S, {i, j});
          });
        },
        [&] {
          Value colBegin = e.index(0), colEnd = e.index(z.Vp);
          e.loop(colBegin, colEnd, W,
                 [&](Value j) { e.storeVec(zero, S, {i, j}); });
        });
  });
}

/// st[b, h, i, j] = S[i][j] for i < K, j < V.
void unpackState(HeadTask &t, Value S, const TileSizes &z) {
  TileEmitter &e = t.e;
  Value rowBegin = e.index(0), rowEnd = e.index(t.shape.K);
  e.loop(rowBegin, rowEnd, 1, [&](Value i) {
    Value colBegin = e.index(0), colEnd = e.index(z.Vp);
    e.loop(colBegin, colEnd, e.microTile().width, [&](Value j) {
      e.writeStateRow(e.loadVec(S, {i, j}), t.st, t.bi, t.hi, i, j);
    });
  });
}

/// A[n][m] = (sum_p Qs[n][p] Kt[p][m]) * rtab[m + Cp - 1 - n] for rows
/// n < rowCount and the column blocks that can be unmasked: m < n + delta + 1,
/// where delta is the token offset of the query tile past the key tile.
/// Entries above the diagonal (m > n + delta) are selected to 0, not
/// multiplied by rtab's 0: a NaN or Inf in k at a masked column would make
/// them NaN.
void emitScores(TileEmitter &e, const Scratch &s, const TileSizes &z,
                Value rowCount, Value delta) {
  const MicroTile &mt = e.microTile();
  OpBuilder &b = e.builder();
  Location loc = e.getLoc();
  // Lane l of vector jv of row r holds column m0 + jv W + l, kept where
  // m0 + jv W + l <= n0 + r + delta, that is where the constant
  // jv W + l - r is at most reach = n0 + delta - m0.
  auto i32Lanes = VectorType::get({mt.width}, b.getI32Type());
  SmallVector<Value> laneOffsets;
  for (int64_t r = 0; r < mt.rows; ++r)
    for (int64_t jv = 0; jv < mt.cols; ++jv) {
      SmallVector<int32_t> offsets;
      for (int64_t l = 0; l < mt.width; ++l)
        offsets.push_back(int32_t(jv * mt.width + l - r));
      laneOffsets.push_back(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(i32Lanes, ArrayRef<int32_t>(offsets))));
    }
  Value zero = e.zeroVec();
  Value firstRow = e.index(0);
  e.loop(firstRow, rowCount, mt.rows, [&](Value n0) {
    Value blockEnd = e.add(n0, e.index(mt.rows));
    Value reachEnd = e.add(blockEnd, delta);
    Value cp = e.index(z.Cp);
    Value colEnd = e.min(cp, reachEnd);
    Value diagonal = e.add(n0, delta);
    Value firstCol = e.index(0);
    e.loop(firstCol, colEnd, mt.colBlock(), [&](Value m0) {
      Value begin = e.index(0);
      Value end = e.index(z.Kp);
      SmallVector<Value> zeros = e.zeroAccumulators();
      SmallVector<Value> acc = e.rankUpdate(
          begin, end, zeros,
          [&](int64_t r, Value p) {
            return e.load(s.Qs, {e.add(n0, e.index(r)), p});
          },
          [&](int64_t jv, Value p) {
            return e.loadVec(s.Kt, {p, e.add(m0, e.index(jv * mt.width))});
          });
      // reach, clamped to the block (delta can be any token distance).
      Value reach = arith::SubIOp::create(b, loc, diagonal, m0);
      Value blockWidth = e.index(mt.colBlock());
      Value clamped = e.min(reach, blockWidth);
      Value reach32 =
          arith::IndexCastOp::create(b, loc, b.getI32Type(), clamped);
      Value reachVec = vector::BroadcastOp::create(b, loc, i32Lanes, reach32);
      for (int64_t r = 0; r < mt.rows; ++r)
        for (int64_t jv = 0; jv < mt.cols; ++jv) {
          Value m = e.add(m0, e.index(jv * mt.width));
          // rtab index m + Cp - 1 - (n0 + r) is never negative.
          Value mShifted = e.add(m, e.index(z.Cp - 1 - r));
          Value u = arith::SubIOp::create(b, loc, mShifted, n0);
          Value decay = e.loadVec(s.rtab, {u});
          Value scaled = e.mul(acc[r * mt.cols + jv], decay);
          Value keep =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                    laneOffsets[r * mt.cols + jv], reachVec);
          Value masked = arith::SelectOp::create(b, loc, keep, scaled, zero);
          Value row = e.add(n0, e.index(r));
          e.storeVec(masked, s.A, {row, m});
        }
    });
  });
}

/// acc += (sum_p Qs[n0+r][p] S[p][j0..]) * xi[n0 + r]: the inter-tile term.
SmallVector<Value> emitStateTerm(TileEmitter &e, const Scratch &s,
                                 const TileSizes &z, Value n0, Value j0) {
  const MicroTile &mt = e.microTile();
  Value kBegin = e.index(0), kEnd = e.index(z.Kp);
  SmallVector<Value> acc = e.rankUpdate(
      kBegin, kEnd, e.zeroAccumulators(),
      [&](int64_t r, Value p) {
        return e.load(s.Qs, {e.add(n0, e.index(r)), p});
      },
      [&](int64_t jv, Value p) {
        return e.loadVec(s.S, {p, e.add(j0, e.index(jv * mt.width))});
      });
  for (int64_t r = 0; r < mt.rows; ++r) {
    Value xi = broadcast(e, e.load(s.xi, {e.add(n0, e.index(r))}));
    for (int64_t jv = 0; jv < mt.cols; ++jv)
      acc[r * mt.cols + jv] = e.mul(acc[r * mt.cols + jv], xi);
  }
  return acc;
}

/// acc[r] += sum_{p <= n0 + r + delta, p < pEnd} A[n0 + r][p] Vs[p][j0..]:
/// the intra-tile term of rows n0 + r, delta the token offset of the query
/// tile past the key tile. The columns every row of the block sees,
/// p <= n0 + delta, go through the microkernel; the triangle past them,
/// p = n0 + delta + d for d = 1 .. MR - 1, is unrolled and row r takes
/// column p only for d <= r. A masked column is never read: 0 * v is NaN
/// for an Inf or NaN in v, and v at a later token must not reach row n.
SmallVector<Value> emitScoreTimesValues(TileEmitter &e, const Scratch &s,
                                        ArrayRef<Value> acc, Value n0,
                                        Value j0, Value delta, Value pEnd) {
  const MicroTile &mt = e.microTile();
  OpBuilder &b = e.builder();
  Location loc = e.getLoc();
  auto aAt = [&](int64_t r, Value p) {
    Value row = e.add(n0, e.index(r));
    return e.load(s.A, {row, p});
  };
  auto vAt = [&](int64_t jv, Value p) {
    Value col = e.add(j0, e.index(jv * mt.width));
    return e.loadVec(s.Vs, {p, col});
  };
  Value diagonal = e.add(n0, delta);
  Value afterDiagonal = e.add(diagonal, e.index(1));
  Value shared = e.min(afterDiagonal, pEnd);
  Value begin = e.index(0);
  SmallVector<Value> out = e.rankUpdate(begin, shared, acc, aAt, vAt);
  if (mt.rows == 1)
    return out;
  // The triangle exists only on a tile's diagonal (delta = 0: a key tile
  // before the query tile has delta >= its length >= pEnd), so its columns
  // n0 + d < n0 + MR <= Cp are inside A and Vs; rows past the tile's end
  // read its zero padding and are never stored.
  Value inTriangle = lessThan(e, shared, pEnd);
  SmallVector<Type> types(out.size(), e.vecType());
  auto ifOp = scf::IfOp::create(b, loc, types, inTriangle,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    SmallVector<Value> next(out);
    for (int64_t d = 1; d < mt.rows; ++d) {
      Value p = e.add(diagonal, e.index(d));
      SmallVector<Value> vs;
      for (int64_t jv = 0; jv < mt.cols; ++jv)
        vs.push_back(vAt(jv, p));
      for (int64_t r = d; r < mt.rows; ++r) {
        Value a = broadcast(e, aAt(r, p));
        for (int64_t jv = 0; jv < mt.cols; ++jv) {
          Value &slot = next[r * mt.cols + jv];
          slot = vector::FMAOp::create(b, loc, a, vs[jv], slot);
        }
      }
    }
    scf::YieldOp::create(b, loc, next);
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    scf::YieldOp::create(b, loc, out);
  }
  return SmallVector<Value>(ifOp.getResults());
}

/// S = alpha * S + sum_{p < count} Ktz[i][p] Vs[p][j] (alpha null: 1).
void emitStateUpdate(TileEmitter &e, const Scratch &s, const TileSizes &z,
                     Value alpha, Value count) {
  const MicroTile &mt = e.microTile();
  Value rowBegin = e.index(0), rowEnd = e.index(z.Kp);
  e.loop(rowBegin, rowEnd, mt.rows, [&](Value i0) {
    Value colBegin = e.index(0), colEnd = e.index(z.Vp);
    e.loop(colBegin, colEnd, mt.colBlock(), [&](Value j0) {
      SmallVector<Value> acc;
      Value alphaVec = alpha ? broadcast(e, alpha) : Value();
      for (int64_t r = 0; r < mt.rows; ++r)
        for (int64_t jv = 0; jv < mt.cols; ++jv) {
          Value x = e.loadVec(s.S, {e.add(i0, e.index(r)),
                                    e.add(j0, e.index(jv * mt.width))});
          acc.push_back(alpha ? e.mul(x, alphaVec) : x);
        }
      acc = e.rankUpdate(
          e.index(0), count, acc,
          [&](int64_t r, Value p) {
            return e.load(s.Ktz, {e.add(i0, e.index(r)), p});
          },
          [&](int64_t jv, Value p) {
            return e.loadVec(s.Vs, {p, e.add(j0, e.index(jv * mt.width))});
          });
      for (int64_t r = 0; r < mt.rows; ++r)
        for (int64_t jv = 0; jv < mt.cols; ++jv)
          e.storeVec(acc[r * mt.cols + jv], s.S,
                     {e.add(i0, e.index(r)), e.add(j0, e.index(jv * mt.width))});
    });
  });
}

/// Writes accumulator rows n0 + r < count to o at token row0 + n0 + r.
void storeOutputRows(HeadTask &t, ArrayRef<Value> acc, Value row0, Value n0,
                     Value j0, Value count) {
  TileEmitter &e = t.e;
  const MicroTile &mt = e.microTile();
  for (int64_t r = 0; r < mt.rows; ++r) {
    Value n = e.add(n0, e.index(r));
    e.ifElse(lessThan(e, n, count), [&] {
      for (int64_t jv = 0; jv < mt.cols; ++jv) {
        Value tok = t.token(e.add(row0, n));
        Value col = e.add(j0, e.index(jv * mt.width));
        e.writeRow(acc[r * mt.cols + jv], t.o, t.row, tok, t.hi, col);
      }
    });
  }
}

//===----------------------------------------------------------------------===//
// The three forms
//===----------------------------------------------------------------------===//

void emitChunkwiseHead(HeadTask &t, int64_t chunk) {
  TileEmitter &e = t.e;
  const MicroTile &mt = e.microTile();
  TileSizes z = TileSizes::get(mt, chunk, t.shape);
  Scratch s;
  s.allocate(e, z);
  Value one = e.f32(1.0f);
  // Within-chunk decay: rtab[u] = s gamma^(Cp-1-u), xi[n] = s gamma^(n+1).
  emitDecayTable(e.builder(), e.getLoc(), s.rtab, 2 * z.Cp,
                 e.index(z.Cp - 1), -1, t.log2g, t.scale);
  emitDecayTable(e.builder(), e.getLoc(), s.xi, z.Cp, e.index(1), +1, t.log2g,
                 t.scale);
  if (t.s0)
    packState(t, s.S, z);
  else
    e.zeroTile(s.S);

  Value T = t.T;
  e.loop(e.index(0), T, chunk, [&](Value c0) {
    Value full = e.index(chunk);
    Value count =
        e.min(full, arith::SubIOp::create(e.builder(), e.getLoc(), T, c0));
    Value last = arith::SubIOp::create(e.builder(), e.getLoc(), count,
                                       e.index(1));
    // zeta[m] = gamma^(count-1-m): the decay of token m to the chunk's end.
    emitDecayTable(e.builder(), e.getLoc(), s.zeta, z.Cp, last, -1, t.log2g,
                   one);
    Value at = t.token(c0);
    e.packRows(s.Qs, t.q, t.row, at, t.hi, count);
    e.packTransposed(s.Kt, s.Ktz, s.zeta, t.k, t.row, at, t.hi, count);
    e.packRows(s.Vs, t.v, t.row, at, t.hi, count);
    emitScores(e, s, z, count, e.index(0));
    e.loop(e.index(0), count, mt.rows, [&](Value n0) {
      Value colBegin = e.index(0), colEnd = e.index(z.Vp);
      e.loop(colBegin, colEnd, mt.colBlock(), [&](Value j0) {
        SmallVector<Value> acc = emitStateTerm(e, s, z, n0, j0);
        Value blockEnd = e.add(n0, e.index(mt.rows));
        Value pEnd = e.min(blockEnd, count);
        Value sameTile = e.index(0);
        acc = emitScoreTimesValues(e, s, acc, n0, j0, sameTile, pEnd);
        storeOutputRows(t, acc, c0, n0, j0, count);
      });
    });
    Value decayed =
        emitDecayPower(e.builder(), e.getLoc(), count, t.log2g, one);
    emitStateUpdate(e, s, z, decayed, count);
  });
  unpackState(t, s.S, z);
  s.release(e);
}

void emitParallelHead(HeadTask &t, int64_t tileSize) {
  TileEmitter &e = t.e;
  const MicroTile &mt = e.microTile();
  TileSizes z = TileSizes::get(mt, tileSize, t.shape);
  Scratch s;
  s.allocate(e, z);
  Value Os = e.alloc({z.Cp, z.Vp});
  Value one = e.f32(1.0f);
  Value T = t.T;
  auto sub = [&](Value a, Value c) {
    return arith::SubIOp::create(e.builder(), e.getLoc(), a, c).getResult();
  };
  if (t.s0)
    packState(t, s.S, z);

  // Outputs, one query tile at a time.
  e.loop(e.index(0), T, tileSize, [&](Value t0) {
    Value full = e.index(tileSize);
    Value count = e.min(full, sub(T, t0));
    e.packRows(s.Qs, t.q, t.row, t.token(t0), t.hi, count);
    if (t.s0) {
      // Os = s gamma^(t0+n+1) (Q S0)
      emitDecayTable(e.builder(), e.getLoc(), s.xi, z.Cp,
                     e.add(t0, e.index(1)), +1, t.log2g, t.scale);
      e.loop(e.index(0), count, mt.rows, [&](Value n0) {
        Value colBegin = e.index(0), colEnd = e.index(z.Vp);
        e.loop(colBegin, colEnd, mt.colBlock(), [&](Value j0) {
          SmallVector<Value> acc = emitStateTerm(e, s, z, n0, j0);
          for (int64_t r = 0; r < mt.rows; ++r)
            for (int64_t jv = 0; jv < mt.cols; ++jv)
              e.storeVec(acc[r * mt.cols + jv], Os,
                         {e.add(n0, e.index(r)),
                          e.add(j0, e.index(jv * mt.width))});
        });
      });
    } else {
      e.zeroTile(Os);
    }
    // Key tiles u0 <= t0.
    Value keyBegin = e.index(0), keyEnd = e.add(t0, e.index(1));
    e.loop(keyBegin, keyEnd, tileSize, [&](Value u0) {
      Value keyFull = e.index(tileSize);
      Value keyCount = e.min(keyFull, sub(T, u0));
      Value delta = sub(t0, u0);
      Value keyAt = t.token(u0);
      e.packTransposed(s.Kt, Value(), Value(), t.k, t.row, keyAt, t.hi,
                       keyCount);
      e.packRows(s.Vs, t.v, t.row, keyAt, t.hi, keyCount);
      // rtab[u] = s gamma^(delta + Cp - 1 - u).
      emitDecayTable(e.builder(), e.getLoc(), s.rtab, 2 * z.Cp,
                     e.add(delta, e.index(z.Cp - 1)), -1, t.log2g, t.scale);
      emitScores(e, s, z, count, delta);
      e.loop(e.index(0), count, mt.rows, [&](Value n0) {
        Value blockEnd = e.add(n0, e.index(mt.rows));
        Value reachEnd = e.add(blockEnd, delta);
        Value pEnd = e.min(keyCount, reachEnd);
        Value colBegin = e.index(0), colEnd = e.index(z.Vp);
        e.loop(colBegin, colEnd, mt.colBlock(), [&](Value j0) {
          SmallVector<Value> acc;
          for (int64_t r = 0; r < mt.rows; ++r)
            for (int64_t jv = 0; jv < mt.cols; ++jv)
              acc.push_back(e.loadVec(Os, {e.add(n0, e.index(r)),
                                           e.add(j0, e.index(jv * mt.width))}));
          acc = emitScoreTimesValues(e, s, acc, n0, j0, delta, pEnd);
          for (int64_t r = 0; r < mt.rows; ++r)
            for (int64_t jv = 0; jv < mt.cols; ++jv)
              e.storeVec(acc[r * mt.cols + jv], Os,
                         {e.add(n0, e.index(r)),
                          e.add(j0, e.index(jv * mt.width))});
        });
      });
    });
    e.loop(e.index(0), count, mt.rows, [&](Value n0) {
      Value colBegin = e.index(0), colEnd = e.index(z.Vp);
      e.loop(colBegin, colEnd, mt.colBlock(), [&](Value j0) {
        SmallVector<Value> acc;
        for (int64_t r = 0; r < mt.rows; ++r)
          for (int64_t jv = 0; jv < mt.cols; ++jv)
            acc.push_back(e.loadVec(Os, {e.add(n0, e.index(r)),
                                         e.add(j0, e.index(jv * mt.width))}));
        storeOutputRows(t, acc, t0, n0, j0, count);
      });
    });
  });

  // Final state: gamma^T S0 + sum_m gamma^(T-1-m) k_m^T v_m, each power
  // computed directly from its exponent.
  Value decayAll;
  if (t.s0)
    decayAll = emitDecayPower(e.builder(), e.getLoc(), T, t.log2g, one);
  else
    e.zeroTile(s.S);
  if (decayAll) {
    // Scale S0 once, then accumulate every key tile with alpha = 1.
    Value dv = broadcast(e, decayAll);
    Value rowBegin = e.index(0), rowEnd = e.index(z.Kp);
    e.loop(rowBegin, rowEnd, 1, [&](Value i) {
      Value colBegin = e.index(0), colEnd = e.index(z.Vp);
      e.loop(colBegin, colEnd, mt.width, [&](Value j) {
        e.storeVec(e.mul(e.loadVec(s.S, {i, j}), dv), s.S, {i, j});
      });
    });
  }
  e.loop(e.index(0), T, tileSize, [&](Value u0) {
    Value keyFull = e.index(tileSize);
    Value keyCount = e.min(keyFull, sub(T, u0));
    emitDecayTable(e.builder(), e.getLoc(), s.zeta, z.Cp,
                   sub(sub(T, e.index(1)), u0), -1, t.log2g, one);
    Value keyAt = t.token(u0);
    e.packTransposed(s.Kt, s.Ktz, s.zeta, t.k, t.row, keyAt, t.hi, keyCount);
    e.packRows(s.Vs, t.v, t.row, keyAt, t.hi, keyCount);
    emitStateUpdate(e, s, z, Value(), keyCount);
  });
  unpackState(t, s.S, z);
  e.dealloc(Os);
  s.release(e);
}

void emitRecurrentHead(HeadTask &t) {
  TileEmitter &e = t.e;
  const MicroTile &mt = e.microTile();
  int64_t Vcov = roundUp(t.shape.V, mt.colBlock());
  Value gamma = math::Exp2Op::create(e.builder(), e.getLoc(), t.log2g);
  Value gammaVec = broadcast(e, gamma);
  Value scaleVec = broadcast(e, t.scale);

  // One token: S = gamma S_prev + k^T v, o = s q S; S_prev read from `prev`
  // (null: zero), S written in place to the final-state buffer.
  auto token = [&](Value local, Value prev) {
    Value tok = t.token(local);
    Value colBegin = e.index(0), colEnd = e.index(Vcov);
    e.loop(colBegin, colEnd, mt.colBlock(), [&](Value j0) {
      SmallVector<Value> vv, cols;
      for (int64_t jv = 0; jv < mt.cols; ++jv) {
        cols.push_back(e.add(j0, e.index(jv * mt.width)));
        vv.push_back(e.readRow(t.v, t.row, tok, t.hi, cols.back()));
      }
      SmallVector<Value> acc(mt.cols, e.zeroVec());
      Value kBegin = e.index(0), kEnd = e.index(t.shape.K);
      acc = e.loop(kBegin, kEnd, 1, acc,
                   [&](Value i, ValueRange cur) {
                     Value kk = broadcast(
                         e, loadElementF32(e, t.k, {t.row, tok, t.hi, i}));
                     Value qq = broadcast(
                         e, loadElementF32(e, t.q, {t.row, tok, t.hi, i}));
                     SmallVector<Value> next;
                     for (int64_t jv = 0; jv < mt.cols; ++jv) {
                       Value sv = prev ? e.mul(gammaVec,
                                               e.readStateRow(prev, t.bi, t.hi,
                                                              i, cols[jv]))
                                       : e.zeroVec();
                       sv = vector::FMAOp::create(e.builder(), e.getLoc(), kk,
                                                  vv[jv], sv);
                       e.writeStateRow(sv, t.st, t.bi, t.hi, i, cols[jv]);
                       next.push_back(vector::FMAOp::create(
                           e.builder(), e.getLoc(), qq, sv, cur[jv]));
                     }
                     return next;
                   });
      for (int64_t jv = 0; jv < mt.cols; ++jv)
        e.writeRow(e.mul(acc[jv], scaleVec), t.o, t.row, tok, t.hi, cols[jv]);
    });
  };
  auto tokens = [&] {
    token(e.index(0), t.s0);
    e.loop(e.index(1), t.T, 1, [&](Value tok) { token(tok, t.st); });
  };
  if (!t.first) {
    tokens(); // T >= 1
    return;
  }
  // A packed sequence may have no tokens: its state stays the initial one
  // (copied, unless it is updated in place, or zero).
  Value empty = arith::CmpIOp::create(e.builder(), e.getLoc(),
                                      arith::CmpIPredicate::eq, t.T,
                                      e.index(0));
  e.ifElse(
      empty,
      [&] {
        if (t.s0 == t.st)
          return;
        Value rowBegin = e.index(0), rowEnd = e.index(t.shape.K);
        e.loop(rowBegin, rowEnd, 1, [&](Value i) {
          Value colBegin = e.index(0), colEnd = e.index(Vcov);
          e.loop(colBegin, colEnd, mt.width, [&](Value j) {
            Value x = t.s0 ? e.readStateRow(t.s0, t.bi, t.hi, i, j)
                           : e.zeroVec();
            e.writeStateRow(x, t.st, t.bi, t.hi, i, j);
          });
        });
      },
      tokens);
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

/// The longest chunk (tile side) the CPU lowering accepts.
constexpr int64_t kMaxTile = 4096;

/// The insert_slice that puts recurrent `op`'s final state back where its
/// initial state was extracted from, if the tensor it inserts into has no
/// other use than that extract and this insert; null otherwise.
tensor::InsertSliceOp stateInsertedBack(RetentionOpInterface op) {
  if (!isa<RecurrentOp>(op.getOperation()) || !op.getInitialState())
    return {};
  auto extract = op.getInitialState().getDefiningOp<tensor::ExtractSliceOp>();
  Value final = op.getFinalState();
  if (!extract || !extract->hasOneUse() || !final.hasOneUse())
    return {};
  auto insert = dyn_cast<tensor::InsertSliceOp>(*final.getUsers().begin());
  if (!insert || insert.getDest() != extract.getSource() ||
      insert.getSourceType() != extract.getType())
    return {};
  auto same = [](ArrayRef<OpFoldResult> a, ArrayRef<OpFoldResult> b) {
    return a.size() == b.size() &&
           llvm::all_of(llvm::zip(a, b), [](auto pair) {
             return isEqualConstantIntOrValue(std::get<0>(pair),
                                              std::get<1>(pair));
           });
  };
  if (!same(insert.getMixedOffsets(), extract.getMixedOffsets()) ||
      !same(insert.getMixedSizes(), extract.getMixedSizes()) ||
      !same(insert.getMixedStrides(), extract.getMixedStrides()))
    return {};
  Value whole = extract.getSource();
  for (Operation *user : whole.getUsers())
    if (user != extract.getOperation() && user != insert.getOperation())
      return {};
  // The insert after the op, in one block, so that nothing between them
  // can see the tensor half written.
  if (insert->getBlock() != op->getBlock())
    return {};
  return insert;
}

struct ConvertRetentionToCPUPass
    : public retention::impl::ConvertRetentionToCPUBase<
          ConvertRetentionToCPUPass> {
  using ConvertRetentionToCPUBase::ConvertRetentionToCPUBase;

  LogicalResult lower(IRRewriter &rewriter, RetentionOpInterface op,
                      MicroTile tile) {
    Operation *raw = op.getOperation();
    if (isa<RetentionOp>(raw))
      return raw->emitOpError("has no form yet; run retention-select-form "
                              "before convert-retention-to-cpu");
    RetentionShape shape = op.getRetentionShape();
    bool dynamicT = ShapedType::isDynamic(shape.T);
    bool dynamicB = ShapedType::isDynamic(shape.B);
    if (ShapedType::isDynamic(shape.H) || ShapedType::isDynamic(shape.K) ||
        ShapedType::isDynamic(shape.V))
      return raw->emitOpError("needs static H, K and V to be lowered to the "
                              "CPU (only B and T may be dynamic)");
    // A chunk longer than the sequence is the whole sequence.
    int64_t chunk = 0;
    if (auto chunkwise = dyn_cast<ChunkwiseOp>(raw)) {
      chunk = chunkwise.getChunkSizeAttr().getInt();
      if (!dynamicT)
        chunk = std::min(chunk, shape.T);
      if (chunk > kMaxTile)
        return raw->emitOpError("chunk size ")
               << chunk << " is larger than the CPU lowering supports ("
               << kMaxTile << "): its score tile would be chunk x chunk";
    }
    auto module = raw->getParentOfType<ModuleOp>();
    StringRef global = getOrCreateLog2GammaGlobal(module, op.getGammas());

    Location loc = raw->getLoc();
    rewriter.setInsertionPoint(raw);
    auto toBuffer = [&](Value tensor) -> Value {
      if (!tensor)
        return {};
      auto type = cast<RankedTensorType>(tensor.getType());
      auto memType = MemRefType::get(type.getShape(), type.getElementType());
      return bufferization::ToBufferOp::create(rewriter, loc, memType, tensor,
                                               /*read_only=*/true);
    };
    // A model layer's state: the recurrent form updates it in place when
    // its initial state is a slice of a tensor that its final state goes
    // back into, at the same place, and nothing else uses that tensor;
    // each state element is read before it is written, by the same task
    // (emitRecurrentHead). Otherwise bufferization copies the slice out
    // and the final state back in (two passes over the state a step).
    tensor::InsertSliceOp insertBack = stateInsertedBack(op);
    Value q = toBuffer(op.getQ()), k = toBuffer(op.getK()),
          v = toBuffer(op.getV()),
          s0 = insertBack ? Value() : toBuffer(op.getInitialState());
    // T, from q when it is dynamic.
    Value seqLen =
        dynamicT ? memref::DimOp::create(rewriter, loc, q, 1).getResult()
                 : arith::ConstantIndexOp::create(rewriter, loc, shape.T)
                       .getResult();
    // The sequences: B, from q when it is dynamic (a batched decode
    // step's), or with segments one less than the offsets.
    Value segments = toBuffer(op.getSegments());
    Value nb;
    if (segments) {
      Value offsets = memref::DimOp::create(rewriter, loc, segments, 0);
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      nb = arith::SubIOp::create(rewriter, loc, offsets, one);
    } else if (dynamicB) {
      nb = memref::DimOp::create(rewriter, loc, q, 0);
    } else {
      nb = arith::ConstantIndexOp::create(rewriter, loc, shape.B);
    }
    // o is [B, T, H, V] and the state [B, H, K, V]: dim 0 is B (static 1
    // with segments, the states' dim 0 then N), dim 1 of o is T.
    auto allocFor = [&](Value tensor) -> Value {
      auto type = cast<RankedTensorType>(tensor.getType());
      auto memType = MemRefType::get(type.getShape(), type.getElementType());
      SmallVector<Value> dynamicSizes;
      for (auto [i, d] : llvm::enumerate(type.getShape()))
        if (ShapedType::isDynamic(d))
          dynamicSizes.push_back(i == 0 ? nb : seqLen);
      return memref::AllocOp::create(rewriter, loc, memType, dynamicSizes,
                                     rewriter.getI64IntegerAttr(64));
    };
    Value o = allocFor(op.getOutput());
    Value whole, st;
    if (insertBack) {
      auto extract =
          op.getInitialState().getDefiningOp<tensor::ExtractSliceOp>();
      auto wholeType = cast<RankedTensorType>(insertBack.getDest().getType());
      whole = bufferization::ToBufferOp::create(
          rewriter, loc,
          MemRefType::get(wholeType.getShape(), wholeType.getElementType()),
          insertBack.getDest(), /*read_only=*/false);
      auto sliceType = cast<RankedTensorType>(extract.getType());
      auto subType = memref::SubViewOp::inferRankReducedResultType(
          sliceType.getShape(), cast<MemRefType>(whole.getType()),
          extract.getMixedOffsets(), extract.getMixedSizes(),
          extract.getMixedStrides());
      s0 = st = memref::SubViewOp::create(
          rewriter, loc, cast<MemRefType>(subType), whole,
          extract.getMixedOffsets(), extract.getMixedSizes(),
          extract.getMixedStrides());
    } else {
      st = allocFor(op.getFinalState());
    }

    Value c0 = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value nh = arith::ConstantIndexOp::create(rewriter, loc, shape.H);
    double scale = op.getEffectiveScale();
    scf::ParallelOp::create(
        rewriter, loc, ValueRange{c0, c0}, ValueRange{nb, nh},
        ValueRange{c1, c1}, [&](OpBuilder &b, Location loc, ValueRange ivs) {
          TileEmitter e(b, loc, tile);
          HeadTask task{e, shape, q, k, v, s0, o, st, ivs[0], ivs[1],
                        emitLoadLog2Gamma(b, loc, global, shape.H, ivs[1]),
                        e.f32(float(scale)), seqLen, ivs[0], Value()};
          if (segments) {
            // Sequence b: tokens [offsets[b], offsets[b + 1]) of row 0.
            auto offsetAt = [&](Value i) -> Value {
              Value x = memref::LoadOp::create(b, loc, segments, i);
              return arith::IndexCastOp::create(b, loc, b.getIndexType(), x);
            };
            task.row = e.index(0);
            task.first = offsetAt(ivs[0]);
            Value end = offsetAt(e.add(ivs[0], e.index(1)));
            task.T = arith::SubIOp::create(b, loc, end, task.first);
          }
          if (isa<ChunkwiseOp>(raw))
            emitChunkwiseHead(task, chunk);
          else if (isa<ParallelOp>(raw))
            emitParallelHead(task, dynamicT ? int64_t(parallelTile)
                                            : std::min<int64_t>(parallelTile,
                                                                shape.T));
          else
            emitRecurrentHead(task);
        });
    Value oT = bufferization::ToTensorOp::create(
        rewriter, loc, op.getOutput().getType(), o, /*restrict=*/true);
    if (insertBack) {
      // The slice written in place: the tensor after the insert is the
      // whole buffer as the kernel left it.
      auto extract =
          op.getInitialState().getDefiningOp<tensor::ExtractSliceOp>();
      Value updated = bufferization::ToTensorOp::create(
          rewriter, loc, insertBack.getType(), whole, /*restrict=*/true,
          /*writable=*/true);
      rewriter.replaceOp(insertBack, updated);
      rewriter.replaceOp(raw, ValueRange{oT, Value()});
      if (extract->use_empty())
        rewriter.eraseOp(extract);
      return success();
    }
    Value stT = bufferization::ToTensorOp::create(
        rewriter, loc, op.getFinalState().getType(), st, /*restrict=*/true);
    rewriter.replaceOp(raw, ValueRange{oT, stT});
    return success();
  }

  void runOnOperation() override {
    MicroTile tile{vectorWidth, microRows, microCols};
    if (tile.width <= 0 || tile.rows <= 0 || tile.cols <= 0 ||
        parallelTile <= 0 || parallelTile > kMaxTile || tile.width > 64 ||
        tile.rows > 64 || tile.cols > 64) {
      getOperation()->emitError("convert-retention-to-cpu: vector-width, mr "
                                "and nr must be in [1, 64] and parallel-tile "
                                "in [1, 4096]");
      return signalPassFailure();
    }
    SmallVector<RetentionOpInterface> ops;
    getOperation()->walk([&](RetentionOpInterface op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (RetentionOpInterface op : ops)
      if (failed(lower(rewriter, op, tile)))
        return signalPassFailure();
  }
};

} // namespace
