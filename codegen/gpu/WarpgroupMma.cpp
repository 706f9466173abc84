//===- WarpgroupMma.cpp - sm_90a warpgroup instructions -------------------===//
//
// See WarpgroupMma.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/WarpgroupMma.h"
#include "codegen/gpu/InlinePtx.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

#include <string>

using namespace mlir;
using namespace mlir::retention;

namespace {

/// Inline PTX with side effects and `results` f32 results.
SmallVector<Value> inlinePtxF32(Emitter &e, StringRef ptx,
                                StringRef constraints, ValueRange operands,
                                int64_t results) {
  return inlinePtx(e, ptx, constraints, operands,
                   SmallVector<Type>(results, e.b.getF32Type()));
}

/// "$first, $first+1, ..., $first+n-1".
std::string operandList(int64_t first, int64_t n) {
  std::string s;
  for (int64_t i = 0; i < n; ++i)
    s += (i ? ", $" : "$") + std::to_string(first + i);
  return s;
}

/// Output constraints "=f" x n, then the same values tied as inputs.
std::string tiedConstraints(int64_t n) {
  std::string s;
  for (int64_t i = 0; i < n; ++i)
    s += (i ? ",=f" : "=f");
  for (int64_t i = 0; i < n; ++i)
    s += "," + std::to_string(i);
  return s;
}

Value toI64(Emitter &e, Value index) {
  return arith::IndexCastOp::create(e.b, e.loc, e.b.getI64Type(), index);
}

} // namespace

Value mlir::retention::sharedByteAddress(Emitter &e, Value memref) {
  return toI64(e,
               memref::ExtractAlignedPointerAsIndexOp::create(e.b, e.loc, memref));
}

Value mlir::retention::wgmmaDescriptor(Emitter &e, Value address,
                                       Value byteOffset, int64_t leadingBytes,
                                       int64_t strideBytes, bool swizzle128) {
  OpBuilder &b = e.b;
  Type i64 = b.getI64Type();
  auto constant = [&](uint64_t v) {
    return arith::ConstantOp::create(b, e.loc, b.getIntegerAttr(i64, v))
        .getResult();
  };
  // Bits 0-13: start address >> 4; 16-29: leading byte offset >> 4; 32-45:
  // stride byte offset >> 4; 62-63: swizzle mode (0 none, 1 128 bytes).
  Value start = arith::AddIOp::create(b, e.loc, address, toI64(e, byteOffset));
  start = arith::ShRUIOp::create(b, e.loc, start, constant(4));
  start = arith::AndIOp::create(b, e.loc, start, constant(0x3fff));
  uint64_t fixed = (uint64_t(leadingBytes >> 4) & 0x3fff) << 16 |
                   (uint64_t(strideBytes >> 4) & 0x3fff) << 32 |
                   uint64_t(swizzle128 ? 1 : 0) << 62;
  return arith::OrIOp::create(b, e.loc, start, constant(fixed));
}

Value mlir::retention::descriptorPlus(Emitter &e, Value descriptor,
                                      int64_t bytes) {
  if (bytes == 0)
    return descriptor;
  // The start address field is the low 14 bits, in 16-byte units; shared
  // addresses stay below 2^18 bytes, so the add never carries out of it.
  Value offset = arith::ConstantOp::create(
      e.b, e.loc, e.b.getIntegerAttr(e.b.getI64Type(), bytes >> 4));
  return arith::AddIOp::create(e.b, e.loc, descriptor, offset);
}

SmallVector<Value> mlir::retention::wgmma(Emitter &e, Type elt,
                                          ArrayRef<Value> acc,
                                          ArrayRef<Value> aWords, Value aDesc,
                                          Value bDesc, bool transB,
                                          bool accumulate, bool transA) {
  assert((aWords.empty() || !transA) && "register A has no transpose");
  const int64_t n = acc.size();
  const std::string type = elt.isBF16() ? "bf16" : "f16";
  // Operands: n outputs, n tied inputs, then A (four words or a
  // descriptor), B's descriptor and the scale-d flag (0: D = A B).
  SmallVector<Value> operands(acc.begin(), acc.end());
  std::string constraints = tiedConstraints(n);
  int64_t next = 2 * n;
  std::string a;
  if (!aWords.empty()) {
    operands.append(aWords.begin(), aWords.end());
    a = "{" + operandList(next, 4) + "}";
    next += 4;
    constraints += ",r,r,r,r";
  } else {
    operands.push_back(aDesc);
    a = "$" + std::to_string(next++);
    constraints += ",l";
  }
  operands.push_back(bDesc);
  std::string bOperand = "$" + std::to_string(next++);
  constraints += ",l";
  operands.push_back(arith::ConstantOp::create(
      e.b, e.loc, e.b.getI32IntegerAttr(accumulate ? 1 : 0)));
  std::string scaleD = "$" + std::to_string(next++);
  constraints += ",r,~{memory}";
  // Register A takes no transpose flag.
  std::string flags = std::string(aWords.empty() ? (transA ? "1, 1, 1, "
                                                            : "1, 1, 0, ")
                                                 : "1, 1, ") +
                      (transB ? "1" : "0");
  std::string ptx = "{\n.reg .pred p;\nsetp.ne.b32 p, " + scaleD +
                    ", 0;\nwgmma.mma_async.sync.aligned.m64n" +
                    std::to_string(2 * n) + "k16.f32." + type + "." + type +
                    " {" + operandList(0, n) + "}, " + a + ", " + bOperand +
                    ", p, " + flags + ";\n}";
  return inlinePtxF32(e, ptx, constraints, operands, n);
}

