//===- KernelEmitter.h - scalar GPU kernel code at a builder ----*- C++ -*-===//
//
// The small vocabulary the GPU lowerings write their kernels in: index and
// f32 constants, integer and float arithmetic, loads and stores that convert
// to and from f32, loops, sums and conditionals, and decay powers. Shared by
// convert-retention-to-gpu's SIMT kernels and its tensor-core chunkwise
// kernel.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_KERNELEMITTER_H
#define RETC_CODEGEN_GPU_KERNELEMITTER_H

#include "codegen/common/DecayTables.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

namespace mlir::retention {

/// Scalar SIMT code at a builder's insertion point.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)));
  }
  Value addi(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value subi(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value muli(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value mini(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, y);
  }
  Value le(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, x, y);
  }
  Value andi(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value mulf(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value addf(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  /// x * y + z, contracted to one fma.
  Value fma(Value x, Value y, Value z) { return math::FmaOp::create(b, loc, x, y, z); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  /// Loads an element as f32.
  Value load(Value buf, ValueRange i) {
    Value x = memref::LoadOp::create(b, loc, buf, i);
    if (!x.getType().isF32())
      x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
    return x;
  }
  /// Stores an f32 value, converting to the buffer's element type.
  void store(Value x, Value buf, ValueRange i) {
    Type elt = cast<MemRefType>(buf.getType()).getElementType();
    if (elt != x.getType())
      x = arith::TruncFOp::create(b, loc, elt, x);
    memref::StoreOp::create(b, loc, x, buf, i);
  }
  void loop(Value lb, Value ub, Value step, function_ref<void(Value)> body) {
    scf::ForOp::create(b, loc, lb, ub, step, ValueRange{},
                       [&](OpBuilder &nb, Location, Value iv, ValueRange) {
                         OpBuilder::InsertionGuard g(b);
                         b.setInsertionPoint(nb.getInsertionBlock(),
                                             nb.getInsertionPoint());
                         body(iv);
                         scf::YieldOp::create(b, loc);
                       });
  }
  /// A sum over [lb, ub) of term(iv), starting from init.
  Value sum(Value lb, Value ub, Value init, function_ref<Value(Value, Value)> step) {
    auto forOp = scf::ForOp::create(
        b, loc, lb, ub, idx(1), ValueRange{init},
        [&](OpBuilder &nb, Location, Value iv, ValueRange acc) {
          OpBuilder::InsertionGuard g(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          scf::YieldOp::create(b, loc, step(iv, acc[0]));
        });
    return forOp.getResult(0);
  }
  void ifThen(Value cond, function_ref<void()> body) {
    auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    body();
  }
  /// gamma^e (index e; 0 for e < 0).
  Value power(Value e, Value log2g, Value factor) {
    return emitDecayPower(b, loc, e, log2g, factor);
  }
};

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_KERNELEMITTER_H
