//===- GemmKernels.cpp - the GPU kernels of retention.linear --------------===//
//
// See GemmKernels.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GemmKernels.h"
#include "codegen/gpu/GemvKernel.h"
#include "codegen/gpu/GpuKernelBuilder.h"
#include "codegen/gpu/MmaFragments.h"
#include "codegen/gpu/WarpgroupMma.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

using namespace mlir;
using namespace mlir::retention;

namespace {

/// Elements of one padded row of a staged mma_sync tile: block_k and 16
/// bytes more, so that the eight 16-byte rows one ldmatrix reads start in
/// eight different bank groups.
int64_t paddedRow(GemmScheduleAttr s) { return s.getBlockK() + 8; }

/// The problem of one kernel: sizes and device buffers.
struct GemmProblem {
  int64_t M, N, K;
  Value x, weight, residual, y; ///< residual may be null
  Value rows;                   ///< the run-time M (index), or null: M

  /// The rows of x and y inside, as an index built at `e`'s insertion
  /// point.
  Value rowLimit(Emitter &e) const { return rows ? rows : e.idx(M); }
};

/// The block's first output row and column.
struct BlockOrigin {
  Value m0, n0;
};

BlockOrigin blockOrigin(Emitter &e, GemmScheduleAttr s) {
  Value bx = gpu::BlockIdOp::create(e.b, e.loc, gpu::Dimension::x);
  Value by = gpu::BlockIdOp::create(e.b, e.loc, gpu::Dimension::y);
  Value rowBlock = s.getMFirst() ? bx : by;
  Value columnBlock = s.getMFirst() ? by : bx;
  Value m0 = e.muli(rowBlock, e.idx(s.getBlockM()));
  Value n0 = e.muli(columnBlock, e.idx(s.getBlockN()));
  return {m0, n0};
}

/// y[row][col] = value (+ residual[row][col]) where (row, col) is inside.
void storeOutput(Emitter &e, const GemmProblem &p, Value row, Value col,
                 Value value) {
  // One op built per statement: the order of emitted ops must not depend
  // on the host compiler's order of evaluating arguments.
  Value rowInside = e.lt(row, p.rowLimit(e));
  Value inside = e.andi(rowInside, e.lt(col, e.idx(p.N)));
  e.ifThen(inside, [&] {
    Value out = value;
    if (p.residual)
      out = e.addf(out, e.load(p.residual, {row, col}));
    e.store(out, p.y, {row, col});
  });
}

/// The tensor-core kernels' epilogue: accumulator x of a warp's 16 x 8
/// tile (i, j) (mma.sync's m16n8 layout, also wgmma's for the warp's 16
/// rows) holds row rows0 + 16 i + g + 8 (x / 2), column cols0 + 8 j + 2c +
/// x % 2 (g = lane / 4, c = lane % 4). With N even a pair of columns 2c,
/// 2c + 1 is inside or outside together: one 2-element store (and residual
/// load) a pair.
void storeAccumulatorTiles(Emitter &e, const GemmProblem &p,
                           ArrayRef<Value> acc, int64_t tilesM, int64_t tilesN,
                           Value rows0, Value cols0, Value lane) {
  Value g = arith::DivUIOp::create(e.b, e.loc, lane, e.idx(4));
  Value c = arith::RemUIOp::create(e.b, e.loc, lane, e.idx(4));
  Value c2 = e.muli(c, e.idx(2));
  Type outType = cast<MemRefType>(p.y.getType()).getElementType();
  auto pairType = VectorType::get({2}, outType);
  auto f32x2 = VectorType::get({2}, e.b.getF32Type());
  for (int64_t i = 0; i < tilesM; ++i)
    for (int64_t j = 0; j < tilesN; ++j)
      for (int64_t half = 0; half < 2; ++half) {
        int64_t at = (i * tilesN + j) * 4 + 2 * half;
        Value rowInTile = e.addi(g, e.idx(16 * i + 8 * half));
        Value row = e.addi(rows0, rowInTile);
        Value colInTile = e.addi(c2, e.idx(8 * j));
        Value col = e.addi(cols0, colInTile);
        if (p.N % 2) {
          storeOutput(e, p, row, col, acc[at]);
          Value next = e.addi(col, e.idx(1));
          storeOutput(e, p, row, next, acc[at + 1]);
          continue;
        }
        Value rowInside = e.lt(row, p.rowLimit(e));
        Value inside = e.andi(rowInside, e.lt(col, e.idx(p.N)));
        e.ifThen(inside, [&] {
          Value sums = vector::FromElementsOp::create(
              e.b, e.loc, f32x2, ValueRange{acc[at], acc[at + 1]});
          if (p.residual) {
            Value r = loadVector(e, pairType, p.residual, {row, col});
            if (!outType.isF32())
              r = arith::ExtFOp::create(e.b, e.loc, f32x2, r);
            sums = arith::AddFOp::create(e.b, e.loc, sums, r);
          }
          if (!outType.isF32())
            sums = arith::TruncFOp::create(e.b, e.loc, pairType, sums);
          storeVector(e, sums, p.y, {row, col});
        });
      }
}

/// A loop over k tiles carrying `init`, the body returning the new values.
SmallVector<Value>
loopCarrying(Emitter &e, Value lb, Value ub, ArrayRef<Value> init,
             function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto forOp = scf::ForOp::create(
      e.b, e.loc, lb, ub, e.idx(1), init,
      [&](OpBuilder &nb, Location, Value iv, ValueRange carried) {
        OpBuilder::InsertionGuard g(e.b);
        e.b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
        scf::YieldOp::create(e.b, e.loc, body(iv, carried));
      });
  return SmallVector<Value>(forOp.getResults());
}

/// Where a 16-byte run of a staged row goes: at run * 8 elements (rows
/// padded for ldmatrix), or in the 128-byte swizzle (wgmma).
enum class StagedRows { Padded, Swizzled128 };

/// Element (row, column) of 16-byte run `piece` of staged row `row`: the
/// 128-byte swizzle of WarpgroupMma.h, run c of row r at c ^ (r % 8).
Value swizzledColumn(Emitter &e, Value row, Value piece) {
  Value rowInAtom = arith::RemUIOp::create(e.b, e.loc, row, e.idx(8));
  Value run = arith::XOrIOp::create(e.b, e.loc, piece, rowInAtom);
  return e.muli(run, e.idx(8));
}

/// The cp.async copies of one k tile of an operand: rows [r0, r0 + rows)
/// of `src` ([limit][K]), `runs` 16-byte runs from column k0, into buffer
/// `slot` of `dst` ([stages * rows][row length]). Piece p of the tile is
/// (row p / runs, run p % runs), so that consecutive threads fill a row.
/// Rows past `limit` (or the run-time `rowsInside`, at most `limit`, where
/// given) and columns past K are zero-filled (K is a multiple of 8, so a
/// run is wholly inside or outside): copies of no source bytes, their
/// source clamped into the operand.
void copyTileRows(Emitter &e, const GemmProblem &p, Value tid, int64_t threads,
                  Value src, Value dst, Value r0, int64_t rows, int64_t runs,
                  int64_t limit, Value rowsInside, Value slot, Value k0,
                  StagedRows layout) {
  forEachPiece(e, tid, threads, rows * runs, [&](Value piece, int64_t) {
    Value r = arith::DivUIOp::create(e.b, e.loc, piece, e.idx(runs));
    Value run = arith::RemUIOp::create(e.b, e.loc, piece, e.idx(runs));
    Value c = e.muli(run, e.idx(8));
    Value row = e.addi(r0, r), col = e.addi(k0, c);
    Value inCols = e.lt(col, e.idx(p.K));
    Value rowLimit = rowsInside ? rowsInside : e.idx(limit);
    Value ok = e.andi(e.lt(row, rowLimit), inCols);
    Value srcRow = e.mini(row, e.idx(limit - 1));
    Value srcCol = e.select(inCols, col, e.idx(0));
    Value dstRow = e.addi(e.muli(slot, e.idx(rows)), r);
    Value dstCol =
        layout == StagedRows::Padded ? c : swizzledColumn(e, r, run);
    Value all = e.idx(8), none = e.idx(0);
    Value srcElements = e.select(ok, all, none);
    nvgpu::DeviceAsyncCopyOp::create(
        e.b, e.loc, nvgpu::DeviceAsyncTokenType::get(e.b.getContext()), dst,
        ValueRange{dstRow, dstCol}, src, ValueRange{srcRow, srcCol},
        e.b.getIndexAttr(8), srcElements, e.b.getUnitAttr());
  });
}

//===----------------------------------------------------------------------===//
// simt
//===----------------------------------------------------------------------===//

/// Threads (tx, ty) = (tid % (block_n / thread_n), tid / ...); thread
/// (tx, ty) owns rows ty + i * (block_m / thread_m) and columns
/// tx + j * (block_n / thread_n) of the block, so that a warp's loads of a
/// staged k-row are consecutive (conflict-free) and its stores coalesce.
void buildSimtGemm(Emitter &e, GemmScheduleAttr s, const GemmProblem &p) {
  int64_t BM = s.getBlockM(), BN = s.getBlockN(), BK = s.getBlockK();
  int64_t TM = s.getThreadM(), TN = s.getThreadN();
  int64_t colThreads = BN / TN, rowThreads = BM / TM;
  int64_t threads = s.getThreads();
  Type f32 = e.b.getF32Type();
  Attribute shared = gpu::AddressSpaceAttr::get(e.b.getContext(),
                                                gpu::AddressSpace::Workgroup);
  auto tileType = [&](int64_t n) {
    return MemRefType::get({BK, n}, f32, MemRefLayoutAttrInterface(), shared);
  };
  SmallVector<Value> tiles = viewDynamicShared(e, {tileType(BM), tileType(BN)});
  Value xs = tiles[0], ws = tiles[1];
  Value tid = gpu::ThreadIdOp::create(e.b, e.loc, gpu::Dimension::x);
  Value tx = arith::RemUIOp::create(e.b, e.loc, tid, e.idx(colThreads));
  Value ty = arith::DivUIOp::create(e.b, e.loc, tid, e.idx(colThreads));
  BlockOrigin origin = blockOrigin(e, s);

  // Stages rows [r0, r0 + rows) of `src` ([limit][K]), columns k0.., into
  // dst[k][r] (zeros outside, or at or past the run-time `rowsInside`).
  auto stage = [&](Value src, Value dst, Value r0, int64_t rows, int64_t limit,
                   Value rowsInside, Value k0) {
    forEachPiece(e, tid, threads, rows * BK, [&](Value piece, int64_t) {
      Value r = arith::DivUIOp::create(e.b, e.loc, piece, e.idx(BK));
      Value c = arith::RemUIOp::create(e.b, e.loc, piece, e.idx(BK));
      Value row = e.addi(r0, r), col = e.addi(k0, c);
      Value rowLimit = rowsInside ? rowsInside : e.idx(limit);
      Value rowInside = e.lt(row, rowLimit);
      Value inside = e.andi(rowInside, e.lt(col, e.idx(p.K)));
      auto ifOp = scf::IfOp::create(e.b, e.loc, TypeRange{f32}, inside, true);
      {
        OpBuilder::InsertionGuard g(e.b);
        e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        scf::YieldOp::create(e.b, e.loc, e.load(src, {row, col}));
        e.b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scf::YieldOp::create(e.b, e.loc, e.f32(0));
      }
      memref::StoreOp::create(e.b, e.loc, ifOp.getResult(0), dst,
                              ValueRange{c, r});
    });
  };

  SmallVector<Value> init(TM * TN, e.f32(0));
  Value kTiles = e.idx((p.K + BK - 1) / BK);
  SmallVector<Value> acc = loopCarrying(
      e, e.idx(0), kTiles, init, [&](Value kt, ValueRange carried) {
        Value k0 = e.muli(kt, e.idx(BK));
        stage(p.x, xs, origin.m0, BM, p.M, p.rows, k0);
        stage(p.weight, ws, origin.n0, BN, p.N, Value(), k0);
        gpu::BarrierOp::create(e.b, e.loc);
        SmallVector<Value> sums(carried.begin(), carried.end());
        for (int64_t k = 0; k < BK; ++k) {
          SmallVector<Value> xv, wv;
          for (int64_t i = 0; i < TM; ++i)
            xv.push_back(memref::LoadOp::create(
                e.b, e.loc, xs,
                ValueRange{e.idx(k), e.addi(ty, e.idx(i * rowThreads))}));
          for (int64_t j = 0; j < TN; ++j)
            wv.push_back(memref::LoadOp::create(
                e.b, e.loc, ws,
                ValueRange{e.idx(k), e.addi(tx, e.idx(j * colThreads))}));
          for (int64_t i = 0; i < TM; ++i)
            for (int64_t j = 0; j < TN; ++j)
              sums[i * TN + j] = e.fma(xv[i], wv[j], sums[i * TN + j]);
        }
        // The next tile overwrites what this one read.
        gpu::BarrierOp::create(e.b, e.loc);
        return sums;
      });
  for (int64_t i = 0; i < TM; ++i)
    for (int64_t j = 0; j < TN; ++j) {
      Value row = e.addi(origin.m0, e.addi(ty, e.idx(i * rowThreads)));
      Value col = e.addi(origin.n0, e.addi(tx, e.idx(j * colThreads)));
      storeOutput(e, p, row, col, acc[i * TN + j]);
    }
}

//===----------------------------------------------------------------------===//
// mma_sync
//===----------------------------------------------------------------------===//

void buildMmaSyncGemm(Emitter &e, GemmScheduleAttr s, const GemmProblem &p,
                      Type elt) {
  int64_t BM = s.getBlockM(), BN = s.getBlockN(), BK = s.getBlockK();
  int64_t stages = s.getStages(), pitch = paddedRow(s);
  int64_t WM = BM / s.getWarpsM(), WN = BN / s.getWarpsN();
  int64_t tilesM = WM / 16, tilesN = WN / 8;
  int64_t threads = s.getThreads();
  int64_t piecesPerRow = BK / 8; // 16-byte cp.async pieces of a tile row
  Attribute shared = gpu::AddressSpaceAttr::get(e.b.getContext(),
                                                gpu::AddressSpace::Workgroup);
  auto tileType = [&](int64_t rows) {
    return MemRefType::get({stages * rows, pitch}, elt,
                           MemRefLayoutAttrInterface(), shared);
  };
  SmallVector<Value> tiles = viewDynamicShared(e, {tileType(BM), tileType(BN)});
  Value xs = tiles[0], ws = tiles[1];

  Value tid = gpu::ThreadIdOp::create(e.b, e.loc, gpu::Dimension::x);
  Value warp = arith::DivUIOp::create(e.b, e.loc, tid, e.idx(32));
  Value lane = arith::RemUIOp::create(e.b, e.loc, tid, e.idx(32));
  Value warpRow = arith::DivUIOp::create(e.b, e.loc, warp,
                                         e.idx(s.getWarpsN()));
  Value warpCol = arith::RemUIOp::create(e.b, e.loc, warp,
                                         e.idx(s.getWarpsN()));
  Value wm0 = e.muli(warpRow, e.idx(WM)), wn0 = e.muli(warpCol, e.idx(WN));
  auto rem = [&](Value v, int64_t d) {
    return arith::RemUIOp::create(e.b, e.loc, v, e.idx(d)).getResult();
  };
  auto div = [&](Value v, int64_t d) {
    return arith::DivUIOp::create(e.b, e.loc, v, e.idx(d)).getResult();
  };
  Fragments f{e, elt, rem(lane, 16), e.muli(div(lane, 16), e.idx(8)),
              rem(lane, 8), e.muli(rem(div(lane, 8), 2), e.idx(8))};
  BlockOrigin origin = blockOrigin(e, s);
  Value kTiles = e.idx((p.K + BK - 1) / BK);

  // The cp.async copies of k tile `kt` into buffer `slot`.
  auto copyOperand = [&](Value src, Value dst, Value r0, int64_t rows,
                         int64_t limit, Value rowsInside, Value slot,
                         Value k0) {
    copyTileRows(e, p, tid, threads, src, dst, r0, rows, piecesPerRow, limit,
                 rowsInside, slot, k0, StagedRows::Padded);
  };
  auto copyTile = [&](Value kt) {
    Value slot = rem(kt, stages), k0 = e.muli(kt, e.idx(BK));
    copyOperand(p.x, xs, origin.m0, BM, p.M, p.rows, slot, k0);
    copyOperand(p.weight, ws, origin.n0, BN, p.N, Value(), slot, k0);
  };
  // Every thread commits one group per tile (empty past the last), so that
  // "all but the newest stages - 2 groups done" means "tile kt is here".
  for (int64_t t = 0; t + 1 < stages; ++t) {
    e.ifThen(e.lt(e.idx(t), kTiles), [&] { copyTile(e.idx(t)); });
    NVVM::CpAsyncCommitGroupOp::create(e.b, e.loc);
  }

  SmallVector<Value> init(tilesM * tilesN * 4, e.f32(0));
  SmallVector<Value> acc = loopCarrying(
      e, e.idx(0), kTiles, init, [&](Value kt, ValueRange carried) {
        NVVM::CpAsyncWaitGroupOp::create(e.b, e.loc, stages - 2);
        // Tile kt is visible to all, and every warp is done with the
        // buffer the copy below refills (read at kt - 1).
        gpu::BarrierOp::create(e.b, e.loc);
        Value next = e.addi(kt, e.idx(stages - 1));
        e.ifThen(e.lt(next, kTiles), [&] { copyTile(next); });
        NVVM::CpAsyncCommitGroupOp::create(e.b, e.loc);
        Value slot = rem(kt, stages);
        Value xRow0 = e.addi(e.muli(slot, e.idx(BM)), wm0);
        Value wRow0 = e.addi(e.muli(slot, e.idx(BN)), wn0);
        SmallVector<Value> sums(carried.begin(), carried.end());
        for (int64_t kk = 0; kk < BK; kk += 16) {
          SmallVector<SmallVector<Value>> a, bf;
          for (int64_t i = 0; i < tilesM; ++i) {
            Value r0 = e.addi(xRow0, e.idx(16 * i));
            a.push_back(f.loadA(xs, r0, e.idx(kk)));
          }
          // One ldmatrix.x4 holds the B fragments of two n8 tiles: lanes
          // 0-15 address rows n..n+7 (k lo, k hi), lanes 16-31 n+8...
          for (int64_t j = 0; j < tilesN; j += 2) {
            Value laneRow = e.addi(f.lane8, f.hi8);
            Value row = e.addi(wRow0, e.addi(laneRow, e.idx(8 * j)));
            SmallVector<Value> regs =
                f.regs(f.ldmatrix(ws, row, e.addi(e.idx(kk), f.mid8), 4, false));
            bf.push_back({regs[0], regs[1]});
            bf.push_back({regs[2], regs[3]});
          }
          for (int64_t i = 0; i < tilesM; ++i)
            for (int64_t j = 0; j < tilesN; ++j) {
              int64_t at = (i * tilesN + j) * 4;
              Acc c = {sums[at], sums[at + 1], sums[at + 2], sums[at + 3]};
              Acc d = f.mma(a[i], bf[j], c);
              for (int64_t x = 0; x < 4; ++x)
                sums[at + x] = d[x];
            }
        }
        return sums;
      });
  NVVM::CpAsyncWaitGroupOp::create(e.b, e.loc, 0);

  Value rows0 = e.addi(origin.m0, wm0);
  Value cols0 = e.addi(origin.n0, wn0);
  storeAccumulatorTiles(e, p, acc, tilesM, tilesN, rows0, cols0, lane);
}

//===----------------------------------------------------------------------===//
// wgmma
//===----------------------------------------------------------------------===//

void buildWgmmaGemm(Emitter &e, GemmScheduleAttr s, const GemmProblem &p,
                    Type elt) {
  const int64_t BM = s.getBlockM(), BN = s.getBlockN(), BK = s.getBlockK();
  const int64_t stages = s.getStages(), lookahead = stages - 1;
  const int64_t groupsN = s.getWarpsN();
  const int64_t groupColumns = BN / groupsN; // one warpgroup's wgmma N
  const int64_t threads = s.getThreads();
  const int64_t rowBytes = BK * 2;           // 128: one swizzled row
  const int64_t kSteps = BK / 16;
  Attribute shared = gpu::AddressSpaceAttr::get(e.b.getContext(),
                                                gpu::AddressSpace::Workgroup);
  auto tileType = [&](int64_t rows) {
    return MemRefType::get({stages * rows, BK}, elt,
                           MemRefLayoutAttrInterface(), shared);
  };
  SmallVector<Value> tiles = viewDynamicShared(e, {tileType(BM), tileType(BN)});
  Value xs = tiles[0], ws = tiles[1];
  Value xAddr = sharedByteAddress(e, xs);
  Value wAddr = sharedByteAddress(e, ws);

  auto rem = [&](Value v, int64_t d) {
    return arith::RemUIOp::create(e.b, e.loc, v, e.idx(d)).getResult();
  };
  auto div = [&](Value v, int64_t d) {
    return arith::DivUIOp::create(e.b, e.loc, v, e.idx(d)).getResult();
  };
  Value tid = gpu::ThreadIdOp::create(e.b, e.loc, gpu::Dimension::x);
  Value lane = rem(tid, 32);
  Value warp = div(tid, 32);
  // The warpgroup's place, uniform across it, so that its descriptors are
  // computed in uniform registers.
  Value group = warpUniform(e, div(warp, 4));
  Value groupRow = div(group, groupsN);
  Value groupCol = rem(group, groupsN);
  BlockOrigin origin = blockOrigin(e, s);
  Value kTiles = e.idx((p.K + BK - 1) / BK);

  // The cp.async copies of k tile `kt` into buffer `slot`: eight runs a
  // row, so that eight lanes fill one 128-byte row (every bank once) and
  // a warp reads four whole rows.
  auto copyOperand = [&](Value src, Value dst, Value r0, int64_t rows,
                         int64_t limit, Value rowsInside, Value slot,
                         Value k0) {
    copyTileRows(e, p, tid, threads, src, dst, r0, rows, 8, limit, rowsInside,
                 slot, k0, StagedRows::Swizzled128);
  };
  auto copyTile = [&](Value kt) {
    Value slot = rem(kt, stages), k0 = e.muli(kt, e.idx(BK));
    copyOperand(p.x, xs, origin.m0, BM, p.M, p.rows, slot, k0);
    copyOperand(p.weight, ws, origin.n0, BN, p.N, Value(), slot, k0);
  };
  // Every thread commits one cp.async group per tile (empty past the
  // last): `lookahead` = stages - 1 tiles ahead of the one computed.
  for (int64_t t = 0; t < lookahead; ++t) {
    e.ifThen(e.lt(e.idx(t), kTiles), [&] { copyTile(e.idx(t)); });
    NVVM::CpAsyncCommitGroupOp::create(e.b, e.loc);
  }

  // Both operands K-major in the 128-byte swizzle: 8-row groups 1024
  // bytes apart, k-step ks 32 ks bytes into the row. This warpgroup's x
  // rows start 64 groupRow rows into a stage, its weight rows
  // groupColumns groupCol rows in.
  Value xGroupAt = e.muli(groupRow, e.idx(64 * rowBytes));
  Value wGroupAt = e.muli(groupCol, e.idx(groupColumns * rowBytes));
  SmallVector<Value> init(groupColumns / 2, e.f32(0));
  SmallVector<Value> acc = loopCarrying(
      e, e.idx(0), kTiles, init, [&](Value kt, ValueRange carried) {
        // Tile kt is here (this thread's copies), published to the async
        // proxy wgmma reads through; after the barrier, everyone's.
        NVVM::CpAsyncWaitGroupOp::create(e.b, e.loc, lookahead - 1);
        fenceProxyAsyncShared(e);
        gpu::BarrierOp::create(e.b, e.loc);
        Value slot = rem(kt, stages);
        Value xStage = e.addi(e.muli(slot, e.idx(BM * rowBytes)), xGroupAt);
        Value wStage = e.addi(e.muli(slot, e.idx(BN * rowBytes)), wGroupAt);
        Value xDesc = wgmmaDescriptor(e, xAddr, xStage, 16, 1024,
                                      /*swizzle128=*/true);
        Value wDesc = wgmmaDescriptor(e, wAddr, wStage, 16, 1024,
                                      /*swizzle128=*/true);
        SmallVector<Value> sums(carried.begin(), carried.end());
        wgmmaFence(e);
        for (int64_t ks = 0; ks < kSteps; ++ks) {
          Value xStep = descriptorPlus(e, xDesc, 32 * ks);
          Value wStep = descriptorPlus(e, wDesc, 32 * ks);
          sums = wgmma(e, elt, sums, {}, xStep, wStep, /*transB=*/false);
        }
        wgmmaCommit(e);
        // Tile kt's group stays in flight; kt - 1's is done in this
        // warpgroup, and after the barrier in every one, so its buffer
        // takes the copy of tile kt - 1 + stages.
        wgmmaWait(e, 1);
        gpu::BarrierOp::create(e.b, e.loc);
        Value next = e.addi(kt, e.idx(lookahead));
        e.ifThen(e.lt(next, kTiles), [&] { copyTile(next); });
        NVVM::CpAsyncCommitGroupOp::create(e.b, e.loc);
        return sums;
      });
  wgmmaWait(e, 0);
  acc = fenceOperands(e, acc);
  NVVM::CpAsyncWaitGroupOp::create(e.b, e.loc, 0);

  // Warp q of the warpgroup holds rows 16 q.. of its 64.
  Value warpInGroup = rem(warp, 4);
  Value groupRows0 = e.addi(origin.m0, e.muli(groupRow, e.idx(64)));
  Value rows0 = e.addi(groupRows0, e.muli(warpInGroup, e.idx(16)));
  Value cols0 = e.addi(origin.n0, e.muli(groupCol, e.idx(groupColumns)));
  storeAccumulatorTiles(e, p, acc, 1, groupColumns / 8, rows0, cols0, lane);
}

} // namespace

