//===- LinearSpec.cpp - a single linear (GEMM) kernel ---------------------===//
//
// See LinearSpec.h.
//
//===----------------------------------------------------------------------===//
#include "frontend/LinearSpec.h"

#include "dialect/RetentionOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace mlir::retention;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(message.str());
}

llvm::Expected<LinearShape>
mlir::retention::parseLinearShape(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, ',');
  if (parts.size() != 3)
    return fail("expected three comma-separated sizes M,N,K (rows, outputs, "
                "inputs) for --kernel=linear, got '" +
                text + "'");
  static const char *names[] = {"M", "N", "K"};
  int64_t dims[3];
  for (int i = 0; i < 3; ++i) {
    llvm::StringRef p = parts[i].trim();
    if (p.getAsInteger(10, dims[i]) || dims[i] <= 0)
      return fail(llvm::Twine(names[i]) + " must be a positive integer, got '" +
                  p + "'");
    int64_t limit = i == 0 ? kMaxLinearRows : kMaxLinearWidth;
    if (dims[i] > limit)
      return fail(llvm::Twine(names[i]) + " = " + p +
                  " exceeds the supported maximum of " + llvm::Twine(limit));
  }
  LinearShape s{dims[0], dims[1], dims[2]};
  // Each factor is at most 2^31, so the products cannot overflow.
  std::pair<const char *, int64_t> operands[] = {
      {"x [M,K]", s.M * s.K}, {"weight [N,K]", s.N * s.K},
      {"y [M,N]", s.M * s.N}};
  for (auto [name, elements] : operands)
    if (elements > kMaxLinearElements)
      return fail(llvm::Twine(name) + " would have " + llvm::Twine(elements) +
                  " elements, more than the 2^40 a package parameter may "
                  "have");
  return s;
}

FailureOr<OwningOpRef<ModuleOp>>
mlir::retention::buildLinearKernelModule(MLIRContext &ctx,
                                         const LinearSpec &spec) {
  ctx.loadDialect<RetentionDialect, func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = NameLoc::get(b.getStringAttr("command line"));
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  const LinearShape &s = spec.shape;
  auto x = RankedTensorType::get({s.M, s.K}, spec.elementType);
  auto weight = RankedTensorType::get({s.N, s.K}, spec.elementType);
  auto y = RankedTensorType::get({s.M, s.N}, spec.elementType);
  SmallVector<Type> inputs = {x, weight};
  if (spec.residual)
    inputs.push_back(y);

  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, loc, kLinearKernelName,
                                   b.getFunctionType(inputs, {y}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value residual = spec.residual ? entry->getArgument(2) : Value();
  auto op = LinearOp::create(b, loc, y, entry->getArgument(0),
                             entry->getArgument(1), residual);
  func::ReturnOp::create(b, loc, op->getResults());
  if (failed(verify(*module)))
    return failure();
  return module;
}
