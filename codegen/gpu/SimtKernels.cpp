//===- SimtKernels.cpp - the SIMT chunkwise and parallel kernels ----------===//
//
// See SimtKernels.h. The chunkwise form's score tile runs on tensor cores
// (mma.sync m16n8k16) with score_tile = mma_sync, from q and k rows staged
// in shared memory (dynamic shared memory where shared_bytes says so).
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/SimtKernels.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::retention;

namespace {

/// The dot product q[b, tq, h, :] . k[b, tk, h, :].
Value dotQK(SimtThread &t, Value tq, Value tk) {
  Emitter &e = t.e;
  Value lb = e.idx(0), ub = e.idx(t.shape.K), zero = e.f32(0);
  return e.sum(lb, ub, zero, [&](Value i, Value acc) {
    Value qi = e.load(t.q, {t.row, t.at(tq), t.hi, i});
    Value ki = e.load(t.k, {t.row, t.at(tk), t.hi, i});
    return e.fma(qi, ki, acc);
  });
}

/// for n < rows, m < cols and delta + n - m >= 0, else 0; the block's threads
/// share the work.
void emitScoreTile(SimtThread &t, Value A, int64_t C, Value t0, Value u0,
                   Value rows, Value cols, Value delta) {
  Emitter &e = t.e;
  Value tileEnd = e.idx(C * C), blockStep = e.idx(t.blockSize);
  e.loop(t.tid, tileEnd, blockStep, [&](Value flat) {
    Value n = arith::DivUIOp::create(e.b, e.loc, flat, e.idx(C));
    Value m = arith::RemUIOp::create(e.b, e.loc, flat, e.idx(C));
    Value expo = e.subi(e.addi(delta, n), m);
    Value inRows = e.lt(n, rows), inCols = e.lt(m, cols);
    Value inTile = e.andi(inRows, inCols);
    Value live = e.andi(inTile, e.le(e.idx(0), expo));
    auto ifOp = scf::IfOp::create(e.b, e.loc, TypeRange{e.b.getF32Type()},
                                  live, /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard g(e.b);
      e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value tq = e.addi(t0, n), tk = e.addi(u0, m);
      Value dot = dotQK(t, tq, tk);
      scf::YieldOp::create(e.b, e.loc,
                           e.mulf(dot, e.power(expo, t.log2g, t.scale)));
      e.b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      scf::YieldOp::create(e.b, e.loc, e.f32(0));
    }
    memref::StoreOp::create(e.b, e.loc, ifOp.getResult(0), A, ValueRange{n, m});
  });
}

/// The chunk's q and k rows, staged in shared memory for the tensor cores.
struct StagedChunk {
  Value Qs, Ks; ///< [C][K] in the input element type; null: not staged
};

/// Copies rows c0..c0+count of q and k (this head) into Qs and Ks, zero rows
/// past count; the block's threads share the work.
void emitStageChunk(SimtThread &t, const StagedChunk &staged, int64_t C, Value c0,
                    Value count) {
  Emitter &e = t.e;
  int64_t K = t.shape.K;
  Value piecesEnd = e.idx(C * K), blockStep = e.idx(t.blockSize);
  e.loop(t.tid, piecesEnd, blockStep, [&](Value flat) {
    Value n = arith::DivUIOp::create(e.b, e.loc, flat, e.idx(K));
    Value i = arith::RemUIOp::create(e.b, e.loc, flat, e.idx(K));
    for (auto [src, dst] : {std::pair(t.q, staged.Qs), std::pair(t.k, staged.Ks)}) {
      Type elt = cast<MemRefType>(dst.getType()).getElementType();
      auto ifOp = scf::IfOp::create(e.b, e.loc, TypeRange{elt}, e.lt(n, count),
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard g(e.b);
        e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        scf::YieldOp::create(e.b, e.loc,
                             memref::LoadOp::create(e.b, e.loc, src,
                                                    ValueRange{t.row, t.at(e.addi(c0, n)),
                                                               t.hi, i})
                                 .getResult());
        e.b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scf::YieldOp::create(
            e.b, e.loc,
            arith::ConstantOp::create(e.b, e.loc, e.b.getFloatAttr(elt, 0.0))
                .getResult());
      }
      memref::StoreOp::create(e.b, e.loc, ifOp.getResult(0), dst,
                              ValueRange{n, i});
    }
  });
}

/// The score tile on tensor cores: A = s (Q K^T) .* gamma^(n-m) (0 above the
/// diagonal) from the staged chunk, with mma.sync m16n8k16 (bf16 or f16
/// operands, f32 accumulators). Warp w of the block computes the 16-row
/// tiles w, w + warps, ...; for each, it loads the A fragments of every
/// k-step once (ldmatrix x4) and, for each 8-column tile, the B fragments
/// (ldmatrix x2) and accumulates. Fragment layouts (PTX ISA, g = lane / 4,
/// c = lane % 4): accumulator i holds row g + 8 (i / 2), column 2c + i % 2.
void emitScoreTileTensorCores(SimtThread &t, const StagedChunk &staged, Value A,
                              int64_t C) {
  Emitter &e = t.e;
  MLIRContext *ctx = e.b.getContext();
  Type elt = cast<MemRefType>(staged.Qs.getType()).getElementType();
  NVVM::MMATypes mmaType =
      elt.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  Type i32 = e.b.getI32Type(), f32 = e.b.getF32Type();
  auto accType = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
  int64_t warps = t.blockSize / 32, rowTiles = C / 16, colTiles = C / 8,
          kSteps = t.shape.K / 16;
  Value lane = arith::RemUIOp::create(e.b, e.loc, t.tid, e.idx(32));
  Value warp = arith::DivUIOp::create(e.b, e.loc, t.tid, e.idx(32));
  Value g = arith::DivUIOp::create(e.b, e.loc, lane, e.idx(4));
  Value c = arith::RemUIOp::create(e.b, e.loc, lane, e.idx(4));
  Value lane16 = arith::RemUIOp::create(e.b, e.loc, lane, e.idx(16));
  Value lane8 = arith::RemUIOp::create(e.b, e.loc, lane, e.idx(8));
  Value half = arith::DivUIOp::create(e.b, e.loc, lane, e.idx(16));
  Value aCol = e.muli(half, e.idx(8));
  Value matrix = arith::DivUIOp::create(e.b, e.loc, lane, e.idx(8));
  Value matrixRow = arith::RemUIOp::create(e.b, e.loc, matrix, e.idx(2));
  Value bCol = e.muli(matrixRow, e.idx(8));
  // The fragment's registers as mma.sync takes them: vector<2xf16> pairs,
  // or bf16 pairs packed into i32 (the NVVM op types bf16 operands so).
  auto packed = [&](Value frag, int64_t n) {
    SmallVector<Value> regs;
    for (int64_t i = 0; i < n; ++i) {
      Value pair = vector::ExtractOp::create(e.b, e.loc, frag, i);
      if (!elt.isBF16()) {
        regs.push_back(pair);
        continue;
      }
      Value word = vector::BitCastOp::create(
          e.b, e.loc, VectorType::get({1}, i32), pair);
      regs.push_back(vector::ExtractOp::create(e.b, e.loc, word, 0));
    }
    return regs;
  };
  for (int64_t tileSlot = 0; tileSlot * warps < rowTiles; ++tileSlot) {
    Value rowTile = e.addi(warp, e.idx(tileSlot * warps));
    e.ifThen(e.lt(rowTile, e.idx(rowTiles)), [&] {
      Value row0 = e.muli(rowTile, e.idx(16));
      SmallVector<SmallVector<Value>> aFrags;
      for (int64_t k = 0; k < kSteps; ++k) {
        Value frag = nvgpu::LdMatrixOp::create(
            e.b, e.loc, VectorType::get({4, 2}, elt), staged.Qs,
            ValueRange{e.addi(row0, lane16), e.addi(e.idx(16 * k), aCol)},
            /*transpose=*/false, /*numTiles=*/4);
        aFrags.push_back(packed(frag, 4));
      }
      for (int64_t ct = 0; ct < colTiles; ++ct) {
        SmallVector<Value> acc(4, e.f32(0));
        for (int64_t k = 0; k < kSteps; ++k) {
          Value frag = nvgpu::LdMatrixOp::create(
              e.b, e.loc, VectorType::get({2, 2}, elt), staged.Ks,
              ValueRange{e.addi(e.idx(8 * ct), lane8),
                         e.addi(e.idx(16 * k), bCol)},
              /*transpose=*/false, /*numTiles=*/2);
          Value d = NVVM::MmaOp::create(
              e.b, e.loc, accType, aFrags[k], packed(frag, 2), acc,
              ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
              std::array<NVVM::MMATypes, 2>{mmaType, mmaType},
              std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                             NVVM::MMALayout::col});
          for (int64_t i = 0; i < 4; ++i)
            acc[i] = LLVM::ExtractValueOp::create(e.b, e.loc, d,
                                                  ArrayRef<int64_t>{i});
        }
        for (int64_t i = 0; i < 4; ++i) {
          Value rowG = e.addi(row0, g);
          Value n = e.addi(rowG, e.idx(8 * (i / 2)));
          Value col0 = e.idx(8 * ct + i % 2);
          Value m = e.addi(col0, e.muli(c, e.idx(2)));
          // Rows and columns past the chunk hold zero q and k. Above the
          // diagonal the 0 is selected, not multiplied: q k^T there may be
          // Inf or NaN (a future key's), and 0 * Inf is NaN.
          Value dist = e.subi(n, m);
          Value val = e.mulf(acc[i], e.power(dist, t.log2g, t.scale));
          Value causal = e.le(e.idx(0), dist), zero = e.f32(0);
          val = e.select(causal, val, zero);
          memref::StoreOp::create(e.b, e.loc, val, A, ValueRange{n, m});
        }
      }
    });
  }
}

