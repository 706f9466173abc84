//===- GemvKernel.cpp - retention.linear for a few rows of x --------------===//
//
// See GemvKernel.h. Why SIMT FMAs up to M = 16 (kGemvMaxRows): every weight
// element read costs M FMAs, about one conversion to f32 and, with four
// rows a warp, M / 16 shared loads of x (two 16-byte loads give a lane
// eight f32 values of x, used for four rows): about M + 1 + M / 16 issued
// instructions an element. An H100 SXM issues 128 lanes' instructions a
// cycle on each of its 132 SMs at ~1.75 GHz, 2.96e13 a second; at M = 16
// that is 1.64e12 bf16 elements a second, 3.3 TB/s, just above its copy
// bandwidth (~3.0 TB/s), so the weight stream still sets the time (with
// no margin: the shared loads of x also run at the FMA rate there). At
// M = 32 it would be 1.7 TB/s: there the tensor-core kernels take over.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GemvKernel.h"
#include "codegen/gpu/GpuKernelBuilder.h"
#include "codegen/gpu/MmaFragments.h"
#include "codegen/gpu/WarpgroupMma.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::retention;

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t roundUp(int64_t a, int64_t b) { return ceilDiv(a, b) * b; }

/// Columns of x one warp k-step may cover at most: 32 lanes of 8 halves.
/// block_k is a multiple of it, so a slice is whole k-steps of any width.
constexpr int64_t kWarpStepMax = 256;

/// One gemv kernel's sizes, from the op and its schedule.
struct GemvShape {
  int64_t M, N, K;
  int64_t BM, BN, BK;
  int64_t rowsPerWarp, warps, groupSteps; ///< thread_n, warps_n, stages
  int64_t weights; ///< 1, or 2 (swiglu_linear: the gate and up weights)
  int64_t v;     ///< elements of one weight load
  int64_t W;     ///< columns of one warp k-step: 32 * v
  int64_t piece; ///< elements of x one staging load reads: v, at most 4
                 ///< but for 8 (a lane's two runs of four)
  Type xElt, wElt;

  int64_t threads() const { return 32 * warps; }
  /// Where lane l's first x value of a k-step lies in the staged slice,
  /// as a multiple of l: with 8-element loads the lane's eight values are
  /// two runs of four, at 4l and 128 + 4l of the step, so that a warp's
  /// 16-byte shared loads cover 512 contiguous bytes (no bank conflicts);
  /// otherwise its v values at v * l.
  int64_t laneStrideX() const { return v == 8 ? 4 : v; }
};

/// The kernel body's values: operands, thread indices, what the block
/// computed before its columns (a group's matrices share all but the weight
/// and y).
struct GemvValues {
  Value x, weight, residual, y; ///< residual may be null
  Value up;                     ///< swiglu_linear's up weight, or null
  Value norm;                   ///< the fused norm's weight [K], or null
  double normEps = 0;
  /// A gated head norm (retention.linear's norm_head_dim, gate): x is
  /// normalized per head of `headDim` columns with the norm weight [headDim]
  /// and times swish(gate) as it is staged; `factors` [BM * heads] holds
  /// each (row, head)'s 1 / rms. Null `factors`: a norm over whole rows.
  int64_t headDim = 0, heads = 1;
  Value gate, factors;
  /// With a norm: 1 / rms of each of the block's BM rows of x (every
  /// thread holds all of them), which scales the sums as they are stored.
  SmallVector<Value> invRms;
  Value xs;                     ///< the staged slice [BM][BK] f32
  Value tid, warp, lane;
  Value m0;       ///< the block's first row of x
  Value n0;       ///< the warp's first weight row (output column)
  SmallVector<Value> rows; ///< its rows, clamped to N - 1 for the loads
  Value laneW;    ///< lane * v: the lane's first column of a k-step
  Value laneX;    ///< lane * laneStrideX(): its first staged x value
  /// The run-time M and M - 1 (GemmSignature::numRows), or null: g.M.
  Value rowsM, lastRowM;
};

/// The kernel body's builder.
struct GemvBuilder : GemvValues {
  Emitter &e;
  const GemvShape &g;

  GemvBuilder(Emitter &e, const GemvShape &g) : e(e), g(g) {}

  Value divui(Value a, int64_t d) {
    return arith::DivUIOp::create(e.b, e.loc, a, e.idx(d));
  }
  Value remui(Value a, int64_t d) {
    return arith::RemUIOp::create(e.b, e.loc, a, e.idx(d));
  }
  Value muliC(Value a, int64_t c) { return e.muli(a, e.idx(c)); }
  Value addiC(Value a, int64_t c) { return e.addi(a, e.idx(c)); }
  Value subi(Value a, int64_t c) { return e.subi(a, e.idx(c)); }
  /// swish(g) = g / (1 + exp(-g)), as the row kernels compute it.
  Value swish(Value g) {
    Value negated = arith::NegFOp::create(e.b, e.loc, g);
    Value exp = math::ExpOp::create(e.b, e.loc, negated);
    return arith::DivFOp::create(e.b, e.loc, g, e.addf(e.f32(1), exp));
  }
  Value toF32(Value vec) {
    auto vt = cast<VectorType>(vec.getType());
    if (vt.getElementType().isF32())
      return vec;
    auto ft = VectorType::get(vt.getShape(), e.b.getF32Type());
    return arith::ExtFOp::create(e.b, e.loc, ft, vec);
  }
  SmallVector<Value> elements(Value vec) {
    SmallVector<Value> out;
    int64_t n = cast<VectorType>(vec.getType()).getNumElements();
    for (int64_t j = 0; j < n; ++j)
      out.push_back(vector::ExtractOp::create(e.b, e.loc, vec, j));
    return out;
  }

