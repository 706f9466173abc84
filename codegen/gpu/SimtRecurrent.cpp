//===- SimtRecurrent.cpp - the recurrent form, SIMT -----------------------===//
//
// See SimtKernels.h: the decode kernel. Every state load of a token is in
// flight at once, so that a decode step is one round trip to memory.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/SimtKernels.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::retention;

/// The recurrent form. Thread (x, y) owns `lanes` adjacent value columns
/// j.. of one (batch, head) and the state rows y, y + kSplit, ... of them, so
/// a decode step has many 16-byte loads in flight; each token's partial dot
/// products meet in shared memory (`partial`, [kSplit][block * lanes]).
void mlir::retention::emitSimtRecurrent(SimtThread &t, Value ty, int64_t kSplit,
                                        int64_t lanes, Value partial) {
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
      Value vj = load(t.v, {t.row, t.at(tok), t.hi, t.j});
      // Row r of this thread is ty + r * kSplit. The rows are unrolled (up
      // to 64 per thread) so that every state load is in flight at once: a
      // decode step is one round trip to memory.
      int64_t perThread = (t.shape.K + kSplit - 1) / kSplit;
      bool ragged = t.shape.K % kSplit != 0;
      auto step = [&](Value r, Value acc) -> Value {
        Value i = e.addi(ty, e.muli(r, e.idx(kSplit)));
        auto body = [&]() -> Value {
          Value p = prev ? load(prev, {t.bi, t.hi, i, t.j}) : zero;
          Value kk = splat(e.load(t.k, {t.row, t.at(tok), t.hi, i}));
          Value s = e.fma(kk, vj, e.mulf(gamma, p));
          store(s, t.st, {t.bi, t.hi, i, t.j});
          return e.fma(splat(e.load(t.q, {t.row, t.at(tok), t.hi, i})), s, acc);
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
        Value row0 = e.idx(0), rowsEnd = e.idx(perThread);
        dot = e.sum(row0, rowsEnd, dot, step);
      }
      vector::StoreOp::create(e.b, e.loc, dot, partial, ValueRange{ty, col},
                              /*nontemporal=*/false, align(e.b.getF32Type()));
    });
    gpu::BarrierOp::create(e.b, e.loc);
    Value first = arith::CmpIOp::create(e.b, e.loc, arith::CmpIPredicate::eq,
                                        ty, e.idx(0));
    e.ifThen(e.andi(first, t.inRange), [&] {
      Value part0 = e.idx(0), partsEnd = e.idx(kSplit);
      Value acc = e.sum(part0, partsEnd, zero, [&](Value y, Value acc) {
        return e.addf(acc, vector::LoadOp::create(
                               e.b, e.loc, vt, partial, ValueRange{y, col},
                               /*nontemporal=*/false, align(e.b.getF32Type())));
      });
      store(e.mulf(acc, splat(t.scale)), t.o, {t.row, t.at(tok), t.hi, t.j});
    });
    // `partial` is rewritten by the next token.
    gpu::BarrierOp::create(e.b, e.loc);
  };
  token(e.idx(0), t.s0);
  Value second = e.idx(1), tokensEnd = t.T(), step = e.idx(1);
  e.loop(second, tokensEnd, step, [&](Value tok) { token(tok, t.st); });
}