void emitChunkwise(SimtThread &t, int64_t C, Value A, Value zeta,
                   const StagedChunk &staged) {
  Emitter &e = t.e;
  Value one = e.f32(1);
  Value T = t.T();
  // The state column starts as s0[:, j] (or 0) in the final-state buffer.
  e.ifThen(t.inRange, [&] {
    Value lb = e.idx(0), ub = e.idx(t.shape.K), step = e.idx(1);
    e.loop(lb, ub, step, [&](Value i) {
      Value s = t.s0 ? e.load(t.s0, {t.bi, t.hi, i, t.j}) : e.f32(0);
      e.store(s, t.st, {t.bi, t.hi, i, t.j});
    });
  });
  Value firstChunk = e.idx(0), chunkStep = e.idx(C);
  e.loop(firstChunk, T, chunkStep, [&](Value c0) {
    Value chunk = e.idx(C);
    Value count = e.mini(chunk, e.subi(T, c0));
    if (staged.Qs) {
      emitStageChunk(t, staged, C, c0, count);
      gpu::BarrierOp::create(e.b, e.loc);
      emitScoreTileTensorCores(t, staged, A, C);
    } else {
      emitScoreTile(t, A, C, c0, c0, count, count, e.idx(0));
    }
    // zeta[m] = gamma^(count-1-m)
    e.loop(t.tid, count, e.idx(t.blockSize), [&](Value m) {
      Value z = e.power(e.subi(e.subi(count, e.idx(1)), m), t.log2g, one);
      memref::StoreOp::create(e.b, e.loc, z, zeta, ValueRange{m});
    });
    gpu::BarrierOp::create(e.b, e.loc);
    e.ifThen(t.inRange, [&] {
      Value lb = e.idx(0), step = e.idx(1);
      e.loop(lb, count, step, [&](Value n) {
        Value tok = e.addi(c0, n);
        Value first = e.idx(0), kEnd = e.idx(t.shape.K), zero = e.f32(0);
        Value inter = e.sum(first, kEnd, zero,
                            [&](Value i, Value acc) {
                              Value qi = staged.Qs
                                             ? e.load(staged.Qs, {n, i})
                                             : e.load(t.q, {t.row, t.at(tok), t.hi, i});
                              return e.fma(qi,
                                           e.load(t.st, {t.bi, t.hi, i, t.j}),
                                           acc);
                            });
        Value xi = e.power(e.addi(n, e.idx(1)), t.log2g, t.scale);
        Value firstKey = e.idx(0), keysEnd = e.addi(n, e.idx(1));
        Value init = e.mulf(inter, xi);
        Value acc = e.sum(firstKey, keysEnd, init,
                          [&](Value m, Value acc) {
                            Value a = memref::LoadOp::create(e.b, e.loc, A,
                                                             ValueRange{n, m});
                            return e.fma(a,
                                         e.load(t.v, {t.row, t.at(e.addi(c0, m)),
                                                      t.hi, t.j}),
                                         acc);
                          });
        e.store(acc, t.o, {t.row, t.at(tok), t.hi, t.j});
      });
      Value decayed = e.power(count, t.log2g, one);
      Value row0 = e.idx(0), rowsEnd = e.idx(t.shape.K), rowStep = e.idx(1);
      e.loop(row0, rowsEnd, rowStep, [&](Value i) {
        Value prev = e.load(t.st, {t.bi, t.hi, i, t.j});
        Value first = e.idx(0), init = e.mulf(prev, decayed);
        Value s = e.sum(first, count, init,
                        [&](Value m, Value acc) {
                          Value tok = e.addi(c0, m);
                          Value z = memref::LoadOp::create(e.b, e.loc, zeta,
                                                           ValueRange{m});
                          Value ki = staged.Qs
                                         ? e.load(staged.Ks, {m, i})
                                         : e.load(t.k, {t.row, t.at(tok), t.hi, i});
                          Value kz = e.mulf(ki, z);
                          return e.fma(kz, e.load(t.v, {t.row, t.at(tok), t.hi, t.j}),
                                       acc);
                        });
        e.store(s, t.st, {t.bi, t.hi, i, t.j});
      });
    });
    gpu::BarrierOp::create(e.b, e.loc);
  });
}