  /// Stages columns [k0, k0 + length) of the block's rows of x into xs as
  /// f32, in the lanes' order (laneStrideX), with zeros for rows past M
  /// and columns past K up to the end of the last k-step: a lane whose
  /// weight piece lies past K multiplies a zero weight by them, and stale
  /// shared memory might hold a NaN. Thread t takes pieces t, t + threads,
  /// .., a batch of them at a time: all the batch's loads (L2 hits, each
  /// ~600 cycles away) go out before the first is converted and stored, so
  /// that staging x costs a few latencies, not one a piece (M = 16, K =
  /// 2048: 16 pieces a thread). The batches of whole rounds are a loop, so
  /// that a wide slice holds no more registers than one batch: 256 bytes a
  /// thread, or 128 where `sumsLive` (a slice after the first) holds 4M
  /// sums beside it with M > 4 (M = 16, K = 5000: 132 bytes of spills at
  /// 256).
  void stageX(Value k0, int64_t length, bool sumsLive) {
    int64_t perRow = roundUp(length, g.W) / g.piece;
    int64_t total = g.BM * perRow, threads = g.threads();
    int64_t rounds = total / threads, rest = total % threads;
    int64_t pieceBytes = g.piece * g.xElt.getIntOrFloatBitWidth() / 8;
    int64_t batchBytes = sumsLive && g.BM > 4 ? 128 : 256;
    int64_t batch = std::clamp<int64_t>(batchBytes / pieceBytes, 1, 16);
    int64_t loopBatches = rounds / batch;
    if (loopBatches == 1) {
      stagePieces(k0, e.idx(0), batch, perRow);
    } else if (loopBatches > 1) {
      e.loop(e.idx(0), e.idx(loopBatches), e.idx(1), [&](Value b) {
        Value firstRound = muliC(b, batch);
        stagePieces(k0, firstRound, batch, perRow);
      });
    }
    if (rounds % batch)
      stagePieces(k0, e.idx(loopBatches * batch), rounds % batch,
                  perRow);
    if (rest) {
      Value piece = addiC(tid, rounds * threads);
      e.ifThen(e.lt(piece, e.idx(total)),
               [&] { stagePieces(k0, e.idx(rounds), 1, perRow); });
    }
  }

  /// Stages this thread's pieces of rounds firstRound .. + count of the
  /// slice at k0: their loads first (from clamped, always valid
  /// addresses), then each zeroed where outside x, converted and stored.
  void stagePieces(Value k0, Value firstRound, int64_t count,
                   int64_t perRow) {
    int64_t p = g.piece;
    auto loadType = VectorType::get({p}, g.xElt);
    int64_t bytes = p * g.xElt.getIntOrFloatBitWidth() / 8;
    SmallVector<Value> insides, values, cols, kLoads, mLoads;
    SmallVector<Value> rowsOf;
    for (int64_t r = 0; r < count; ++r) {
      Value round = addiC(firstRound, r);
      Value first = muliC(round, g.threads());
      Value piece = e.addi(first, tid);
      Value i = divui(piece, perRow);
      Value c = remui(piece, perRow);
      Value kk = muliC(c, p);
      Value m = e.addi(m0, i);
      Value k = e.addi(k0, kk);
      Value rowInside = e.lt(m, rowsM ? rowsM : e.idx(g.M));
      Value inside = e.andi(rowInside, e.lt(k, e.idx(g.K)));
      // Rows past M read the last row: in bounds, and with a run-time M
      // no row past it is read.
      Value mLoad = e.mini(m, lastRowM ? lastRowM : e.idx(g.M - 1));
      Value kLoad = e.mini(k, e.idx(g.K - p));
      values.push_back(vector::LoadOp::create(
          e.b, e.loc, loadType, x, ValueRange{mLoad, kLoad},
          /*nontemporal=*/false,
          llvm::MaybeAlign(std::min<int64_t>(bytes, 16))));
      insides.push_back(inside);
      mLoads.push_back(mLoad);
      rowsOf.push_back(i);
      cols.push_back(c);
      kLoads.push_back(kLoad);
    }
    Value zeros = arith::ConstantOp::create(
        e.b, e.loc, DenseElementsAttr::get(loadType, e.b.getZeroAttr(g.xElt)));
    SmallVector<Value> scales;
    if (factors)
      for (int64_t r = 0; r < count; ++r)
        scales.push_back(headScales(rowsOf[r], mLoads[r], kLoads[r]));
    else if (norm)
      for (int64_t r = 0; r < count; ++r)
        scales.push_back(vector::LoadOp::create(
            e.b, e.loc, VectorType::get({p}, e.b.getF32Type()), norm,
            ValueRange{kLoads[r]}, /*nontemporal=*/false,
            llvm::MaybeAlign(std::min<int64_t>(4 * p, 16))));
    for (int64_t r = 0; r < count; ++r) {
      Value kept = e.select(insides[r], values[r], zeros);
      Value f = toF32(kept);
      if (norm)
        f = e.mulf(f, scales[r]);
      Value kk = muliC(cols[r], p);
      if (g.v != 8) {
        storeVector(e, f, xs, {rowsOf[r], kk});
        continue;
      }
      // A piece is lane (c % 32)'s eight values of k-step c / 32: two runs
      // of four, at 4 * lane and 128 + 4 * lane of the step.
      Value step = divui(cols[r], 32);
      Value laneOf = remui(cols[r], 32);
      Value stepBase = muliC(step, 256);
      Value laneBase = muliC(laneOf, 4);
      Value lo = e.addi(stepBase, laneBase);
      Value hi = addiC(lo, 128);
      Value loRun = vector::ShuffleOp::create(e.b, e.loc, f, f,
                                              ArrayRef<int64_t>{0, 1, 2, 3});
      Value hiRun = vector::ShuffleOp::create(e.b, e.loc, f, f,
                                              ArrayRef<int64_t>{4, 5, 6, 7});
      storeVector(e, loRun, xs, {rowsOf[r], lo});
      storeVector(e, hiRun, xs, {rowsOf[r], hi});
    }
  }

