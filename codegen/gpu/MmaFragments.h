//===- MmaFragments.h - warp-level tensor-core fragments --------*- C++ -*-===//
//
// The warp-level pieces both tensor-core chunkwise kernels are written in:
// ldmatrix loads of mma.sync (m16n8k16) fragments, mma.sync itself, the
// register packing of 16-bit pairs, quad shuffles, 16-byte vector loads and
// stores of shared and global tiles, and the cp.async copies that stage a
// chunk's rows. Fragment layouts (PTX ISA,
// g = lane / 4, c = lane % 4):
//   A (16 x 16, row major)  reg r: row g + 8 (r % 2), columns 2c, 2c+1 (+8 for r >= 2)
//   B (16 x 8, k x n)       reg r: rows 2c, 2c+1 (+8 for r = 1), column g
//   C/D (16 x 8, f32)       acc x: row g + 8 (x / 2), column 2c + x % 2
// wgmma's register A operand and its accumulators use the same layouts,
// per warp of the warpgroup (rows 16 w..).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_MMAFRAGMENTS_H
#define RETC_CODEGEN_GPU_MMAFRAGMENTS_H

#include "codegen/gpu/InlinePtx.h"
#include "codegen/gpu/KernelEmitter.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <array>

namespace mlir::retention {

using Acc = std::array<Value, 4>;

/// Warp-level fragments: ldmatrix loads and mma.sync.
struct Fragments {
  Emitter &e;
  Type elt;
  Value lane16;  ///< lane % 16
  Value hi8;     ///< 8 * (lane / 16)
  Value lane8;   ///< lane % 8
  Value mid8;    ///< 8 * ((lane / 8) % 2)

  NVVM::MMATypes mmaType() const {
    return elt.isBF16() ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  }