void emitParallel(SimtThread &t, int64_t C, Value A, Value Os) {
  Emitter &e = t.e;
  Value one = e.f32(1);
  Value T = t.T();
  Value firstTile = e.idx(0), tileStep = e.idx(C);
  e.loop(firstTile, T, tileStep, [&](Value t0) {
    Value tile = e.idx(C);
    Value count = e.mini(tile, e.subi(T, t0));
    e.ifThen(t.inRange, [&] {
      Value lb = e.idx(0), step = e.idx(1);
      e.loop(lb, count, step, [&](Value n) {
        Value init = e.f32(0);
        if (t.s0) {
          Value tok = e.addi(t0, n);
          Value first = e.idx(0), kEnd = e.idx(t.shape.K), zero = e.f32(0);
          Value inter = e.sum(first, kEnd, zero,
                              [&](Value i, Value acc) {
                                Value qi = e.load(t.q, {t.row, t.at(tok), t.hi, i});
                                Value si = e.load(t.s0, {t.bi, t.hi, i, t.j});
                                return e.fma(qi, si, acc);
                              });
          init = e.mulf(inter,
                        e.power(e.addi(tok, e.idx(1)), t.log2g, t.scale));
        }
        memref::StoreOp::create(e.b, e.loc, init, Os, ValueRange{n, t.tid});
      });
    });
    Value firstKeyTile = e.idx(0), keyTilesEnd = e.addi(t0, e.idx(1));
    Value keyTileStep = e.idx(C);
    e.loop(firstKeyTile, keyTilesEnd, keyTileStep, [&](Value u0) {
      Value keyTile = e.idx(C);
      Value keys = e.mini(keyTile, e.subi(T, u0));
      gpu::BarrierOp::create(e.b, e.loc);
      emitScoreTile(t, A, C, t0, u0, count, keys, e.subi(t0, u0));
      gpu::BarrierOp::create(e.b, e.loc);
      e.ifThen(t.inRange, [&] {
        Value lb = e.idx(0), step = e.idx(1);
        e.loop(lb, count, step, [&](Value n) {
          Value prev = memref::LoadOp::create(e.b, e.loc, Os,
                                              ValueRange{n, t.tid});
          // Keys up to row n only (m <= n + t0 - u0): a later key's score
          // is 0, but its v may be Inf or NaN, and 0 * Inf is NaN.
          Value lag = e.subi(t0, u0);
          Value past = e.addi(e.addi(n, lag), e.idx(1));
          Value keysEnd = e.mini(keys, past);
          Value first = e.idx(0);
          Value acc = e.sum(first, keysEnd, prev, [&](Value m, Value acc) {
            Value a = memref::LoadOp::create(e.b, e.loc, A, ValueRange{n, m});
            return e.fma(a, e.load(t.v, {t.row, t.at(e.addi(u0, m)), t.hi, t.j}),
                         acc);
          });
          memref::StoreOp::create(e.b, e.loc, acc, Os, ValueRange{n, t.tid});
        });
      });
    });
    e.ifThen(t.inRange, [&] {
      Value lb = e.idx(0), step = e.idx(1);
      e.loop(lb, count, step, [&](Value n) {
        Value x = memref::LoadOp::create(e.b, e.loc, Os, ValueRange{n, t.tid});
        e.store(x, t.o, {t.row, t.at(e.addi(t0, n)), t.hi, t.j});
      });
    });
  });
  // Final state: gamma^T s0 + sum_m gamma^(T-1-m) k_m^T v_m.
  e.ifThen(t.inRange, [&] {
    Value lb = e.idx(0), ub = e.idx(t.shape.K), step = e.idx(1);
    e.loop(lb, ub, step, [&](Value i) {
      Value init;
      if (t.s0) {
        Value s0 = e.load(t.s0, {t.bi, t.hi, i, t.j});
        init = e.mulf(s0, e.power(T, t.log2g, one));
      } else {
        init = e.f32(0);
      }
      Value s = e.sum(e.idx(0), T, init, [&](Value m, Value acc) {
        Value z = e.power(e.subi(e.subi(T, e.idx(1)), m), t.log2g, one);
        Value kz = e.mulf(e.load(t.k, {t.row, t.at(m), t.hi, i}), z);
        return e.fma(kz, e.load(t.v, {t.row, t.at(m), t.hi, t.j}), acc);
      });
      e.store(s, t.st, {t.bi, t.hi, i, t.j});
    });
  });
}

} // namespace