  /// The weight matrices the warps stream: the weight, then the up weight.
  SmallVector<Value, 2> matrices() const {
    SmallVector<Value, 2> out = {weight};
    if (up)
      out.push_back(up);
    return out;
  }
  /// The sums a lane keeps for each row of x: rows of every matrix.
  int64_t sumsPerRow() const { return g.weights * g.rowsPerWarp; }

  /// The gated head norm's factors of the staging piece of row m (block
  /// row; loaded at row mLoad) at column kLoad: for each element, its
  /// (row, head)'s 1 / rms times the norm weight at its place in the head,
  /// times swish(gate) with a gate.
  Value headScales(Value m, Value mLoad, Value kLoad) {
    int64_t p = g.piece;
    SmallVector<Value> gates;
    if (gate) {
      Type gateElt = cast<MemRefType>(gate.getType()).getElementType();
      Value piece = toF32(loadVector(e, VectorType::get({p}, gateElt), gate,
                                     {mLoad, kLoad}));
      gates = elements(piece);
    }
    SmallVector<Value> out;
    for (int64_t j = 0; j < p; ++j) {
      Value col = addiC(kLoad, j);
      Value head = divui(col, headDim);
      Value within = remui(col, headDim);
      Value at = e.addi(muliC(m, heads), head);
      Value factor = memref::LoadOp::create(e.b, e.loc, factors, at);
      Value weight = memref::LoadOp::create(e.b, e.loc, norm, within);
      Value scale = e.mulf(factor, weight);
      if (gate)
        scale = e.mulf(scale, swish(gates[j]));
      out.push_back(scale);
    }
    return vector::FromElementsOp::create(
        e.b, e.loc, VectorType::get({p}, e.b.getF32Type()), out);
  }

  /// The gated head norm's `factors`: warp w takes (row, head) pairs w, w
  /// + warps, ..; its lanes sum the squares of the head's columns (pieces
  /// of 4, 2 or 1, the widest dividing headDim), meet in xor shuffles,
  /// and lane 0 stores the pair's 1 / rms (0 for rows past M). Then a
  /// barrier: every thread reads them while staging.
  void computeHeadNormFactors() {
    int64_t p = headDim % 4 == 0 ? 4 : headDim % 2 == 0 ? 2 : 1;
    int64_t pairs = g.BM * heads;
    int64_t rounds = ceilDiv(pairs, g.warps);
    int64_t steps = ceilDiv(headDim, 32 * p);
    auto pieceType = VectorType::get({p}, g.xElt);
    e.loop(e.idx(0), e.idx(rounds), e.idx(1), [&](Value round) {
      Value pair = e.addi(muliC(round, g.warps), warp);
      e.ifThen(e.lt(pair, e.idx(pairs)), [&] {
        Value m = divui(pair, heads);
        Value head = remui(pair, heads);
        Value row = e.addi(m0, m);
        Value rowInside = e.lt(row, rowsM ? rowsM : e.idx(g.M));
        Value rowLoad = e.mini(row, lastRowM ? lastRowM : e.idx(g.M - 1));
        Value headStart = muliC(head, headDim);
        Value sum = e.f32(0);
        for (int64_t t = 0; t < steps; ++t) {
          Value within = addiC(muliC(lane, p), t * 32 * p);
          Value ok = e.andi(rowInside, e.lt(within, e.idx(headDim)));
          Value colLoad = e.addi(headStart,
                                 e.mini(within, e.idx(headDim - p)));
          Value v =
              toF32(maskedLoad(e, ok, pieceType, x, {rowLoad, colLoad}));
          for (Value el : elements(v))
            sum = e.fma(el, el, sum);
        }
        for (int32_t d = 16; d >= 1; d /= 2) {
          auto shuffle = gpu::ShuffleOp::create(e.b, e.loc, sum, d, 32,
                                                gpu::ShuffleMode::XOR);
          sum = e.addf(sum, shuffle.getShuffleResult());
        }
        Value mean = arith::DivFOp::create(e.b, e.loc, sum,
                                           e.f32(double(headDim)));
        Value inv = math::RsqrtOp::create(e.b, e.loc,
                                          e.addf(mean, e.f32(normEps)));
        Value factor = e.select(rowInside, inv, e.f32(0));
        e.ifThen(e.lt(lane, e.idx(1)), [&] {
          memref::StoreOp::create(e.b, e.loc, factor, factors, pair);
        });
      });
    });
    gpu::BarrierOp::create(e.b, e.loc);
  }

