//===- ConvertRetentionToGPU.cpp - retention forms to GPU kernels ---------===//
//
// convert-retention-to-gpu: a kernel function whose body is one retention
// form op becomes a `gpu.func` kernel in a `gpu.module`, with one device
// pointer per parameter (q, k, v[, s0], o, state) and its launch
// configuration in a `retention.launch` attribute. The host side is the
// runtime's (it launches the kernel itself through the CUDA driver API).
//
// Schedule (SIMT, the chunkwise score tile on tensor cores for 16-bit
// inputs; with mma-all, the chunkwise form is ChunkwiseTensorCores.cpp's
// kernel instead; docs/gpu-codegen.md):
// grid = (ceil(V / block), H, B); each thread owns one value column j of
// one (batch, head) and its state column S[:, j].
//   recurrent  per token: S[i][j] = gamma S[i][j] + k_i v_j, o_j = s sum_i q_i S[i][j];
//   chunkwise  per chunk: the block computes the C x C decayed scores A in
//              shared memory, each thread o_n = xi_n (q_n . S[:, j]) + sum A v,
//              then S[:, j] = gamma^c S[:, j] + sum_m zeta_m k_m v_mj;
//   parallel   per query tile: scores of every key tile at or before it in
//              shared memory, outputs accumulated in shared memory; the final
//              state directly from its definition.
//
// Post-conditions: the kernel function is replaced by gpu.module @<name>
// holding gpu.func @<name>; no retention op remains.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/common/DecayTables.h"
#include "codegen/gpu/GpuTarget.h"
#include "codegen/gpu/KernelEmitter.h"
#include "codegen/gpu/ChunkwiseTensorCores.h"
#include "codegen/gpu/ChunkwiseWarpgroupMma.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "convert-retention-to-gpu"

namespace mlir::retention {
#define GEN_PASS_DEF_CONVERTRETENTIONTOGPU
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {

/// The kernel's view of one (batch, head, column) thread.
struct Thread {
  Emitter &e;
  RetentionShape shape;
  Value q, k, v, s0, o, st; ///< device buffers (s0 may be null)
  Value bi, hi, j, tid;     ///< batch, head, value column, thread in block
  Value inRange;            ///< j < V
  Value log2g, scale;
  int64_t blockSize;
};

/// log2(gamma_h) for a dynamic head index: a select chain over the table.
Value selectLog2Gamma(Emitter &e, ArrayRef<double> gammas, Value head) {
  Value result = e.f32(std::log2(gammas[0]));
  for (size_t h = 1; h < gammas.size(); ++h) {
    Value isH = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::eq,
                                      head, e.idx(h));
    result = e.select(isH, e.f32(std::log2(gammas[h])), result);
  }
  return result;
}

/// The dot product q[b, tq, h, :] . k[b, tk, h, :].
Value dotQK(Thread &t, Value tq, Value tk) {
  Emitter &e = t.e;
  return e.sum(e.idx(0), e.idx(t.shape.K), e.f32(0), [&](Value i, Value acc) {
    return e.fma(e.load(t.q, {t.bi, tq, t.hi, i}),
                 e.load(t.k, {t.bi, tk, t.hi, i}), acc);
  });
}

/// The recurrent form. Thread (x, y) owns `lanes` adjacent value columns
/// j.. of one (batch, head) and the state rows y, y + kSplit, ... of them, so
/// a decode step has many 16-byte loads in flight; each token's partial dot
/// products meet in shared memory (`partial`, [kSplit][block * lanes]).
void emitRecurrent(Thread &t, Value ty, int64_t kSplit, int64_t lanes,
                   Value partial) {
  Emitter &e = t.e;
  auto vt = VectorType::get({lanes}, e.b.getF32Type());
  auto splat = [&](Value x) {
    return vector::BroadcastOp::create(e.b, e.loc, vt, x).getResult();
  };
  // Rows hold a multiple of `lanes` elements and j is a multiple of `lanes`,
  // so every access is aligned to its whole size (buffers are 256-byte
  // aligned by the driver).
  auto align = [&](Type elt) {
    return llvm::MaybeAlign(lanes * elt.getIntOrFloatBitWidth() / 8);
  };
  auto load = [&](Value buf, ValueRange i) -> Value {
    Type elt = cast<MemRefType>(buf.getType()).getElementType();
    Value x = vector::LoadOp::create(e.b, e.loc, VectorType::get({lanes}, elt),
                                     buf, i, /*nontemporal=*/false, align(elt));
    return elt.isF32() ? x : arith::ExtFOp::create(e.b, e.loc, vt, x);
  };
  auto store = [&](Value x, Value buf, ValueRange i) {
    Type elt = cast<MemRefType>(buf.getType()).getElementType();
    if (!elt.isF32())
      x = arith::TruncFOp::create(e.b, e.loc, VectorType::get({lanes}, elt), x);
    vector::StoreOp::create(e.b, e.loc, x, buf, i, /*nontemporal=*/false,
                            align(elt));
  };
  Value gamma = splat(math::Exp2Op::create(e.b, e.loc, t.log2g));
  Value zero = splat(e.f32(0));
  Value col = e.muli(t.tid, e.idx(lanes)); // this thread's slot in `partial`
  auto token = [&](Value tok, Value prev) {
    e.ifThen(t.inRange, [&] {
      Value vj = load(t.v, {t.bi, tok, t.hi, t.j});
      // Row r of this thread is ty + r * kSplit. The rows are unrolled (up
      // to 64 per thread) so that every state load is in flight at once: a
      // decode step is one round trip to memory.
      int64_t perThread = (t.shape.K + kSplit - 1) / kSplit;
      bool ragged = t.shape.K % kSplit != 0;
      auto step = [&](Value r, Value acc) -> Value {
        Value i = e.addi(ty, e.muli(r, e.idx(kSplit)));
        auto body = [&]() -> Value {
          Value p = prev ? load(prev, {t.bi, t.hi, i, t.j}) : zero;
          Value kk = splat(e.load(t.k, {t.bi, tok, t.hi, i}));
          Value s = e.fma(kk, vj, e.mulf(gamma, p));
          store(s, t.st, {t.bi, t.hi, i, t.j});
          return e.fma(splat(e.load(t.q, {t.bi, tok, t.hi, i})), s, acc);
        };
        if (!ragged)
          return body();
        auto ifOp = scf::IfOp::create(e.b, e.loc, TypeRange{vt},
                                      e.lt(i, e.idx(t.shape.K)),
                                      /*withElseRegion=*/true);
        OpBuilder::InsertionGuard g(e.b);
        e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        scf::YieldOp::create(e.b, e.loc, body());
        e.b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scf::YieldOp::create(e.b, e.loc, acc);
        return ifOp.getResult(0);
      };
      Value dot = zero;
      if (perThread <= 64) {
        for (int64_t r = 0; r < perThread; ++r)
          dot = step(e.idx(r), dot);
      } else {
        dot = e.sum(e.idx(0), e.idx(perThread), dot, step);
      }
      vector::StoreOp::create(e.b, e.loc, dot, partial, ValueRange{ty, col},
                              /*nontemporal=*/false, align(e.b.getF32Type()));
    });
    gpu::BarrierOp::create(e.b, e.loc);
    Value first = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::eq,
                                        ty, e.idx(0));
    e.ifThen(e.andi(first, t.inRange), [&] {
      Value acc = e.sum(e.idx(0), e.idx(kSplit), zero, [&](Value y, Value acc) {
        return e.addf(acc, vector::LoadOp::create(
                               e.b, e.loc, vt, partial, ValueRange{y, col},
                               /*nontemporal=*/false, align(e.b.getF32Type())));
      });
      store(e.mulf(acc, splat(t.scale)), t.o, {t.bi, tok, t.hi, t.j});
    });
    // `partial` is rewritten by the next token.
    gpu::BarrierOp::create(e.b, e.loc);
  };
  token(e.idx(0), t.s0);
  e.loop(e.idx(1), e.idx(t.shape.T), e.idx(1),
         [&](Value tok) { token(tok, t.st); });
}