LogicalResult mlir::retention::buildSimtKernel(
    OpBuilder &b, Location loc, StringRef name, RetentionOpInterface op,
    GpuScheduleAttr schedule, const KernelSignature &signature) {
  Operation *raw = op.getOperation();
  RetentionShape shape = op.getRetentionShape();
  const bool recurrent = isa<RecurrentOp>(raw);
  const auto chunkwise = dyn_cast<ChunkwiseOp>(raw);
  const bool packed = signature.segments >= 0;
  if (packed && !chunkwise)
    return raw->emitOpError("with segments is lowered to the GPU in the "
                            "chunkwise form only");
  if (failed(checkRunTimeSizes(raw, shape, signature,
                               /*takesRunTimeBatch=*/recurrent || packed)))
    return failure();
  // A block a sequence (z): B, or with packed sequences the states' N.
  const int64_t sequences = op.getNumSequences();
  const int64_t lanes = schedule.getLanes(), block = schedule.getBlock(),
                rows = schedule.getRows(), C = schedule.getChunk();
  const int64_t columnThreads = (shape.V + lanes - 1) / lanes;
  // Shared memory: the partial dot products (recurrent); the score tile and
  // zeta (chunkwise) or the output tile (parallel).
  SmallVector<Type> workgroup;
  Attribute shared =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto sharedType = [&](ArrayRef<int64_t> s) {
    return MemRefType::get(s, b.getF32Type(), MemRefLayoutAttrInterface(),
                           shared);
  };
  if (recurrent) {
    workgroup.push_back(sharedType({rows, block * lanes}));
  } else {
    workgroup.push_back(sharedType({C, C}));
    workgroup.push_back(chunkwise ? sharedType({C}) : sharedType({C, block}));
  }
  // The chunk's q and k rows for the tensor-core score tile: beside the
  // score tile statically, or in dynamic shared memory (shared_bytes).
  Type elt = op.getQ().getType().getElementType();
  const bool tensorCores = schedule.getScoreTile() == GpuKernel::MmaSync;
  const int64_t stagedBytes = schedule.getSharedBytes();
  const bool dynamicStaging = tensorCores && stagedBytes > 0;
  auto stagedTile =
      MemRefType::get({C, shape.K}, elt, MemRefLayoutAttrInterface(), shared);
  if (tensorCores && !dynamicStaging) {
    workgroup.push_back(stagedTile);
    workgroup.push_back(stagedTile);
  }
  auto kernel = createKernelFunc(
      b, loc, name, signature.params, workgroup,
      {(columnThreads + block - 1) / block, shape.H, sequences},
      {block, rows, 1}, stagedBytes);
  Block &body = kernel.getBody().front();
  Emitter e{b, loc};
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value ty = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::y);
  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value hi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
  Value bi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
  Value column = e.addi(e.muli(bx, e.idx(block)), tid);
  Value j = e.muli(column, e.idx(lanes));
  // A thread computes where its value columns exist and, with a run-time
  // batch, its block's sequence is one of them (the test is uniform over
  // the block, so the barriers between are still met by every thread).
  Value inRange = e.lt(j, e.idx(shape.V));
  if (signature.numSequences >= 0)
    inRange = e.andi(
        inRange, e.lt(bi, body.getArgument(signature.numSequences)));
  SimtThread t{e,
               shape,
               body.getArgument(signature.q),
               body.getArgument(signature.k),
               body.getArgument(signature.v),
               signature.s0 >= 0 ? body.getArgument(signature.s0) : Value(),
               body.getArgument(signature.output()),
               body.getArgument(signature.finalState()),
               bi,
               hi,
               j,
               tid,
               inRange,
               selectLog2Gamma(e, op.getGammas(), hi),
               e.f32(op.getEffectiveScale()),
               block};
  if (signature.numTokens >= 0)
    t.tokens = body.getArgument(signature.numTokens);
  t.row = bi;
  if (packed) {
    // Sequence bi: tokens [off[bi], off[bi + 1]) of row 0; none for a
    // block at or past the run-time count (whose offsets are not read).
    Value offsets = body.getArgument(signature.segments);
    Value live = signature.numSequences >= 0
                     ? e.lt(bi, body.getArgument(signature.numSequences))
                     : Value();
    auto offsetAt = [&](Value i) -> Value {
      auto load = [&]() -> Value {
        Value x = memref::LoadOp::create(b, loc, offsets, ValueRange{i});
        return arith::IndexCastOp::create(b, loc, b.getIndexType(), x);
      };
      if (!live)
        return load();
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{b.getIndexType()}, live,
                                    /*withElseRegion=*/true);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      scf::YieldOp::create(b, loc, load());
      b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      scf::YieldOp::create(b, loc, e.idx(0));
      return ifOp.getResult(0);
    };
    t.row = e.idx(0);
    t.first = offsetAt(bi);
    t.tokens = e.subi(offsetAt(e.addi(bi, e.idx(1))), t.first);
  }
  if (chunkwise) {
    StagedChunk staged;
    if (dynamicStaging) {
      SmallVector<Value> views = viewDynamicShared(e, {stagedTile, stagedTile});
      staged.Qs = views[0];
      staged.Ks = views[1];
    } else if (tensorCores) {
      staged.Qs = kernel.getWorkgroupAttributions()[2];
      staged.Ks = kernel.getWorkgroupAttributions()[3];
    }
    emitChunkwise(t, C, kernel.getWorkgroupAttributions()[0],
                  kernel.getWorkgroupAttributions()[1], staged);
  } else if (isa<ParallelOp>(raw)) {
    emitParallel(t, C, kernel.getWorkgroupAttributions()[0],
                 kernel.getWorkgroupAttributions()[1]);
  } else {
    emitSimtRecurrent(t, ty, rows, lanes,
                      kernel.getWorkgroupAttributions()[0]);
    // Each thread reads every state element it writes (s0, then the
    // state it wrote for the token before) before writing it, and no
    // other thread touches it: s0 and the final state may be one buffer
    // (retention-gpu-state-in-place).
    if (signature.s0 >= 0)
      b.getContext()
          ->getLoadedDialect<RetentionDialect>()
          ->getStateInPlaceAttrHelper()
          .setAttr(kernel, b.getDenseI64ArrayAttr(
                               {int64_t(signature.s0),
                                int64_t(signature.finalState())}));
  }
  gpu::ReturnOp::create(b, loc);
  return success();
}