  /// The lane's weight pieces of k-steps group * stages + u, u < count, of
  /// the slice at k0 (u-major, then each matrix's rows of the warp). Where `group` is a
  /// constant, the pieces of a k-step that reaches past `length` (the
  /// slice's end) at or past it are zeros, not loaded; a group known only
  /// at run time must lie inside.
  SmallVector<Value> loadGroup(Value k0, Value group, int64_t count,
                               int64_t length) {
    auto wordType = VectorType::get({g.v}, g.wElt);
    std::optional<int64_t> constGroup = getConstantIntValue(group);
    SmallVector<Value> words;
    Value first = muliC(group, g.groupSteps);
    for (int64_t u = 0; u < count; ++u) {
      bool masked =
          constGroup && ((*constGroup * g.groupSteps + u) + 1) * g.W > length;
      Value step = addiC(first, u);
      Value stepCol = muliC(step, g.W);
      Value rel = e.addi(stepCol, laneW);
      Value k = e.addi(k0, rel);
      Value inside = masked ? e.lt(rel, e.idx(length)) : Value();
      for (Value matrix : matrices())
        for (int64_t r = 0; r < g.rowsPerWarp; ++r)
          words.push_back(masked ? maskedLoad(e, inside, wordType, matrix,
                                              {rows[r], k})
                                 : loadVector(e, wordType, matrix,
                                              {rows[r], k}));
    }
    return words;
  }

  /// Adds the products of the first `steps` k-steps of `words` (group
  /// `group` of the slice) to acc[r * BM + m], r over the rows of every
  /// matrix (matrix-major).
  void sumGroup(Value group, ArrayRef<Value> words, int64_t steps,
                SmallVector<Value> &acc) {
    Value first = muliC(group, g.groupSteps);
    for (int64_t u = 0; u < steps; ++u) {
      Value step = addiC(first, u);
      Value stepCol = muliC(step, g.W);
      Value xAt = e.addi(stepCol, laneX);
      SmallVector<SmallVector<Value>> w;
      for (int64_t r = 0; r < sumsPerRow(); ++r)
        w.push_back(elements(toF32(words[u * sumsPerRow() + r])));
      for (int64_t m = 0; m < g.BM; ++m) {
        Value row = e.idx(m);
        SmallVector<Value> xv;
        if (g.v == 8) {
          auto four = VectorType::get({4}, e.b.getF32Type());
          Value lo = loadVector(e, four, xs, {row, xAt});
          Value hiAt = addiC(xAt, 128);
          Value hi = loadVector(e, four, xs, {row, hiAt});
          xv = elements(lo);
          xv.append(elements(hi));
        } else {
          auto vt = VectorType::get({g.v}, e.b.getF32Type());
          xv = elements(loadVector(e, vt, xs, {row, xAt}));
        }
        for (int64_t r = 0; r < sumsPerRow(); ++r) {
          Value &sum = acc[r * g.BM + m];
          for (int64_t j = 0; j < g.v; ++j)
            sum = e.fma(xv[j], w[r][j], sum);
        }
      }
    }
  }

  /// The fused norm's invRms: each thread sums the squares of its pieces
  /// of every one of the block's rows of x (pieces tid, tid + threads, ..
  /// of 4, 2 or 1 elements; rows past M count nothing), the warp's sums
  /// meet in xor shuffles and the warps' in `partials` [warps][BM]; every
  /// thread then adds the warps' sums of each row itself, in the same
  /// order, so that all hold the same factors. x is read again when it is
  /// staged (8 KB a row at K = 2048, from L2).
  void computeNormFactors(Value partials) {
    int64_t p = g.K % 4 == 0 ? 4 : g.K % 2 == 0 ? 2 : 1;
    int64_t perRow = g.K / p, threads = g.threads();
    int64_t rounds = ceilDiv(perRow, threads);
    auto pieceType = VectorType::get({p}, g.xElt);
    SmallVector<Value> init(g.BM, e.f32(0));
    auto loop = scf::ForOp::create(
        e.b, e.loc, e.idx(0), e.idx(rounds), e.idx(1), init,
        [&](OpBuilder &nb, Location, Value round, ValueRange carried) {
          OpBuilder::InsertionGuard guard(e.b);
          e.b.setInsertionPoint(nb.getInsertionBlock(),
                                nb.getInsertionPoint());
          Value first = muliC(round, threads);
          Value piece = e.addi(first, tid);
          Value colInside = e.lt(piece, e.idx(perRow));
          Value col = muliC(piece, p);
          Value colLoad = e.mini(col, e.idx(g.K - p));
          SmallVector<Value> sums(carried);
          for (int64_t m = 0; m < g.BM; ++m) {
            Value row = addiC(m0, m);
            Value rowInside = e.lt(row, rowsM ? rowsM : e.idx(g.M));
            Value ok = e.andi(colInside, rowInside);
            Value rowLoad = e.mini(row, lastRowM ? lastRowM : e.idx(g.M - 1));
            Value v = toF32(maskedLoad(e, ok, pieceType, x, {rowLoad, colLoad}));
            for (Value el : elements(v))
              sums[m] = e.fma(el, el, sums[m]);
          }
          scf::YieldOp::create(e.b, e.loc, sums);
        });
    SmallVector<Value> sums(loop.getResults());
    Value warp = divui(tid, 32);
    for (int64_t m = 0; m < g.BM; ++m) {
      for (int32_t d = 16; d >= 1; d /= 2) {
        auto shuffle = gpu::ShuffleOp::create(e.b, e.loc, sums[m], d, 32,
                                              gpu::ShuffleMode::XOR);
        sums[m] = e.addf(sums[m], shuffle.getShuffleResult());
      }
    }
    Value lane0 = e.lt(lane, e.idx(1));
    e.ifThen(lane0, [&] {
      for (int64_t m = 0; m < g.BM; ++m) {
        Value at = addiC(muliC(warp, g.BM), m);
        memref::StoreOp::create(e.b, e.loc, sums[m], partials, at);
      }
    });
    gpu::BarrierOp::create(e.b, e.loc);
    for (int64_t m = 0; m < g.BM; ++m) {
      Value total = e.f32(0);
      for (int64_t w = 0; w < g.warps; ++w)
        total = e.addf(total, memref::LoadOp::create(
                                  e.b, e.loc, partials,
                                  ValueRange{e.idx(w * g.BM + m)}));
      Value mean = arith::DivFOp::create(e.b, e.loc, total, e.f32(double(g.K)));
      Value shifted = e.addf(mean, e.f32(normEps));
      invRms.push_back(math::RsqrtOp::create(e.b, e.loc, shifted));
    }
  }

