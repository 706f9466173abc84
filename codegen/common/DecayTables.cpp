//===- DecayTables.cpp - decay factors computed in generated code ---------===//
//
// See DecayTables.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/common/DecayTables.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"

#include <cmath>

using namespace mlir;
using namespace mlir::retention;

StringRef mlir::retention::getOrCreateLog2GammaGlobal(ModuleOp module,
                                                      ArrayRef<double> gammas) {
  OpBuilder b(module.getContext());
  SmallVector<float> values;
  for (double g : gammas)
    values.push_back(float(std::log2(g)));
  auto type = MemRefType::get({int64_t(values.size())}, b.getF32Type());
  auto init = DenseElementsAttr::get(
      RankedTensorType::get(type.getShape(), b.getF32Type()),
      ArrayRef<float>(values));
  // Reuse an identical table.
  for (auto global : module.getOps<memref::GlobalOp>())
    if (global.getInitialValue() == init && global.getType() == type)
      return global.getSymName();
  SymbolTable symbols(module);
  b.setInsertionPointToStart(module.getBody());
  auto global = memref::GlobalOp::create(
      b, module.getLoc(), "__retention_log2_gamma", b.getStringAttr("private"),
      type, init, /*constant=*/true, /*alignment=*/nullptr);
  symbols.insert(global); // uniquifies the name
  return global.getSymName();
}

Value mlir::retention::emitLoadLog2Gamma(OpBuilder &b, Location loc,
                                         StringRef global, int64_t numHeads,
                                         Value head) {
  auto type = MemRefType::get({numHeads}, b.getF32Type());
  Value table = memref::GetGlobalOp::create(b, loc, type, global);
  return memref::LoadOp::create(b, loc, table, ValueRange{head});
}

Value mlir::retention::emitDecayPower(OpBuilder &b, Location loc, Value e,
                                      Value log2g, Value factor) {
  Type f32 = b.getF32Type();
  Value ei = arith::IndexCastOp::create(b, loc, b.getI64Type(), e);
  Value ef = arith::SIToFPOp::create(b, loc, f32, ei);
  Value p = math::Exp2Op::create(
      b, loc, arith::MulFOp::create(b, loc, ef, log2g).getResult());
  p = arith::MulFOp::create(b, loc, p, factor);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, e, c0);
  return arith::SelectOp::create(b, loc, negative, zero, p);
}

void mlir::retention::emitDecayTable(OpBuilder &b, Location loc, Value buf,
                                     int64_t len, Value base, int64_t dir,
                                     Value log2g, Value factor) {
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value n = arith::ConstantIndexOp::create(b, loc, len);
  Value d = arith::ConstantIndexOp::create(b, loc, dir);
  scf::ForOp::create(b, loc, c0, n, c1, ValueRange{},
                     [&](OpBuilder &b, Location loc, Value x, ValueRange) {
                       Value e = arith::AddIOp::create(
                           b, loc, base, arith::MulIOp::create(b, loc, d, x));
                       Value p = emitDecayPower(b, loc, e, log2g, factor);
                       memref::StoreOp::create(b, loc, p, buf, ValueRange{x});
                       scf::YieldOp::create(b, loc);
                     });
}
