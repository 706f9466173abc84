//===- KernelSpec.cpp - a single retention kernel, as the user asks -------===//
//
// See KernelSpec.h.
//
//===----------------------------------------------------------------------===//
#include "frontend/KernelSpec.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <cmath>

using namespace mlir;
using namespace mlir::retention;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

llvm::Expected<RetentionShape>
mlir::retention::parseShape(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',');
  if (parts.size() != 5)
    return fail("expected five comma-separated sizes B,T,H,K,V, got '" + text +
                "'");
  static const char *names[] = {"B", "T", "H", "K", "V"};
  int64_t dims[5];
  for (int i = 0; i < 5; ++i) {
    llvm::StringRef p = parts[i].trim();
    if (p.getAsInteger(10, dims[i]) || dims[i] <= 0)
      return fail(llvm::Twine(names[i]) + " must be a positive integer, got '" +
                  p + "'");
    // Batch and sequence up to 2^31; heads and head dims as real models
    // have them (the per-head tables and tiles are sized from them).
    int64_t limit = i < 2 ? (int64_t(1) << 31) : i == 2 ? 1024 : 8192;
    if (dims[i] > limit)
      return fail(llvm::Twine(names[i]) + " = " + p +
                  " exceeds the supported maximum of " + llvm::Twine(limit));
  }
  return RetentionShape{dims[0], dims[1], dims[2], dims[3], dims[4]};
}

llvm::Expected<Type> mlir::retention::parseElementType(MLIRContext &ctx,
                                                       llvm::StringRef text) {
  Builder b(&ctx);
  if (text == "f32")
    return b.getF32Type();
  if (text == "bf16")
    return b.getBF16Type();
  if (text == "f16")
    return b.getF16Type();
  return fail("unknown element type '" + text + "', expected f32, bf16 or f16");
}

llvm::Expected<DecayAttr> mlir::retention::parseDecay(MLIRContext &ctx,
                                                      llvm::StringRef text) {
  if (text == "retnet")
    return DecayAttr::get(&ctx, DecaySchedule::RetNet, ArrayRef<double>());
  if (text == "paper")
    return DecayAttr::get(&ctx, DecaySchedule::Paper, ArrayRef<double>());
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',');
  llvm::SmallVector<double> values;
  for (auto [i, part] : llvm::enumerate(parts)) {
    double v;
    if (part.trim().getAsDouble(v))
      return fail("expected 'retnet', 'paper' or comma-separated numbers, got '" +
                  part + "' at position " + llvm::Twine(i));
    if (!(v > 0.0 && v < 1.0))
      return fail("decay of head " + llvm::Twine(i) + " is " + part.trim() +
                  ", expected a value strictly between 0 and 1");
    values.push_back(v);
  }
  return DecayAttr::get(&ctx, DecaySchedule::Explicit, values);
}

llvm::Expected<double> mlir::retention::parseScale(llvm::StringRef text) {
  double v;
  if (text.trim().getAsDouble(v) || !std::isfinite(v) || v <= 0.0)
    return fail("expected a positive finite number, got '" + text + "'");
  // The kernels scale q in f32, where 1e39 is infinite and 1e-46 is 0.
  if (!std::isfinite(float(v)) || float(v) == 0.0f)
    return fail("'" + text + "' is " +
                (float(v) == 0.0f ? "0" : "infinite") +
                " in f32, in which q is scaled; expected a positive number "
                "from 1.4e-45 to 3.4e38");
  return v;
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::retention::buildKernelModule(MLIRContext &ctx, const KernelSpec &spec) {
  ctx.loadDialect<RetentionDialect, func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = NameLoc::get(b.getStringAttr("command line"));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  const RetentionShape &s = spec.shape;
  Type f32 = b.getF32Type();
  auto qk = RankedTensorType::get({s.B, s.T, s.H, s.K}, spec.elementType);
  auto v = RankedTensorType::get({s.B, s.T, s.H, s.V}, spec.elementType);
  auto o = RankedTensorType::get({s.B, s.T, s.H, s.V}, spec.elementType);
  auto state = RankedTensorType::get({s.B, s.H, s.K, s.V}, f32);
  SmallVector<Type> inputs = {qk, qk, v};
  if (spec.initialState)
    inputs.push_back(state);

  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, loc, kKernelName,
                                   b.getFunctionType(inputs, {o, state}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value init = spec.initialState ? entry->getArgument(3) : Value();
  FloatAttr scale = spec.scale ? b.getF64FloatAttr(*spec.scale) : FloatAttr();
  auto op = RetentionOp::create(b, loc, o, state, entry->getArgument(0),
                                entry->getArgument(1), entry->getArgument(2),
                                init, /*segments=*/Value(), spec.decay,
                                scale);
  func::ReturnOp::create(b, loc, op->getResults());
  if (failed(verify(*module)))
    return failure();
  return module;
}