  /// One slice of x: columns [k0, k0 + length), staged, then every weight
  /// piece of the warp's rows there summed into acc, a group of `stages`
  /// k-steps at a time. The first group's loads go out before the staging
  /// (they need no x), each next group's before a group is summed. Only
  /// the last group may hold pieces past the slice (lanes past its end in
  /// the last k-step, or k-steps past it): it is loaded after the loop,
  /// its index a constant, so that its masks and missing k-steps are known
  /// here and the loop's loads need no condition.
  void slice(Value k0, int64_t length, bool barrierFirst,
             SmallVector<Value> &acc) {
    int64_t steps = ceilDiv(length, g.W);
    int64_t groups = ceilDiv(steps, g.groupSteps);
    int64_t lastSteps = steps - (groups - 1) * g.groupSteps;
    SmallVector<Value> words =
        loadGroup(k0, e.idx(0), groups == 1 ? lastSteps : g.groupSteps,
                  length);
    // The previous slice's x is read until every warp is here.
    if (barrierFirst)
      gpu::BarrierOp::create(e.b, e.loc);
    stageX(k0, length, /*sumsLive=*/barrierFirst);
    gpu::BarrierOp::create(e.b, e.loc);
    if (groups > 2) {
      size_t numAcc = acc.size();
      SmallVector<Value> init(acc);
      init.append(words);
      auto loop = scf::ForOp::create(
          e.b, e.loc, e.idx(0), e.idx(groups - 2), e.idx(1), init,
          [&](OpBuilder &nb, Location, Value group, ValueRange carried) {
            OpBuilder::InsertionGuard guard(e.b);
            e.b.setInsertionPoint(nb.getInsertionBlock(),
                                  nb.getInsertionPoint());
            Value nextGroup = addiC(group, 1);
            SmallVector<Value> next =
                loadGroup(k0, nextGroup, g.groupSteps, length);
            SmallVector<Value> sums(carried.take_front(numAcc));
            SmallVector<Value> cur(carried.drop_front(numAcc));
            sumGroup(group, cur, g.groupSteps, sums);
            sums.append(next);
            scf::YieldOp::create(e.b, e.loc, sums);
          });
      ValueRange results = loop.getResults();
      acc.assign(results.begin(), results.begin() + numAcc);
      words.assign(results.begin() + numAcc, results.end());
    }
    if (groups > 1) {
      SmallVector<Value> last =
          loadGroup(k0, e.idx(groups - 1), lastSteps, length);
      sumGroup(e.idx(groups - 2), words, g.groupSteps, acc);
      words = last;
    }
    sumGroup(e.idx(groups - 1), words, lastSteps, acc);
  }

  /// y[row][col] = value (+ residual[row][col]), or with an up weight
  /// swish(values[0]) * values[1], where `ok` and (row, col) is inside;
  /// with a fused norm each value is first scaled by its row's 1 / rms.
  void store(Value ok, Value row, Value col, ArrayRef<Value> values) {
    Value rowInside = e.lt(row, rowsM ? rowsM : e.idx(g.M));
    Value inside = e.andi(rowInside, e.lt(col, e.idx(g.N)));
    if (ok)
      inside = e.andi(inside, ok);
    e.ifThen(inside, [&] {
      SmallVector<Value, 2> scaled(values);
      if (norm && !factors) {
        // The row's factor: a select over the block's rows.
        Value m = e.subi(row, m0);
        Value factor = invRms[0];
        for (int64_t j = 1; j < g.BM; ++j) {
          Value isRow = arith::CmpIOp::create(
              e.b, e.loc, arith::CmpIPredicate::eq, m, e.idx(j));
          factor = e.select(isRow, invRms[j], factor);
        }
        for (Value &v : scaled)
          v = e.mulf(v, factor);
      }
      Value out = up ? e.mulf(swish(scaled[0]), scaled[1]) : scaled[0];
      if (residual)
        out = e.addf(out, e.load(residual, {row, col}));
      e.store(out, y, {row, col});
    });
  }

  /// This builder for another matrix of a group: the same x, norm factors
  /// and thread indices, `weight` and `y` of `shape` (its N).
  GemvBuilder forMatrix(const GemvShape &shape, Value matrix, Value out) const {
    GemvBuilder k(e, shape);
    static_cast<GemvValues &>(k) = *this;
    k.weight = matrix;
    k.y = out;
    return k;
  }