SmallVector<int64_t> mlir::retention::gemmGrid(GemmScheduleAttr s, int64_t M,
                                               int64_t N) {
  int64_t rowBlocks = (M + s.getBlockM() - 1) / s.getBlockM();
  int64_t columnBlocks = (N + s.getBlockN() - 1) / s.getBlockN();
  if (s.getMFirst())
    return {rowBlocks, columnBlocks, 1};
  return {columnBlocks, rowBlocks, 1};
}

int64_t mlir::retention::gemmSharedBytes(GemmScheduleAttr s, Type elt) {
  if (s.getKernel() == GpuKernel::Gemv)
    return gemvSharedBytes(s);
  if (s.getKernel() == GpuKernel::Simt)
    return s.getBlockK() * (s.getBlockM() + s.getBlockN()) * 4;
  int64_t eltBytes = elt.getIntOrFloatBitWidth() / 8;
  if (s.getKernel() == GpuKernel::Wgmma) // unpadded swizzled rows
    return s.getStages() * (s.getBlockM() + s.getBlockN()) * s.getBlockK() *
           eltBytes;
  return s.getStages() * (s.getBlockM() + s.getBlockN()) * paddedRow(s) *
         eltBytes;
}

LogicalResult mlir::retention::buildGemmKernel(OpBuilder &b, Location loc,
                                               StringRef name,
                                               const Projection &op,
                                               GemmScheduleAttr s,
                                               const GemmSignature &signature) {
  if (signature.numRows >= 0 &&
      (unsigned(signature.numRows) >= signature.params.size() ||
       !isa<IndexType>(signature.params[signature.numRows])))
    return op.op->emitOpError("a run-time row count must be an index "
                           "parameter of the kernel (numRows = ")
           << signature.numRows << ")";
  if (s.getKernel() == GpuKernel::Gemv) {
    buildGemvKernel(b, loc, name, op, s, signature);
    return success();
  }
  if (signature.norm >= 0)
    return op.op->emitOpError("with a fused norm needs the gemv kernel");
  if (signature.up >= 0)
    return op.op->emitOpError("with two weights needs the gemv kernel");
  if (!signature.groupOutputs.empty())
    return op.op->emitOpError("a group of weights needs the gemv kernel");
  RankedTensorType xType = op.x.getType();
  RankedTensorType wType = op.weight.getType();
  int64_t M = xType.getDimSize(0), K = xType.getDimSize(1),
          N = wType.getDimSize(0);
  int64_t sharedBytes = gemmSharedBytes(s, xType.getElementType());
  SmallVector<int64_t> grid = gemmGrid(s, M, N);
  gpu::GPUFuncOp kernel =
      createKernelFunc(b, loc, name, signature.params, {}, grid,
                       {s.getThreads(), 1, 1}, sharedBytes);
  Block &body = kernel.getBody().front();
  Emitter e{b, loc};
  GemmProblem p{M,
                N,
                K,
                body.getArgument(signature.x),
                body.getArgument(signature.weight),
                signature.residual >= 0
                    ? body.getArgument(unsigned(signature.residual))
                    : Value(),
                body.getArgument(signature.y),
                signature.numRows >= 0
                    ? body.getArgument(unsigned(signature.numRows))
                    : Value()};
  if (s.getKernel() == GpuKernel::Wgmma)
    buildWgmmaGemm(e, s, p, xType.getElementType());
  else if (s.getKernel() == GpuKernel::MmaSync)
    buildMmaSyncGemm(e, s, p, xType.getElementType());
  else
    buildSimtGemm(e, s, p);
  gpu::ReturnOp::create(b, loc);
  return success();
}