/// Fills the C x C score tile: A[n][m] = s gamma^(delta+n-m) q_{t0+n} . k_{u0+m}
/// for n < rows, m < cols and delta + n - m >= 0, else 0; the block's threads
/// share the work.
void emitScoreTile(Thread &t, Value A, int64_t C, Value t0, Value u0,
                   Value rows, Value cols, Value delta) {
  Emitter &e = t.e;
  e.loop(t.tid, e.idx(C * C), e.idx(t.blockSize), [&](Value flat) {
    Value n = arith::DivUIOp::create(e.b, e.loc, flat, e.idx(C));
    Value m = arith::RemUIOp::create(e.b, e.loc, flat, e.idx(C));
    Value expo = e.subi(e.addi(delta, n), m);
    Value live = e.andi(e.andi(e.lt(n, rows), e.lt(m, cols)),
                        e.le(e.idx(0), expo));
    auto ifOp = scf::IfOp::create(e.b, e.loc, TypeRange{e.b.getF32Type()},
                                  live, /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard g(e.b);
      e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value dot = dotQK(t, e.addi(t0, n), e.addi(u0, m));
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
void emitStageChunk(Thread &t, const StagedChunk &staged, int64_t C, Value c0,
                    Value count) {
  Emitter &e = t.e;
  int64_t K = t.shape.K;
  e.loop(t.tid, e.idx(C * K), e.idx(t.blockSize), [&](Value flat) {
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
                                                    ValueRange{t.bi, e.addi(c0, n),
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
void emitScoreTileTensorCores(Thread &t, const StagedChunk &staged, Value A,
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
  Value aCol = e.muli(arith::DivUIOp::create(e.b, e.loc, lane, e.idx(16)),
                      e.idx(8));
  Value bCol = e.muli(arith::RemUIOp::create(
                          e.b, e.loc,
                          arith::DivUIOp::create(e.b, e.loc, lane, e.idx(8)),
                          e.idx(2)),
                      e.idx(8));
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
          Value n = e.addi(e.addi(row0, g), e.idx(8 * (i / 2)));
          Value m = e.addi(e.idx(8 * ct + i % 2), e.muli(c, e.idx(2)));
          // Rows and columns past the chunk hold zero q and k; the mask is
          // a zero power for m > n.
          Value val = e.mulf(acc[i], e.power(e.subi(n, m), t.log2g, t.scale));
          memref::StoreOp::create(e.b, e.loc, val, A, ValueRange{n, m});
        }
      }
    });
  }
}

void emitChunkwise(Thread &t, int64_t C, Value A, Value zeta,
                   const StagedChunk &staged) {
  Emitter &e = t.e;
  Value one = e.f32(1);
  Value T = e.idx(t.shape.T);
  // The state column starts as s0[:, j] (or 0) in the final-state buffer.
  e.ifThen(t.inRange, [&] {
    e.loop(e.idx(0), e.idx(t.shape.K), e.idx(1), [&](Value i) {
      Value s = t.s0 ? e.load(t.s0, {t.bi, t.hi, i, t.j}) : e.f32(0);
      e.store(s, t.st, {t.bi, t.hi, i, t.j});
    });
  });
  e.loop(e.idx(0), T, e.idx(C), [&](Value c0) {
    Value count = e.mini(e.idx(C), e.subi(T, c0));
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
      e.loop(e.idx(0), count, e.idx(1), [&](Value n) {
        Value tok = e.addi(c0, n);
        Value inter = e.sum(e.idx(0), e.idx(t.shape.K), e.f32(0),
                            [&](Value i, Value acc) {
                              Value qi = staged.Qs
                                             ? e.load(staged.Qs, {n, i})
                                             : e.load(t.q, {t.bi, tok, t.hi, i});
                              return e.fma(qi,
                                           e.load(t.st, {t.bi, t.hi, i, t.j}),
                                           acc);
                            });
        Value xi = e.power(e.addi(n, e.idx(1)), t.log2g, t.scale);
        Value acc = e.sum(e.idx(0), e.addi(n, e.idx(1)), e.mulf(inter, xi),
                          [&](Value m, Value acc) {
                            Value a = memref::LoadOp::create(e.b, e.loc, A,
                                                             ValueRange{n, m});
                            return e.fma(a,
                                         e.load(t.v, {t.bi, e.addi(c0, m),
                                                      t.hi, t.j}),
                                         acc);
                          });
        e.store(acc, t.o, {t.bi, tok, t.hi, t.j});
      });
      Value decayed = e.power(count, t.log2g, one);
      e.loop(e.idx(0), e.idx(t.shape.K), e.idx(1), [&](Value i) {
        Value prev = e.load(t.st, {t.bi, t.hi, i, t.j});
        Value s = e.sum(e.idx(0), count, e.mulf(prev, decayed),
                        [&](Value m, Value acc) {
                          Value tok = e.addi(c0, m);
                          Value z = memref::LoadOp::create(e.b, e.loc, zeta,
                                                           ValueRange{m});
                          Value ki = staged.Qs
                                         ? e.load(staged.Ks, {m, i})
                                         : e.load(t.k, {t.bi, tok, t.hi, i});
                          Value kz = e.mulf(ki, z);
                          return e.fma(kz, e.load(t.v, {t.bi, tok, t.hi, t.j}),
                                       acc);
                        });
        e.store(s, t.st, {t.bi, t.hi, i, t.j});
      });
    });
    gpu::BarrierOp::create(e.b, e.loc);
  });
}

void emitParallel(Thread &t, int64_t C, Value A, Value Os) {
  Emitter &e = t.e;
  Value one = e.f32(1);
  Value T = e.idx(t.shape.T);
  e.loop(e.idx(0), T, e.idx(C), [&](Value t0) {
    Value count = e.mini(e.idx(C), e.subi(T, t0));
    e.ifThen(t.inRange, [&] {
      e.loop(e.idx(0), count, e.idx(1), [&](Value n) {
        Value init = e.f32(0);
        if (t.s0) {
          Value tok = e.addi(t0, n);
          Value inter = e.sum(e.idx(0), e.idx(t.shape.K), e.f32(0),
                              [&](Value i, Value acc) {
                                return e.fma(
                                    e.load(t.q, {t.bi, tok, t.hi, i}),
                                    e.load(t.s0, {t.bi, t.hi, i, t.j}), acc);
                              });
          init = e.mulf(inter,
                        e.power(e.addi(tok, e.idx(1)), t.log2g, t.scale));
        }
        memref::StoreOp::create(e.b, e.loc, init, Os, ValueRange{n, t.tid});
      });
    });
    e.loop(e.idx(0), e.addi(t0, e.idx(1)), e.idx(C), [&](Value u0) {
      Value keys = e.mini(e.idx(C), e.subi(T, u0));
      gpu::BarrierOp::create(e.b, e.loc);
      emitScoreTile(t, A, C, t0, u0, count, keys, e.subi(t0, u0));
      gpu::BarrierOp::create(e.b, e.loc);
      e.ifThen(t.inRange, [&] {
        e.loop(e.idx(0), count, e.idx(1), [&](Value n) {
          Value prev = memref::LoadOp::create(e.b, e.loc, Os,
                                              ValueRange{n, t.tid});
          Value acc = e.sum(e.idx(0), keys, prev, [&](Value m, Value acc) {
            Value a = memref::LoadOp::create(e.b, e.loc, A, ValueRange{n, m});
            return e.fma(a, e.load(t.v, {t.bi, e.addi(u0, m), t.hi, t.j}),
                         acc);
          });
          memref::StoreOp::create(e.b, e.loc, acc, Os, ValueRange{n, t.tid});
        });
      });
    });
    e.ifThen(t.inRange, [&] {
      e.loop(e.idx(0), count, e.idx(1), [&](Value n) {
        Value x = memref::LoadOp::create(e.b, e.loc, Os, ValueRange{n, t.tid});
        e.store(x, t.o, {t.bi, e.addi(t0, n), t.hi, t.j});
      });
    });
  });
  // Final state: gamma^T s0 + sum_m gamma^(T-1-m) k_m^T v_m.
  e.ifThen(t.inRange, [&] {
    e.loop(e.idx(0), e.idx(t.shape.K), e.idx(1), [&](Value i) {
      Value init = t.s0 ? e.mulf(e.load(t.s0, {t.bi, t.hi, i, t.j}),
                                 e.power(T, t.log2g, one))
                        : e.f32(0);
      Value s = e.sum(e.idx(0), T, init, [&](Value m, Value acc) {
        Value z = e.power(e.subi(e.subi(T, e.idx(1)), m), t.log2g, one);
        Value kz = e.mulf(e.load(t.k, {t.bi, m, t.hi, i}), z);
        return e.fma(kz, e.load(t.v, {t.bi, m, t.hi, t.j}), acc);
      });
      e.store(s, t.st, {t.bi, t.hi, i, t.j});
    });
  });
}

struct ConvertRetentionToGPUPass
    : public retention::impl::ConvertRetentionToGPUBase<
          ConvertRetentionToGPUPass> {
  using ConvertRetentionToGPUBase::ConvertRetentionToGPUBase;

  /// The one retention op `func` consists of, returning its results in
  /// order; null (with an error) otherwise.
  RetentionOpInterface kernelOp(func::FuncOp func) {
    RetentionOpInterface found;
    for (Operation &op : func.getBody().front()) {
      if (auto r = dyn_cast<RetentionOpInterface>(&op)) {
        if (found) {
          func.emitError("convert-retention-to-gpu: one retention op per "
                         "kernel function");
          return {};
        }
        found = r;
      }
    }
    if (!found)
      return {};
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    if (ret.getOperands() != ValueRange(found->getResults()) ||
        func.getBody().front().getOperations().size() != 2) {
      func.emitError("convert-retention-to-gpu: a kernel function must "
                     "consist of one retention op returning its results");
      return {};
    }
    return found;
  }

  LogicalResult lower(func::FuncOp func, RetentionOpInterface op) {
    Operation *raw = op.getOperation();
    if (isa<RetentionOp>(raw))
      return raw->emitOpError("has no form yet; run retention-select-form "
                              "before convert-retention-to-gpu");
    RetentionShape shape = op.getRetentionShape();
    if (!shape.isStatic())
      return raw->emitOpError("needs static shapes to be lowered to the GPU");
    if (shape.B > 65535 || shape.H > 65535)
      return raw->emitOpError("has B = ")
             << shape.B << " and H = " << shape.H
             << "; the GPU grid holds at most 65535 of each";
    // Kernel parameters are the function's arguments, then its results; each
    // operand of the op is bound to the argument it is.
    auto paramOf = [&](Value v) -> int {
      auto arg = dyn_cast_or_null<BlockArgument>(v);
      if (!arg || arg.getOwner() != &func.getBody().front())
        return -1;
      return int(arg.getArgNumber());
    };
    for (Value v : raw->getOperands())
      if (paramOf(v) < 0)
        return raw->emitOpError("operands must be arguments of the kernel "
                                "function to be lowered to the GPU");
    for (Value arg : func.getArguments())
      if (!llvm::is_contained(raw->getOperands(), arg))
        return func.emitError("convert-retention-to-gpu: argument not used "
                              "by the retention op");

    ModuleOp module = getOperation();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    OpBuilder b(func);
    Location loc = func.getLoc();
    auto gpuModule = gpu::GPUModuleOp::create(b, loc, func.getSymName());
    b.setInsertionPointToStart(gpuModule.getBody());

    auto memrefOf = [](Type t) {
      auto tensor = cast<RankedTensorType>(t);
      return MemRefType::get(tensor.getShape(), tensor.getElementType());
    };
    SmallVector<Type> params;
    for (Type t : func.getArgumentTypes())
      params.push_back(memrefOf(t));
    for (Type t : func.getResultTypes())
      params.push_back(memrefOf(t));

    if (auto chunkwise = dyn_cast<ChunkwiseOp>(raw); chunkwise && mmaAll) {
      std::string whyNot;
      int64_t chunk = chunkwise.getChunkSizeAttr().getInt();
      Type elt = op.getQ().getType().getElementType();
      auto plan = planChunkwiseTensorCores(
          shape, chunk, elt, mmaVSlice, numSMs, maxSharedBytes, whyNot,
          segments, stages, warpgroupMma || preferWarpgroupMma);
      // Preferred, not required: where the wgmma kernel cannot be had, the
      // mma.sync kernel's plan.
      if (!plan && preferWarpgroupMma && !warpgroupMma)
        plan = planChunkwiseTensorCores(shape, chunk, elt, mmaVSlice, numSMs,
                                        maxSharedBytes, whyNot, segments,
                                        stages, /*warpgroupMma=*/false);
      if (plan) {
        // The wgmma kernel asked for and not planned is an error too.
        if (warpgroupMma && !plan->warpgroupMma)
          return raw->emitOpError("cannot take the wgmma kernel: it needs "
                                  "chunk ")
                 << kWarpgroupChunk << " (got " << chunk
                 << "), K at most 256 (got " << shape.K
                 << ") and mma-v-slice 0, 64 or 128 (got " << int64_t(mmaVSlice)
                 << ")";
        return lowerTensorCoreChunkwise(func, op, *plan, b, params, paramOf);
      }
      // A slice, a number of stages or the wgmma kernel asked for that
      // cannot be had is an error, not a silent fall back to the SIMT
      // kernel.
      if (mmaVSlice != 0 || stages != 0 || warpgroupMma) {
        SmallVector<std::string> asked;
        if (mmaVSlice)
          asked.push_back("mma-v-slice " + std::to_string(mmaVSlice));
        if (stages)
          asked.push_back("stages " + std::to_string(stages));
        if (warpgroupMma)
          asked.push_back("warpgroup-mma");
        return raw->emitOpError("cannot take the tensor-core kernel with ")
               << llvm::join(asked, " and ") << ": " << whyNot;
      }
      LLVM_DEBUG(llvm::dbgs() << "mma-all: default kernel: " << whyNot << "\n");
    }

    // The recurrent form gives each thread `lanes` adjacent value columns
    // (16-byte state accesses) where V allows.
    int64_t lanes = isa<RecurrentOp>(raw) && shape.V % 4 == 0 ? 4 : 1;
    int64_t columnThreads = (shape.V + lanes - 1) / lanes;
    // The recurrent form uses one warp of column threads per block (its rows
    // spread over up to 16 warps), so that even a single sequence's decode
    // step spreads over many blocks.
    int64_t block = std::min<int64_t>(
        isa<RecurrentOp>(raw) ? 32 : chooseBlockSize(shape),
        (columnThreads + 31) / 32 * 32);
    auto chunkwise = dyn_cast<ChunkwiseOp>(raw);
    // A chunk (tile) longer than the sequence is the whole sequence.
    int64_t C = std::min(chunkwise ? chunkwise.getChunkSizeAttr().getInt()
                                   : int64_t(parallelTile),
                         shape.T);
    constexpr int64_t kMaxSharedBytes = 48 * 1024;
    // Dynamic shared memory for staged tiles (sm_80 allows 163 KiB a block
    // in all; the static tiles take up to 48).
    constexpr int64_t kMaxDynamicSharedBytes = 112 * 1024;
    if (!isa<RecurrentOp>(raw) && C > 256)
      return raw->emitOpError("chunk size ")
             << C << " needs a " << C << " x " << C
             << " f32 score tile, more than the 48 KiB of shared memory a GPU "
                "block has; use a chunk of at most 64";
    // Shared memory: the score tile (chunkwise, parallel), zeta (chunkwise),
    // the output tile (parallel).
    SmallVector<Type> workgroup;
    Attribute shared = gpu::AddressSpaceAttr::get(
        &getContext(), gpu::AddressSpace::Workgroup);
    auto sharedType = [&](ArrayRef<int64_t> s) {
      return MemRefType::get(s, b.getF32Type(), MemRefLayoutAttrInterface(),
                             shared);
    };
    // The recurrent form splits the K rows of a state column over thread
    // rows: as many as fit in 512 threads and K.
    int64_t kSplit =
        isa<RecurrentOp>(raw)
            ? std::max<int64_t>(1, std::min<int64_t>(512 / block, shape.K))
            : 1;
    if (isa<RecurrentOp>(raw)) {
      workgroup.push_back(sharedType({kSplit, block * lanes}));
    } else {
      workgroup.push_back(sharedType({C, C}));
      workgroup.push_back(chunkwise ? sharedType({C}) : sharedType({C, block}));
    }
    // The chunkwise form on 16-bit inputs computes its score tile on tensor
    // cores from the chunk's q and k rows staged in shared memory, where they
    // fit beside the score tile.
    Type elt = op.getQ().getType().getElementType();
    int64_t stagedBytes = 2 * C * shape.K * (elt.getIntOrFloatBitWidth() / 8);
    bool tensorCores = chunkwise && (elt.isBF16() || elt.isF16()) &&
                       C % 16 == 0 && shape.K % 16 == 0 &&
                       stagedBytes <= kMaxDynamicSharedBytes;
    // Beside the score tile in static shared memory where they fit. Staging
    // in dynamic shared memory (below) ran on the H200 with finite outputs
    // but its numerical tests have not run there yet: until they have,
    // tiles that do not fit statically keep the SIMT score tile.
    bool fitsStatically =
        stagedTilesFitStatically(C, shape.K, elt.getIntOrFloatBitWidth());
    tensorCores = tensorCores && (fitsStatically || allowDynamicStaging);
    bool dynamicStaging = tensorCores && !fitsStatically;
    if (tensorCores && !dynamicStaging) {
      auto tile = MemRefType::get({C, shape.K}, elt,
                                  MemRefLayoutAttrInterface(), shared);
      workgroup.push_back(tile);
      workgroup.push_back(tile);
    }
    int64_t sharedBytes = 0;
    for (Type t : workgroup) {
      auto type = cast<MemRefType>(t);
      sharedBytes += type.getNumElements() *
                     (type.getElementType().getIntOrFloatBitWidth() / 8);
    }
    if (sharedBytes > kMaxSharedBytes)
      return raw->emitOpError("needs ")
             << sharedBytes << " bytes of shared memory (chunk " << C
             << "), more than the 48 KiB a GPU block has; use a smaller "
                "chunk";

    auto kernel = gpu::GPUFuncOp::create(
        b, loc, func.getSymName(), b.getFunctionType(params, {}), workgroup,
        TypeRange{});
    kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
    // Shared tiles are accessed with 16-byte vectors.
    for (unsigned i = 0; i < workgroup.size(); ++i)
      kernel.setWorkgroupAttributionAttr(i, "llvm.align",
                                         b.getI64IntegerAttr(16));
    int64_t grid[3] = {(columnThreads + block - 1) / block, shape.H,
                       shape.B};
    kernel->setAttr("retention.launch",
                    b.getDictionaryAttr({
                        b.getNamedAttr("grid", b.getDenseI64ArrayAttr(grid)),
                        b.getNamedAttr("shared_bytes",
                                       b.getI64IntegerAttr(
                                           dynamicStaging ? stagedBytes : 0)),
                        b.getNamedAttr("block", b.getDenseI64ArrayAttr(
                                                    {block, kSplit, 1})),
                    }));
    kernel.setKnownBlockSizeAttr(
        b.getDenseI32ArrayAttr({int32_t(block), int32_t(kSplit), 1}));

    Block &body = kernel.getBody().front();
    b.setInsertionPointToStart(&body);
    Emitter e{b, loc};
    Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    Value ty = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::y);
    Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    Value hi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
    Value bi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
    Value j = e.muli(e.addi(e.muli(bx, e.idx(block)), tid), e.idx(lanes));
    bool hasS0 = bool(op.getInitialState());
    unsigned nIn = func.getNumArguments();
    auto param = [&](Value v) { return body.getArgument(paramOf(v)); };
    Thread t{e,
             shape,
             param(op.getQ()),
             param(op.getK()),
             param(op.getV()),
             hasS0 ? param(op.getInitialState()) : Value(),
             body.getArgument(nIn),
             body.getArgument(nIn + 1),
             bi,
             hi,
             j,
             tid,
             e.lt(j, e.idx(shape.V)),
             selectLog2Gamma(e, op.getGammas(), hi),
             e.f32(op.getEffectiveScale()),
             block};
    if (chunkwise) {
      StagedChunk staged;
      if (dynamicStaging) {
        auto bytes = MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                                     MemRefLayoutAttrInterface(), shared);
        Value base = gpu::DynamicSharedMemoryOp::create(b, loc, bytes);
        auto tile = MemRefType::get({C, shape.K}, elt,
                                    MemRefLayoutAttrInterface(), shared);
        staged.Qs = memref::ViewOp::create(b, loc, tile, base, e.idx(0),
                                           ValueRange{});
        staged.Ks = memref::ViewOp::create(b, loc, tile, base,
                                           e.idx(stagedBytes / 2), ValueRange{});
      } else if (tensorCores) {
        staged.Qs = kernel.getWorkgroupAttributions()[2];
        staged.Ks = kernel.getWorkgroupAttributions()[3];
      }
      emitChunkwise(t, C, kernel.getWorkgroupAttributions()[0],
                    kernel.getWorkgroupAttributions()[1], staged);
    }
    else if (isa<ParallelOp>(raw))
      emitParallel(t, C, kernel.getWorkgroupAttributions()[0],
                   kernel.getWorkgroupAttributions()[1]);
    else
      emitRecurrent(t, ty, kSplit, lanes,
                    kernel.getWorkgroupAttributions()[0]);
    gpu::ReturnOp::create(b, loc);
    func.erase();
    return success();
  }

  /// The chunkwise form with every chunk matmul on tensor cores
  /// (ChunkwiseTensorCores.h): one block per (value-column slice, head,
  /// batch), its tiles static workgroup attributions up to 48 KiB, else
  /// views of dynamic shared memory.
  LogicalResult lowerTensorCoreChunkwise(func::FuncOp func,
                                         RetentionOpInterface op,
                                         const ChunkwiseMmaPlan &plan,
                                         OpBuilder &b, ArrayRef<Type> params,
                                         function_ref<int(Value)> paramOf) {
    Location loc = func.getLoc();
    RetentionShape shape = op.getRetentionShape();
    Type elt = op.getQ().getType().getElementType();
    Attribute shared = gpu::AddressSpaceAttr::get(
        &getContext(), gpu::AddressSpace::Workgroup);
    auto tile = [&](ArrayRef<int64_t> shape) {
      return MemRefType::get(shape, elt, MemRefLayoutAttrInterface(), shared);
    };
    // The shared tiles of kernel `part`: Qs, Ks, Vs, As (the states
    // kernel: Ks, Vs), each with its number of staging buffers.
    auto tilesOf = [&](ChunkwiseMmaPart part) {
      bool states = part == ChunkwiseMmaPart::SegmentStates;
      int64_t stagedRows = (states ? plan.statesStages : plan.stages) * plan.C;
      SmallVector<MemRefType> tiles;
      if (plan.warpgroupMma && !states) {
        // The warpgroup kernel: Qs, Ks, Vs, Ss and the decay table, flat
        // (ChunkwiseWarpgroupMma.h).
        return SmallVector<MemRefType>{
            tile({stagedRows * warpgroupTileWidth(shape.K)}),
            tile({stagedRows * warpgroupTileWidth(shape.K)}),
            tile({stagedRows * plan.vSlice}),
            tile({plan.vSlice / 64 * warpgroupRegionElements(shape.K)}),
            MemRefType::get({kWarpgroupDecayTable}, b.getF32Type(),
                            MemRefLayoutAttrInterface(), shared)};
      }
      if (!states)
        tiles.push_back(tile({stagedRows, plan.qkRow}));
      tiles.push_back(tile({stagedRows, plan.qkRow}));
      tiles.push_back(tile({stagedRows, plan.vRow}));
      if (!states)
        tiles.push_back(tile({plan.C, plan.aRow}));
      return tiles;
    };
    bool segmented = plan.segments > 1;
    // With segments every kernel takes the workspace after the parameters.
    SmallVector<Type> kernelParams(params.begin(), params.end());
    if (segmented) {
      kernelParams.push_back(MemRefType::get(
          {shape.B, shape.H, plan.workspaceSlots(), shape.K, shape.V},
          b.getF32Type()));
      Operation *gpuModule = b.getInsertionBlock()->getParentOp();
      gpuModule->setAttr("retention.workspace_bytes",
                         b.getI64IntegerAttr(plan.workspaceBytes));
    }
    unsigned nIn = func.getNumArguments();
    auto param = [&](Block &body, Value v) {
      return body.getArgument(paramOf(v));
    };
    // A kernel @name with its launch; returns its entry block, the builder
    // at its start.
    auto makeKernel = [&](StringRef name, ArrayRef<Type> attributions,
                          ArrayRef<int64_t> grid, int64_t threads,
                          int64_t sharedBytes) -> Block & {
      auto kernel = gpu::GPUFuncOp::create(
          b, loc, name, b.getFunctionType(kernelParams, {}), attributions,
          TypeRange{});
      kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                      b.getUnitAttr());
      // ldmatrix and the 16-byte staging stores need 16-byte aligned rows.
      for (unsigned i = 0; i < attributions.size(); ++i)
        kernel.setWorkgroupAttributionAttr(i, "llvm.align",
                                           b.getI64IntegerAttr(16));
      kernel->setAttr(
          "retention.launch",
          b.getDictionaryAttr({
              b.getNamedAttr("grid", b.getDenseI64ArrayAttr(grid)),
              b.getNamedAttr("shared_bytes", b.getI64IntegerAttr(sharedBytes)),
              b.getNamedAttr("block",
                             b.getDenseI64ArrayAttr({threads, 1, 1})),
          }));
      kernel.setKnownBlockSizeAttr(
          b.getDenseI32ArrayAttr({int32_t(threads), 1, 1}));
      Block &body = kernel.getBody().front();
      b.setInsertionPointToStart(&body);
      return body;
    };
    // The chunkwise kernel `part` (grid x: value slices, times segments).
    int64_t slices = (shape.V + plan.vSlice - 1) / plan.vSlice;
    auto chunkKernel = [&](StringRef name, ChunkwiseMmaPart part) {
      OpBuilder::InsertionGuard guard(b);
      SmallVector<MemRefType> tiles = tilesOf(part);
      int64_t sharedBytes = part == ChunkwiseMmaPart::SegmentStates
                                ? plan.statesSharedBytes
                                : plan.sharedBytes;
      // Static workgroup memory up to 48 KiB, else dynamic; always dynamic
      // for the warpgroup kernel, whose swizzled tiles need the 1024-byte
      // alignment of its start.
      bool dynamicShared = sharedBytes > 48 * 1024 ||
                           (plan.warpgroupMma &&
                            part != ChunkwiseMmaPart::SegmentStates);
      SmallVector<Type> workgroup;
      if (!dynamicShared)
        workgroup.assign(tiles.begin(), tiles.end());
      // The last segment's contribution is never needed (its outputs
      // block writes the final state).
      int64_t segmentsInGrid =
          part == ChunkwiseMmaPart::SegmentStates
              ? plan.statesSplit * (plan.segments - 1)
              : plan.segments;
      Block &body = makeKernel(name, workgroup,
                               {slices * segmentsInGrid, shape.H, shape.B},
                               plan.threads, dynamicShared ? sharedBytes : 0);
      // The states kernel runs two blocks an SM where their shared tiles
      // allow: ptxas keeps it within half the register file.
      if (part == ChunkwiseMmaPart::SegmentStates &&
          plan.statesBlocksPerSM == 2)
        body.getParentOp()->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                                    b.getI32IntegerAttr(2));
      Emitter e{b, loc};
      SmallVector<Value> tileValues;
      if (dynamicShared) {
        auto bytes = MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                                     MemRefLayoutAttrInterface(), shared);
        Value base = gpu::DynamicSharedMemoryOp::create(b, loc, bytes);
        int64_t offset = 0;
        for (MemRefType t : tiles) {
          tileValues.push_back(memref::ViewOp::create(
              b, loc, t, base, e.idx(offset), ValueRange{}));
          offset += t.getNumElements() *
                    t.getElementType().getIntOrFloatBitWidth() / 8;
        }
      } else {
        auto kernel = cast<gpu::GPUFuncOp>(body.getParentOp());
        for (Value v : kernel.getWorkgroupAttributions())
          tileValues.push_back(v);
      }
      Value hi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
      Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
      ChunkwiseMmaOperands ops;
      ops.q = param(body, op.getQ());
      ops.k = param(body, op.getK());
      ops.v = param(body, op.getV());
      if (op.getInitialState())
        ops.s0 = param(body, op.getInitialState());
      ops.o = body.getArgument(nIn);
      ops.state = body.getArgument(nIn + 1);
      if (segmented) {
        ops.workspace = body.getArgument(nIn + 2);
        ops.slice = arith::RemUIOp::create(b, loc, bx, e.idx(slices));
        ops.segment = arith::DivUIOp::create(b, loc, bx, e.idx(slices));
      } else {
        ops.slice = bx;
      }
      ops.batch = gpu::BlockIdOp::create(b, loc, gpu::Dimension::z);
      ops.head = hi;
      ops.tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
      ops.log2g = selectLog2Gamma(e, op.getGammas(), hi);
      ops.scale = e.f32(op.getEffectiveScale());
      // The tiles in tilesOf's order: Ks, Vs for the states kernel; Qs, Ks,
      // Vs, then As (mma.sync) or Ss and the decay table (wgmma).
      if (part == ChunkwiseMmaPart::SegmentStates) {
        ops.Ks = tileValues[0];
        ops.Vs = tileValues[1];
      } else {
        ops.Qs = tileValues[0];
        ops.Ks = tileValues[1];
        ops.Vs = tileValues[2];
        if (plan.warpgroupMma) {
          ops.Ss = tileValues[3];
          ops.decayTable = tileValues[4];
        } else {
          ops.As = tileValues[3];
        }
      }
      if (plan.warpgroupMma && part != ChunkwiseMmaPart::SegmentStates)
        emitChunkwiseWarpgroupMma(e, shape, plan, ops, part);
      else
        emitChunkwiseTensorCores(e, shape, plan, ops, part);
      gpu::ReturnOp::create(b, loc);
    };
    StringRef name = func.getSymName();
    if (!segmented) {
      chunkKernel(name, ChunkwiseMmaPart::Whole);
      func.erase();
      return success();
    }
    // Segments: contributions, the scan, then the outputs, in this order
    // (the order of the launches).
    chunkKernel((name + "_states").str(), ChunkwiseMmaPart::SegmentStates);
    {
      OpBuilder::InsertionGuard guard(b);
      int64_t scanThreads = shape.K * shape.V / kSegmentScanWidth;
      int64_t scanBlocks =
          (scanThreads + kSegmentScanThreads - 1) / kSegmentScanThreads;
      Block &body = makeKernel((name + "_scan").str(), {},
                               {scanBlocks, shape.H, shape.B},
                               kSegmentScanThreads, 0);
      Emitter e{b, loc};
      Value hi = gpu::BlockIdOp::create(b, loc, gpu::Dimension::y);
      Value flat = e.addi(
          e.muli(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                 e.idx(kSegmentScanThreads)),
          gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
      emitSegmentScan(
          e, shape, plan,
          op.getInitialState() ? param(body, op.getInitialState()) : Value(),
          body.getArgument(nIn + 2),
          gpu::BlockIdOp::create(b, loc, gpu::Dimension::z), hi, flat,
          selectLog2Gamma(e, op.getGammas(), hi));
      gpu::ReturnOp::create(b, loc);
    }
    chunkKernel(name, ChunkwiseMmaPart::SegmentOutputs);
    func.erase();
    return success();
  }

  /// Threads (value columns) per block of the chunkwise and parallel forms:
  /// `block-size` if given; else the widest of 128, 64, 32 that still makes
  /// at least two blocks per SM (`num-sms`). Wide blocks share one score tile
  /// among more columns; narrow ones give small B*H more blocks (measured on
  /// the H200: 32 is 2.5x faster than 128 at B*H = 16, 1.35x slower at 512).
  int64_t chooseBlockSize(const RetentionShape &shape) const {
    if (blockSize > 0)
      return blockSize;
    for (int64_t block : {128, 64})
      if (((shape.V + block - 1) / block) * shape.B * shape.H >= 2 * numSMs)
        return block;
    return 32;
  }

  void runOnOperation() override {
    if (blockSize < 0 || blockSize > 1024 || blockSize % 32 ||
        parallelTile <= 0 || numSMs <= 0 || segments < 0 || stages < 0 ||
        stages > 4 || maxSharedBytes < 48 * 1024 ||
        (mmaVSlice != 0 && mmaVSlice != 16 && mmaVSlice != 32 &&
         mmaVSlice != 64 && mmaVSlice != 128)) {
      getOperation()->emitError("convert-retention-to-gpu: block-size must be "
                                "0 (auto) or "
                                "a multiple of 32 up to 1024 and parallel-tile "
                                "positive, num-sms positive, mma-v-slice 0, "
                                "16, 32, 64 or 128, segments >= 0, stages 0 "
                                "to 4, max-shared-bytes at least 49152");
      return signalPassFailure();
    }
    SmallVector<std::pair<func::FuncOp, RetentionOpInterface>> kernels;
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      RetentionOpInterface op = kernelOp(func);
      if (!op) {
        bool hasRetention = false;
        func.walk([&](RetentionOpInterface) { hasRetention = true; });
        if (hasRetention)
          return signalPassFailure();
        continue;
      }
      kernels.push_back({func, op});
    }
    for (auto [func, op] : kernels)
      if (failed(lower(func, op)))
        return signalPassFailure();
  }
};

} // namespace