  /// The block's outputs from column `blockN0`: each warp's rows of the
  /// weight(s), summed over every slice of K, reduced and stored.
  void columns(Value blockN0) {
    Value warpRow0 = muliC(warp, g.rowsPerWarp);
    n0 = e.addi(blockN0, warpRow0);
    // Rows past N load row N - 1 (in bounds; never stored), so that the
    // streaming loads need no condition.
    rows.clear();
    for (int64_t r = 0; r < g.rowsPerWarp; ++r) {
      Value row = addiC(n0, r);
      rows.push_back(e.mini(row, e.idx(g.N - 1)));
    }
    SmallVector<Value> acc(g.weights * g.rowsPerWarp * g.BM, e.f32(0));
    // Whole slices of block_k columns (a loop where there are several),
    // then the rest of K.
    int64_t whole = g.K / g.BK, rest = g.K % g.BK;
    if (whole >= 2) {
      auto loop = scf::ForOp::create(
          e.b, e.loc, e.idx(0), e.idx(whole), e.idx(1), acc,
          [&](OpBuilder &nb, Location, Value sliceIndex, ValueRange carried) {
            OpBuilder::InsertionGuard guard(e.b);
            e.b.setInsertionPoint(nb.getInsertionBlock(),
                                  nb.getInsertionPoint());
            SmallVector<Value> sums(carried);
            Value k0 = muliC(sliceIndex, g.BK);
            slice(k0, g.BK, /*barrierFirst=*/true, sums);
            scf::YieldOp::create(e.b, e.loc, sums);
          });
      acc.assign(loop.getResults().begin(), loop.getResults().end());
    } else if (whole == 1) {
      slice(e.idx(0), g.BK, /*barrierFirst=*/false, acc);
      // The sums are finished before the next slice's barrier: else LLVM
      // sinks the slice's last FMAs below it and the staging, next to
      // their use, holding every x value they read across it (M = 16, K =
      // 5000: 1.8 KB of spills).
      if (rest)
        acc = fenceOperands(e, acc);
    }
    if (rest)
      slice(e.idx(whole * g.BK), rest, /*barrierFirst=*/whole > 0, acc);
    reduceAndStore(acc);
  }

  /// The length `reduce` pads a list of `count` sums to: a power of two up
  /// to 32, else a multiple of 32, so that every halving is even.
  static int64_t paddedLength(int64_t count) {
    return count <= 32 ? int64_t(llvm::PowerOf2Ceil(count))
                       : roundUp(count, 32);
  }

  /// A list of partial sums reduced over the warp's lanes: the lane's
  /// whole sums, the list index of the first, and whether the lane merely
  /// duplicates a lower lane's sums (null: never).
  struct Reduced {
    SmallVector<Value> sums;
    Value index, duplicate;
  };

  /// Sums `list` over the warp's lanes. A reduce-scatter: at each shuffle
  /// distance d (16, 8, .., 1) while a lane holds two or more partial
  /// sums, the lanes whose bit d is clear keep the first half of their
  /// list and send the second, the others the reverse, so each step halves
  /// the list (about one shuffle per output in all, not five); a list of
  /// one is summed whole. Each lane ends with whole sums of a known part
  /// of the list. Which part depends on the list's length only.
  Reduced reduce(SmallVector<Value> list) {
    int64_t padded = paddedLength(int64_t(list.size()));
    while (int64_t(list.size()) < padded)
      list.push_back(e.f32(0));
    Reduced out;
    out.index = e.idx(0);
    for (int32_t d = 16; d >= 1; d /= 2) {
      Value dBit = arith::AndIOp::create(e.b, e.loc, lane, e.idx(d));
      Value upper = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::ne,
                                          dBit, e.idx(0));
      if (list.size() == 1) {
        auto shuffle = gpu::ShuffleOp::create(e.b, e.loc, list[0], d, 32,
                                              gpu::ShuffleMode::XOR);
        list[0] = e.addf(list[0], shuffle.getShuffleResult());
        out.duplicate = out.duplicate ? arith::OrIOp::create(
                                            e.b, e.loc, out.duplicate, upper)
                                      : upper;
        continue;
      }
      size_t half = list.size() / 2;
      SmallVector<Value> kept;
      for (size_t i = 0; i < half; ++i) {
        Value send = e.select(upper, list[i], list[i + half]);
        Value keep = e.select(upper, list[i + half], list[i]);
        auto shuffle =
            gpu::ShuffleOp::create(e.b, e.loc, send, d, 32,
                                   gpu::ShuffleMode::XOR);
        kept.push_back(e.addf(keep, shuffle.getShuffleResult()));
      }
      list = kept;
      Value halfIndex = e.idx(int64_t(half));
      Value zero = e.idx(0);
      Value offset = e.select(upper, halfIndex, zero);
      out.index = e.addi(out.index, offset);
    }
    out.sums = list;
    return out;
  }

  /// Sums acc (each matrix's rows r * BM + m, matrix-major) over the
  /// warp's lanes and stores the outputs: each matrix's list is reduced
  /// alike, so a lane holds the gate and up sums of the same outputs.
  void reduceAndStore(ArrayRef<Value> acc) {
    int64_t count = g.rowsPerWarp * g.BM;
    int64_t padded = paddedLength(count);
    SmallVector<Reduced> lists;
    for (int64_t w = 0; w < g.weights; ++w)
      lists.push_back(reduce(SmallVector<Value>(acc.slice(w * count, count))));
    const Reduced &first = lists.front();
    Value stores;
    if (first.duplicate) {
      Value t = arith::ConstantIntOp::create(e.b, e.loc, 1, 1);
      stores = arith::XOrIOp::create(e.b, e.loc, first.duplicate, t);
    }
    for (size_t i = 0; i < first.sums.size(); ++i) {
      Value at = addiC(first.index, int64_t(i));
      Value ok = stores;
      if (padded > count) {
        Value real = e.lt(at, e.idx(count));
        ok = ok ? e.andi(ok, real) : real;
      }
      Value r = divui(at, g.BM);
      Value m = remui(at, g.BM);
      Value row = e.addi(m0, m);
      Value col = e.addi(n0, r);
      SmallVector<Value, 2> values;
      for (const Reduced &list : lists)
        values.push_back(list.sums[i]);
      store(ok, row, col, values);
    }
  }
};

} // namespace