  Value ldmatrix(Value tile, Value row, Value col, int64_t tiles, bool trans) {
    return nvgpu::LdMatrixOp::create(e.b, e.loc,
                                     VectorType::get({tiles, 2}, elt), tile,
                                     ValueRange{row, col}, trans, tiles);
  }
  /// One register pair as mma.sync takes it: vector<2xf16>, or a bf16 pair
  /// packed into an i32 (the NVVM op types bf16 operands so).
  Value reg(Value pair) { return elt.isBF16() ? word(pair) : pair; }
  SmallVector<Value> regs(Value frag) {
    SmallVector<Value> out;
    int64_t n = cast<VectorType>(frag.getType()).getDimSize(0);
    for (int64_t i = 0; i < n; ++i)
      out.push_back(reg(vector::ExtractOp::create(e.b, e.loc, frag, i)));
    return out;
  }
  /// A fragment of rows r0.., columns k0.. of a row-major tile.
  SmallVector<Value> loadA(Value tile, Value r0, Value k0) {
    Value row = e.addi(r0, lane16), col = e.addi(k0, hi8);
    return regs(ldmatrix(tile, row, col, 4, false));
  }
  /// A fragment of the transpose of `tile`: A[i][m] = tile[m][i] for rows
  /// i0.. and columns m0.. (matrix q = lane / 8 covers tile rows
  /// m0 + 8 (q / 2).., columns i0 + 8 (q % 2)..).
  SmallVector<Value> loadATransposed(Value tile, Value i0, Value m0) {
    Value row = e.addi(m0, e.addi(lane8, hi8)), col = e.addi(i0, mid8);
    return regs(ldmatrix(tile, row, col, 4, true));
  }
  /// B fragment (k0.. x n0..) of a tile stored [n][k].
  Value loadBRows(Value tile, Value n0, Value k0) {
    Value row = e.addi(n0, lane8), col = e.addi(k0, mid8);
    return ldmatrix(tile, row, col, 2, false);
  }
  /// B fragment (k0.. x n0..) of a tile stored [k][n].
  Value loadBColumns(Value tile, Value k0, Value n0) {
    return ldmatrix(tile, e.addi(k0, lane16), n0, 2, true);
  }
  /// The register of mma.sync's operand type (reg) holding the pair in
  /// i32 `w`.
  Value fromWord(Value w) {
    if (elt.isBF16())
      return w;
    Value v = vector::BroadcastOp::create(
        e.b, e.loc, VectorType::get({1}, e.b.getI32Type()), w);
    return vector::BitCastOp::create(e.b, e.loc, VectorType::get({2}, elt), v);
  }
  /// movmatrix.sync.aligned.m8n8.trans.b16: the 8 x 8 matrix of 16-bit
  /// pairs whose lane 4r + c holds row r, columns 2c, 2c+1 (i32 `w`),
  /// transposed in the same layout (lane 4r + c then holds the old rows 2c,
  /// 2c+1 of column r).
  Value transposed(Value w) {
    return inlinePtx(e, "movmatrix.sync.aligned.m8n8.trans.b16 $0, $1;",
                     "=r,r", {w}, {e.b.getI32Type()},
                     /*hasSideEffects=*/false)[0];
  }
  /// A pair of 16-bit elements as one i32.
  Value word(Value pair) {
    Value w = vector::BitCastOp::create(
        e.b, e.loc, VectorType::get({1}, e.b.getI32Type()), pair);
    return vector::ExtractOp::create(e.b, e.loc, w, 0);
  }
  /// The exponent bits of one 16-bit element (all set: Inf or NaN).
  int64_t exponentBits() const { return elt.isBF16() ? 0x7f80 : 0x7c00; }
  /// Bit 15 (31) of the result is set where the low (high) 16-bit element
  /// of the i32 word `w` is Inf or NaN, no other bit: its magnitude plus
  /// 0x8000 - exponentBits carries into bit 15 exactly then (at most
  /// 0x7fff + 0x0400, so never into the high half).
  Value nonFiniteBits(Value w) {
    Value magnitude = arith::AndIOp::create(e.b, e.loc, w, i32(0x7fff7fff));
    int64_t carry = 0x8000 - exponentBits();
    Value sum = arith::AddIOp::create(e.b, e.loc, magnitude,
                                      i32(carry << 16 | carry));
    return arith::AndIOp::create(e.b, e.loc, sum, i32(0x80008000));
  }
  /// Whether either 16-bit element of the i32 word `w` is Inf or NaN (i1).
  Value anyNonFinite(Value w) {
    return arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::ne,
                                 nonFiniteBits(w), i32(0));
  }
  /// The i32 word `w` of two 16-bit elements with each Inf or NaN element
  /// replaced by +0: an operand whose zero weights must stay zero terms
  /// (0 * Inf and 0 * NaN are NaN). `bits` is nonFiniteBits(w).
  Value finiteOnly(Value w, Value bits) {
    Value flags = arith::ShRUIOp::create(e.b, e.loc, bits, i32(15));
    Value drop = arith::MulIOp::create(e.b, e.loc, flags, i32(0xffff));
    Value keep = arith::XOrIOp::create(e.b, e.loc, drop, i32(-1));
    return arith::AndIOp::create(e.b, e.loc, w, keep);
  }
  /// Whether the 16-bit element `x` (of type elt) is Inf or NaN (i1).
  Value isNonFinite(Value x) {
    Type i16 = e.b.getI16Type();
    Value bits = arith::BitcastOp::create(e.b, e.loc, i16, x);
    Value exponent = arith::ConstantOp::create(
        e.b, e.loc, e.b.getIntegerAttr(i16, exponentBits()));
    Value masked = arith::AndIOp::create(e.b, e.loc, bits, exponent);
    return arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::eq, masked,
                                 exponent);
  }
  /// Whether `pred` (i1) holds in any lane of the warp (vote.sync.any).
  Value warpAny(Value pred) {
    return NVVM::VoteSyncOp::create(e.b, e.loc, e.b.getI1Type(), i32(-1), pred,
                                    NVVM::VoteSyncKind::any);
  }
  /// bar.warp.sync: the warp's shared and global writes so far are
  /// visible to all its lanes.
  void warpSync() { NVVM::SyncWarpOp::create(e.b, e.loc, i32(-1)); }
  Value i32(int64_t v) {
    return arith::ConstantOp::create(e.b, e.loc,
                                     e.b.getI32IntegerAttr(int32_t(v)));
  }
  /// `x` of lane `source` (i32) of the warp.
  Value shuffle(Value x, Value source) {
    Value width = arith::ConstantOp::create(e.b, e.loc,
                                            e.b.getI32IntegerAttr(32));
    return gpu::ShuffleOp::create(e.b, e.loc, x, source, width,
                                  gpu::ShuffleMode::IDX)
        .getShuffleResult();
  }
  Acc zero() { return {e.f32(0), e.f32(0), e.f32(0), e.f32(0)}; }
  Acc mma(ArrayRef<Value> a, ArrayRef<Value> b, const Acc &acc) {
    MLIRContext *ctx = e.b.getContext();
    Type f32 = e.b.getF32Type();
    auto accType = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
    Value d = NVVM::MmaOp::create(
        e.b, e.loc, accType, a, b, ValueRange(ArrayRef<Value>(acc)),
        ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
        std::array<NVVM::MMATypes, 2>{mmaType(), mmaType()},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    Acc out;
    for (int64_t i = 0; i < 4; ++i)
      out[i] = LLVM::ExtractValueOp::create(e.b, e.loc, d, ArrayRef<int64_t>{i});
    return out;
  }
  /// Two f32 values as a vector<2 x type>.
  Value pair(Value x, Value y, Type type) {
    Value p = vector::FromElementsOp::create(
        e.b, e.loc, VectorType::get({2}, e.b.getF32Type()), ValueRange{x, y});
    if (!type.isF32())
      p = arith::TruncFOp::create(e.b, e.loc, VectorType::get({2}, type), p);
    return p;
  }
  /// The B fragment `frag` with its four rows (k = 2c, 2c+1, 2c+8, 2c+9)
  /// scaled by `factors`, rounded back to the element type.
  SmallVector<Value> scaled(Value frag, ArrayRef<Value> factors) {
    SmallVector<Value> out;
    auto f32x2 = VectorType::get({2}, e.b.getF32Type());
    for (int64_t r = 0; r < 2; ++r) {
      Value p = vector::ExtractOp::create(e.b, e.loc, frag, r);
      Value x = arith::ExtFOp::create(e.b, e.loc, f32x2, p);
      Value f = vector::FromElementsOp::create(
          e.b, e.loc, f32x2, ValueRange{factors[2 * r], factors[2 * r + 1]});
      x = arith::MulFOp::create(e.b, e.loc, x, f);
      out.push_back(
          reg(arith::TruncFOp::create(e.b, e.loc, VectorType::get({2}, elt), x)));
    }
    return out;
  }
};

