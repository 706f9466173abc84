//===- TileEmitter.cpp - CPU tile building blocks -------------------------===//
//
// See TileEmitter.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/TileEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::retention;

Value TileEmitter::index(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value TileEmitter::f32(float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

VectorType TileEmitter::vecType() {
  return VectorType::get({tile.width}, b.getF32Type());
}

Value TileEmitter::zeroVec() {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vecType(), b.getF32FloatAttr(0.0f)));
}

Value TileEmitter::add(Value a, Value c) {
  if (isa<IndexType>(a.getType()))
    return arith::AddIOp::create(b, loc, a, c);
  return arith::AddFOp::create(b, loc, a, c);
}

Value TileEmitter::mul(Value a, Value c) {
  if (isa<IndexType>(a.getType()))
    return arith::MulIOp::create(b, loc, a, c);
  return arith::MulFOp::create(b, loc, a, c);
}

Value TileEmitter::min(Value a, Value c) {
  return arith::MinSIOp::create(b, loc, a, c);
}

Value TileEmitter::alloc(ArrayRef<int64_t> shape) {
  auto type = MemRefType::get(shape, b.getF32Type());
  return memref::AllocOp::create(b, loc, type, b.getI64IntegerAttr(64));
}

void TileEmitter::dealloc(Value buf) { memref::DeallocOp::create(b, loc, buf); }

void TileEmitter::loop(Value lb, Value ub, int64_t step,
                       function_ref<void(Value)> body) {
  scf::ForOp::create(b, loc, lb, ub, index(step), ValueRange{},
                     [&](OpBuilder &nested, Location, Value iv, ValueRange) {
                       OpBuilder::InsertionGuard guard(b);
                       b.setInsertionPoint(nested.getInsertionBlock(),
                                           nested.getInsertionPoint());
                       body(iv);
                       scf::YieldOp::create(b, loc);
                     });
}

SmallVector<Value>
TileEmitter::loop(Value lb, Value ub, int64_t step, ValueRange init,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto forOp = scf::ForOp::create(
      b, loc, lb, ub, index(step), init,
      [&](OpBuilder &nested, Location, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        SmallVector<Value> next = body(iv, args);
        scf::YieldOp::create(b, loc, next);
      });
  return SmallVector<Value>(forOp.getResults());
}

void TileEmitter::ifElse(Value cond, function_ref<void()> then,
                         function_ref<void()> otherwise) {
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{}, cond,
                                /*withElseRegion=*/bool(otherwise));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    then();
  }
  if (otherwise) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    otherwise();
  }
}

Value TileEmitter::loadVec(Value buf, ValueRange idx) {
  return vector::LoadOp::create(b, loc, vecType(), buf, idx);
}

void TileEmitter::storeVec(Value v, Value buf, ValueRange idx) {
  vector::StoreOp::create(b, loc, v, buf, idx);
}

Value TileEmitter::load(Value buf, ValueRange idx) {
  return memref::LoadOp::create(b, loc, buf, idx);
}

void TileEmitter::store(Value v, Value buf, ValueRange idx) {
  memref::StoreOp::create(b, loc, v, buf, idx);
}

Value TileEmitter::readVector(Value src, ValueRange idx, int64_t extent) {
  auto type = cast<MemRefType>(src.getType());
  Type elt = type.getElementType();
  auto vt = VectorType::get({tile.width}, elt);
  Value pad = arith::ConstantOp::create(b, loc, b.getFloatAttr(elt, 0.0));
  // Column loops never run past roundUp(extent, colBlock), so when the
  // column block divides the extent every vector is in bounds.
  bool inBounds = extent % tile.colBlock() == 0;
  Value v = vector::TransferReadOp::create(b, loc, vt, src, idx, pad,
                                           ArrayRef<bool>{inBounds});
  if (!elt.isF32())
    v = arith::ExtFOp::create(b, loc, vecType(), v);
  return v;
}

void TileEmitter::writeVector(Value v, Value dst, ValueRange idx,
                              int64_t extent) {
  auto type = cast<MemRefType>(dst.getType());
  Type elt = type.getElementType();
  if (!elt.isF32())
    v = arith::TruncFOp::create(b, loc, VectorType::get({tile.width}, elt), v);
  bool inBounds = extent % tile.colBlock() == 0;
  vector::TransferWriteOp::create(b, loc, v, dst, idx,
                                  ArrayRef<bool>{inBounds});
}

Value TileEmitter::readRow(Value src, Value bi, Value t, Value hi, Value c) {
  int64_t extent = cast<MemRefType>(src.getType()).getDimSize(3);
  return readVector(src, ValueRange{bi, t, hi, c}, extent);
}

void TileEmitter::writeRow(Value v, Value dst, Value bi, Value t, Value hi,
                           Value c) {
  int64_t extent = cast<MemRefType>(dst.getType()).getDimSize(3);
  writeVector(v, dst, ValueRange{bi, t, hi, c}, extent);
}

Value TileEmitter::readStateRow(Value src, Value bi, Value hi, Value r,
                                Value c) {
  int64_t extent = cast<MemRefType>(src.getType()).getDimSize(3);
  return readVector(src, ValueRange{bi, hi, r, c}, extent);
}

void TileEmitter::writeStateRow(Value v, Value dst, Value bi, Value hi,
                                Value r, Value c) {
  int64_t extent = cast<MemRefType>(dst.getType()).getDimSize(3);
  writeVector(v, dst, ValueRange{bi, hi, r, c}, extent);
}