int64_t mlir::retention::gemvVectorWidth(Type weightType, int64_t K) {
  int64_t v = 16 / (weightType.getIntOrFloatBitWidth() / 8);
  while (K % v)
    v /= 2;
  return v;
}

int64_t mlir::retention::gemvNormSharedBytes(GemmScheduleAttr s,
                                             int64_t heads) {
  int64_t words = heads > 1 ? s.getBlockM() * heads
                            : s.getWarpsN() * s.getBlockM();
  return roundUp(words * 4, 1024);
}

int64_t mlir::retention::gemvSharedBytes(GemmScheduleAttr s) {
  return s.getBlockM() * s.getBlockK() * 4;
}

GemmScheduleAttr mlir::retention::chooseGemvSchedule(
    MLIRContext *ctx, int64_t M, int64_t N, int64_t K, Type weightType,
    int64_t weights, const GpuTargetInfo &target, std::string *why) {
  // Four weight rows a warp (two of each of swiglu_linear's two matrices,
  // for the same outputs): a lane's 16-byte loads of four rows and `stages`
  // k-steps are in flight together (and the next group's while one is
  // summed); up to M = 4, four warps (16 columns a block: 256 blocks for
  // N = 4096, two an SM) and four k-steps a group (16 loads, 256 bytes a
  // lane); above, the block's x is a larger share of its traffic, so
  // eight warps (32 columns) and two k-steps a group (the lane's 4 * M
  // sums take the registers).
  int64_t rowsPerWarp = 4 / weights;
  int64_t warps = M <= 4 ? 4 : 8;
  int64_t groupSteps = M <= 4 ? 4 : 2;
  // x whole in shared memory where it fits, else in equal slices (a
  // run-time K: slices as wide as fit).
  int64_t maxCols = target.maxSharedBytesPerBlock / (4 * M) / kWarpStepMax *
                    kWarpStepMax;
  int64_t blockK = maxCols;
  if (!ShapedType::isDynamic(K)) {
    int64_t kPadded = std::max(roundUp(K, kWarpStepMax), kWarpStepMax);
    int64_t slices = ceilDiv(kPadded, maxCols);
    blockK = roundUp(ceilDiv(kPadded, slices), kWarpStepMax);
  }
  int64_t blockN = warps * rowsPerWarp;
  if (why) {
    std::string grid = ShapedType::isDynamic(N)
                           ? std::string("a run-time N")
                           : llvm::formatv("{0} blocks for N = {1}",
                                           ceilDiv(N, blockN), N)
                                 .str();
    std::string loads =
        ShapedType::isDynamic(K)
            ? std::string("up to 16-byte")
            : llvm::formatv("{0}-byte",
                            gemvVectorWidth(weightType, K) *
                                weightType.getIntOrFloatBitWidth() / 8)
                  .str();
    *why = llvm::formatv(
               "gemv: M = {0} <= {1} rows of x (SIMT FMAs keep up with the "
               "weight stream); {2} warps of {3} weight rows{8} a block, {4}; "
               "{5} weight loads, {6} k-steps a group; x staged as f32, {7} "
               "columns at a time",
               M, kGemvMaxRows, warps, rowsPerWarp, grid, loads, groupSteps,
               blockK,
               weights == 2 ? " of the gate and of the up weight (swish(gate) "
                              "* up stored)"
                            : "")
               .str();
  }
  return GemmScheduleAttr::get(ctx, GpuKernel::Gemv, M, blockN, blockK, 1,
                               warps, 1, rowsPerWarp, groupSteps, 0,
                               /*mFirst=*/false);
}