inline void storeVector(Emitter &e, Value x, Value buf, ValueRange idx) {
  auto vt = cast<VectorType>(x.getType());
  int64_t bytes =
      vt.getNumElements() * vt.getElementType().getIntOrFloatBitWidth() / 8;
  vector::StoreOp::create(e.b, e.loc, x, buf, idx, /*nontemporal=*/false,
                          llvm::MaybeAlign(bytes));
}

inline Value loadVector(Emitter &e, VectorType vt, Value buf, ValueRange idx) {
  int64_t bytes =
      vt.getNumElements() * vt.getElementType().getIntOrFloatBitWidth() / 8;
  return vector::LoadOp::create(e.b, e.loc, vt, buf, idx, /*nontemporal=*/false,
                                llvm::MaybeAlign(bytes));
}

/// `cond ? load : 0` for a vector load.
inline Value maskedLoad(Emitter &e, Value cond, VectorType vt, Value buf,
                 ValueRange idx) {
  auto ifOp = scf::IfOp::create(e.b, e.loc, TypeRange{vt}, cond,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard g(e.b);
  e.b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  scf::YieldOp::create(e.b, e.loc, loadVector(e, vt, buf, idx));
  e.b.setInsertionPointToStart(&ifOp.getElseRegion().front());
  scf::YieldOp::create(e.b, e.loc,
                       arith::ConstantOp::create(
                           e.b, e.loc, DenseElementsAttr::get(
                                           vt, e.b.getZeroAttr(
                                                   vt.getElementType())))
                           .getResult());
  return ifOp.getResult(0);
}

/// One 16-byte cp.async (`.cg`) of row t0 + n of `src` [B][T][H][*]
/// (batch `batch`, head `head`), columns col.., into dst[dstIndex]. Rows at
/// or past `count` and columns at or past `limit` are zero-filled: a copy
/// of no source bytes, its source clamped into the buffer (`T` is the
/// buffer's static row count; a run-time token count below it masks rows
/// through `count`, and a masked copy reads nothing).
inline void copyRowPiece(Emitter &e, Value src, Value dst, ValueRange dstIndex,
                         Value batch, Value head, int64_t T, Value t0, Value n,
                         Value count, Value col, int64_t limit) {
  Value inColumns = e.lt(col, e.idx(limit));
  Value ok = e.andi(e.lt(n, count), inColumns);
  Value row = e.addi(t0, n);
  Value t = e.mini(row, e.idx(T - 1));
  Value srcCol = e.select(inColumns, col, e.idx(0));
  Value all = e.idx(8), none = e.idx(0);
  Value srcElements = e.select(ok, all, none);
  nvgpu::DeviceAsyncCopyOp::create(
      e.b, e.loc, nvgpu::DeviceAsyncTokenType::get(e.b.getContext()), dst,
      dstIndex, src, ValueRange{batch, t, head, srcCol}, e.b.getIndexAttr(8),
      srcElements, e.b.getUnitAttr());
}

/// One 16-byte cp.async (`.cg`) of row t of `src` [B][T][H][*], columns
/// col.., into dst[dstIndex], the row and the columns known to be inside.
inline void copyInsidePiece(Emitter &e, Value src, Value dst,
                            ValueRange dstIndex, Value batch, Value head,
                            Value t, Value col) {
  nvgpu::DeviceAsyncCopyOp::create(
      e.b, e.loc, nvgpu::DeviceAsyncTokenType::get(e.b.getContext()), dst,
      dstIndex, src, ValueRange{batch, t, head, col}, e.b.getIndexAttr(8),
      /*srcElements=*/Value(), e.b.getUnitAttr());
}

/// `body(p, i)` for the `total` pieces p = tid + i * threads of a block's
/// `threads` threads, unrolled (so that what a thread computes from tid
/// alone is loop-invariant where the caller sits in a loop); the last,
/// partial pass is guarded by p < total.
inline void forEachPiece(Emitter &e, Value tid, int64_t threads,
                         int64_t total,
                         function_ref<void(Value, int64_t)> body) {
  for (int64_t i = 0; i * threads < total; ++i) {
    Value p = e.addi(tid, e.idx(i * threads));
    if ((i + 1) * threads <= total)
      body(p, i);
    else
      e.ifThen(e.lt(p, e.idx(total)), [&] { body(p, i); });
  }
}

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_MMAFRAGMENTS_H