void TileEmitter::zeroTile(Value tile2d) {
  auto type = cast<MemRefType>(tile2d.getType());
  Value zero = zeroVec();
  Value rowBegin = index(0), rowEnd = index(type.getDimSize(0));
  loop(rowBegin, rowEnd, 1, [&](Value r) {
    Value colBegin = index(0), colEnd = index(type.getDimSize(1));
    loop(colBegin, colEnd, tile.width,
         [&](Value c) { storeVec(zero, tile2d, {r, c}); });
  });
}

void TileEmitter::packRows(Value dst, Value src, Value bi, Value row0,
                           Value hi, Value count) {
  auto dstType = cast<MemRefType>(dst.getType());
  int64_t extent = cast<MemRefType>(src.getType()).getDimSize(3);
  int64_t covered = roundUp(extent, tile.width);
  Value zero = zeroVec();
  Value rowBegin = index(0), rowEnd = index(dstType.getDimSize(0));
  loop(rowBegin, rowEnd, 1, [&](Value r) {
    Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r,
                                        count);
    ifElse(
        valid,
        [&] {
          Value t = add(row0, r);
          Value colBegin = index(0), colEnd = index(covered);
          loop(colBegin, colEnd, tile.width, [&](Value c) {
            storeVec(readRow(src, bi, t, hi, c), dst, {r, c});
          });
          if (covered < dstType.getDimSize(1)) {
            Value padBegin = index(covered),
                  padEnd = index(dstType.getDimSize(1));
            loop(padBegin, padEnd, tile.width,
                 [&](Value c) { storeVec(zero, dst, {r, c}); });
          }
        },
        [&] {
          Value colBegin = index(0), colEnd = index(dstType.getDimSize(1));
          loop(colBegin, colEnd, tile.width,
               [&](Value c) { storeVec(zero, dst, {r, c}); });
        });
  });
}

void TileEmitter::packTransposed(Value dst, Value scaledDst, Value rowScale,
                                 Value src, Value bi, Value row0, Value hi,
                                 Value count) {
  auto dstType = cast<MemRefType>(dst.getType());
  int64_t extent = cast<MemRefType>(src.getType()).getDimSize(3);
  int64_t covered = roundUp(extent, tile.width);
  // Zero the padding rows (columns of the source past its extent) once.
  Value padBegin = index(covered), padEnd = index(dstType.getDimSize(0));
  loop(padBegin, padEnd, 1, [&](Value c) {
    Value zero = zeroVec();
    Value rowBegin = index(0), rowEnd = index(dstType.getDimSize(1));
    loop(rowBegin, rowEnd, tile.width, [&](Value r) {
      storeVec(zero, dst, {c, r});
      if (scaledDst)
        storeVec(zero, scaledDst, {c, r});
    });
  });
  Value rowBegin = index(0), rowEnd = index(dstType.getDimSize(1));
  loop(rowBegin, rowEnd, 1, [&](Value r) {
    Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r,
                                        count);
    Value scale = scaledDst ? load(rowScale, {r}) : Value();
    Value colBegin = index(0), colEnd = index(covered);
    loop(colBegin, colEnd, tile.width, [&](Value c0) {
      auto ifOp = scf::IfOp::create(b, loc, TypeRange{vecType()}, valid,
                                    /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(&ifOp.getThenRegion().front());
        scf::YieldOp::create(b, loc, readRow(src, bi, add(row0, r), hi, c0));
        b.setInsertionPointToStart(&ifOp.getElseRegion().front());
        scf::YieldOp::create(b, loc, zeroVec());
      }
      Value v = ifOp.getResult(0);
      Value scaled =
          scaledDst
              ? arith::MulFOp::create(
                    b, loc, v, vector::BroadcastOp::create(b, loc, vecType(), scale))
                    .getResult()
              : Value();
      for (int64_t lane = 0; lane < tile.width; ++lane) {
        Value c = add(c0, index(lane));
        store(vector::ExtractOp::create(b, loc, v, lane), dst, {c, r});
        if (scaledDst)
          store(vector::ExtractOp::create(b, loc, scaled, lane), scaledDst,
                {c, r});
      }
    });
  });
}

SmallVector<Value> TileEmitter::zeroAccumulators() {
  return SmallVector<Value>(tile.rows * tile.cols, zeroVec());
}

SmallVector<Value>
TileEmitter::rankUpdate(Value lb, Value ub, ArrayRef<Value> acc,
                        function_ref<Value(int64_t r, Value p)> a,
                        function_ref<Value(int64_t jv, Value p)> bVec) {
  return loop(lb, ub, 1, acc, [&](Value p, ValueRange cur) {
    SmallVector<Value> bs;
    for (int64_t jv = 0; jv < tile.cols; ++jv)
      bs.push_back(bVec(jv, p));
    SmallVector<Value> next(cur.begin(), cur.end());
    for (int64_t r = 0; r < tile.rows; ++r) {
      Value ar = vector::BroadcastOp::create(b, loc, vecType(), a(r, p));
      for (int64_t jv = 0; jv < tile.cols; ++jv) {
        Value &slot = next[r * tile.cols + jv];
        slot = vector::FMAOp::create(b, loc, ar, bs[jv], slot);
      }
    }
    return next;
  });
}