void mlir::retention::buildGemvKernel(OpBuilder &b, Location loc,
                                      StringRef name, const Projection &op,
                                      GemmScheduleAttr s,
                                      const GemmSignature &signature) {
  RankedTensorType xType = op.x.getType();
  RankedTensorType wType = op.weight.getType();
  GemvShape g;
  g.M = xType.getDimSize(0);
  g.K = xType.getDimSize(1);
  g.N = wType.getDimSize(0);
  g.BM = s.getBlockM();
  g.BN = s.getBlockN();
  g.BK = s.getBlockK();
  g.rowsPerWarp = s.getThreadN();
  g.warps = s.getWarpsN();
  g.groupSteps = s.getStages();
  g.weights = signature.up >= 0 ? 2 : 1;
  g.xElt = xType.getElementType();
  g.wElt = wType.getElementType();
  g.v = gemvVectorWidth(g.wElt, g.K);
  g.W = 32 * g.v;
  g.piece = g.v == 8 ? 8 : std::min<int64_t>(g.v, 4);

  SmallVector<int64_t> grid = gemmGrid(s, g.M, g.N);
  // A group: every matrix's column blocks along x.
  if (!signature.groupOutputs.empty()) {
    grid[0] = 0;
    for (unsigned matrix : signature.groupWeights)
      grid[0] += ceilDiv(cast<MemRefType>(signature.params[matrix])
                             .getDimSize(0),
                         g.BN);
  }
  // The fused norm's per-warp sums of squares, or a gated head norm's
  // factors of each (row, head).
  bool headNorm = signature.norm >= 0 &&
                  (op.normHeadDim > 0 || signature.gate >= 0);
  int64_t headDim = op.normHeadDim > 0 ? op.normHeadDim : g.K;
  int64_t heads = op.normHeads();
  SmallVector<Type> workgroup;
  if (signature.norm >= 0)
    workgroup.push_back(MemRefType::get(
        {headNorm ? g.BM * heads : g.warps * g.BM}, b.getF32Type(),
        MemRefLayoutAttrInterface(),
        gpu::AddressSpaceAttr::get(b.getContext(),
                                   gpu::AddressSpace::Workgroup)));
  gpu::GPUFuncOp kernel =
      createKernelFunc(b, loc, name, signature.params, workgroup, grid,
                       {g.threads(), 1, 1}, gemvSharedBytes(s));
  // Nothing writes the weight while the kernel runs (y never overlaps it),
  // so its loads may take the read-only path (ld.global.nc).
  SmallVector<unsigned, 4> matrices = {signature.weight};
  if (signature.up >= 0)
    matrices.push_back(unsigned(signature.up));
  for (unsigned matrix : signature.groupWeights)
    if (matrix != signature.weight)
      matrices.push_back(matrix);
  for (unsigned matrix : matrices) {
    kernel.setArgAttr(matrix, LLVM::LLVMDialect::getNoAliasAttrName(),
                      b.getUnitAttr());
    kernel.setArgAttr(matrix, LLVM::LLVMDialect::getReadonlyAttrName(),
                      b.getUnitAttr());
  }
  // The grid gives an SM few blocks (two for N = 4096 at M = 1), so the
  // bytes in flight are those each warp's loads hold. Left to itself,
  // ptxas -O3 delays half of a group's loads to hold fewer registers
  // (M = 1: 56 registers); told that one block an SM suffices, it keeps
  // them in flight (112).
  kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                  b.getI32IntegerAttr(1));
  Block &body = kernel.getBody().front();
  Emitter e{b, loc};
  GemvBuilder k(e, g);
  k.x = body.getArgument(signature.x);
  k.weight = body.getArgument(signature.weight);
  if (signature.up >= 0)
    k.up = body.getArgument(unsigned(signature.up));
  if (signature.residual >= 0)
    k.residual = body.getArgument(unsigned(signature.residual));
  k.y = body.getArgument(signature.y);
  if (signature.norm >= 0) {
    k.norm = body.getArgument(unsigned(signature.norm));
    k.normEps = op.normEps.getValueAsDouble();
  }
  if (headNorm) {
    k.headDim = headDim;
    k.heads = heads;
    k.factors = kernel.getWorkgroupAttributions().front();
    if (signature.gate >= 0)
      k.gate = body.getArgument(unsigned(signature.gate));
  }
  if (signature.numRows >= 0) {
    k.rowsM = body.getArgument(signature.numRows);
    k.lastRowM = e.subi(k.rowsM, e.idx(1));
  }

  auto sliceType =
      MemRefType::get({g.BM, g.BK}, b.getF32Type(), MemRefLayoutAttrInterface(),
                      gpu::AddressSpaceAttr::get(b.getContext(),
                                                 gpu::AddressSpace::Workgroup));
  k.xs = viewDynamicShared(e, {sliceType})[0];
  k.tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  k.warp = k.divui(k.tid, 32);
  k.lane = k.remui(k.tid, 32);
  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  k.m0 = k.muliC(by, g.BM);
  k.laneW = k.muliC(k.lane, g.v);
  k.laneX = k.muliC(k.lane, g.laneStrideX());
  if (k.factors)
    k.computeHeadNormFactors();
  else if (k.norm)
    k.computeNormFactors(kernel.getWorkgroupAttributions().front());

  if (signature.groupOutputs.empty()) {
    k.columns(k.muliC(bx, g.BN));
  } else {
    // A group: the blocks along x are each matrix's column blocks in turn;
    // a block takes the branch of its matrix (uniform over the block, so
    // the barriers inside are too).
    int64_t first = 0;
    for (auto [matrix, output] :
         llvm::zip(signature.groupWeights, signature.groupOutputs)) {
      auto wType = cast<MemRefType>(signature.params[matrix]);
      GemvShape gi = g;
      gi.N = wType.getDimSize(0);
      int64_t blocks = ceilDiv(gi.N, g.BN);
      Value inside = e.andi(
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, bx,
                                e.idx(first)),
          e.lt(bx, e.idx(first + blocks)));
      e.ifThen(inside, [&] {
        GemvBuilder ki = k.forMatrix(gi, body.getArgument(matrix),
                                     body.getArgument(output));
        ki.columns(k.muliC(k.subi(bx, first), g.BN));
      });
      first += blocks;
    }
  }
  gpu::ReturnOp::create(b, loc);
}