SmallVector<Value> mlir::retention::accumulatorsUndefined(Emitter &e,
                                                         int64_t n) {
  Value u = LLVM::UndefOp::create(e.b, e.loc, e.b.getF32Type());
  return SmallVector<Value>(n, u);
}

void mlir::retention::wgmmaFence(Emitter &e) {
  NVVM::WgmmaFenceAlignedOp::create(e.b, e.loc);
}

void mlir::retention::wgmmaCommit(Emitter &e) {
  NVVM::WgmmaGroupSyncAlignedOp::create(e.b, e.loc);
}

void mlir::retention::wgmmaWait(Emitter &e, int64_t pending) {
  NVVM::WgmmaWaitGroupSyncOp::create(e.b, e.loc, pending);
}

SmallVector<Value> mlir::retention::fenceOperands(Emitter &e,
                                                  ArrayRef<Value> values) {
  if (values.empty())
    return {};
  return inlinePtxF32(e, "", tiedConstraints(values.size()), values,
                   values.size());
}

Value mlir::retention::warpUniform(Emitter &e, Value index) {
  OpBuilder &b = e.b;
  Value i32 = arith::IndexCastOp::create(b, e.loc, b.getI32Type(), index);
  Value lane0 = gpu::ShuffleOp::create(b, e.loc, i32, /*offset=*/0,
                                       /*width=*/32, gpu::ShuffleMode::IDX)
                    .getShuffleResult();
  return arith::IndexCastOp::create(b, e.loc, b.getIndexType(), lane0);
}

void mlir::retention::fenceProxyAsyncShared(Emitter &e) {
  NVVM::FenceProxyOp::create(
      e.b, e.loc, NVVM::ProxyKind::async_shared,
      NVVM::SharedSpaceAttr::get(e.b.getContext(),
                                 NVVM::SharedSpace::shared_cta));
}

void mlir::retention::namedBarrier(Emitter &e, Value id, int64_t threads) {
  Value id32 = arith::IndexCastOp::create(e.b, e.loc, e.b.getI32Type(), id);
  inlinePtx(e, "bar.sync $0, " + std::to_string(threads) + ";", "r,~{memory}",
            {id32}, {});
}

Value mlir::retention::namedBarrierAny(Emitter &e, Value id, int64_t threads,
                                       Value pred) {
  OpBuilder &b = e.b;
  Value id32 = arith::IndexCastOp::create(b, e.loc, b.getI32Type(), id);
  Value pred32 = arith::ExtUIOp::create(b, e.loc, b.getI32Type(), pred);
  std::string ptx = "{\n.reg .pred p, q;\nsetp.ne.u32 p, $1, 0;\n"
                    "bar.red.or.pred q, $2, " +
                    std::to_string(threads) +
                    ", p;\nselp.u32 $0, 1, 0, q;\n}";
  Value any = inlinePtx(e, ptx, "=r,r,r,~{memory}", {pred32, id32},
                        {b.getI32Type()})[0];
  Value zero = arith::ConstantOp::create(b, e.loc, b.getI32IntegerAttr(0));
  return arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ne, any, zero);
}

void mlir::retention::stmatrixTransposed(Emitter &e, Value address,
                                         ArrayRef<Value> words) {
  Value address32 =
      arith::TruncIOp::create(e.b, e.loc, e.b.getI32Type(), address);
  SmallVector<Value> operands{address32};
  operands.append(words.begin(), words.end());
  inlinePtx(e,
            "stmatrix.sync.aligned.m8n8.x4.trans.shared.b16 [$0], {" +
                operandList(1, 4) + "};",
            "r,r,r,r,r,~{memory}", operands, {});
}
