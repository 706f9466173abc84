//===- InlinePtx.cpp - inline PTX at an Emitter ---------------------------===//
//
// See InlinePtx.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/InlinePtx.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;
using namespace mlir::retention;

SmallVector<Value> mlir::retention::inlinePtx(Emitter &e, StringRef ptx,
                                              StringRef constraints,
                                              ValueRange operands,
                                              TypeRange resultTypes,
                                              bool hasSideEffects) {
  OpBuilder &b = e.b;
  Type resultType;
  if (resultTypes.size() == 1)
    resultType = resultTypes.front();
  else if (resultTypes.size() > 1)
    resultType = LLVM::LLVMStructType::getLiteral(
        b.getContext(), SmallVector<Type>(resultTypes));
  auto op = LLVM::InlineAsmOp::create(
      b, e.loc, resultType ? TypeRange{resultType} : TypeRange{}, operands,
      ptx, constraints, hasSideEffects, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
  SmallVector<Value> out;
  if (resultTypes.size() == 1)
    out.push_back(op.getResult(0));
  for (int64_t i = 0; resultTypes.size() > 1 && i < int64_t(resultTypes.size());
       ++i)
    out.push_back(LLVM::ExtractValueOp::create(b, e.loc, op.getResult(0),
                                               ArrayRef<int64_t>{i}));
  return out;
}

Value mlir::retention::opaqueIndex(Emitter &e, Value index) {
  OpBuilder &b = e.b;
  Value i32 = arith::IndexCastOp::create(b, e.loc, b.getI32Type(), index);
  Value moved =
      inlinePtx(e, "mov.b32 $0, $1;", "=r,r", {i32}, {b.getI32Type()})[0];
  return arith::IndexCastOp::create(b, e.loc, b.getIndexType(), moved);
}
