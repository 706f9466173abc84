//===- OutlineGpuKernels.cpp - a GPU model's kernels and host program -----===//
//
// retention-outline-gpu-kernels: every op of a model that runs as a GPU
// kernel moves into a kernel function of static types, the form the
// single-kernel GPU path (retention-gpu-select-schedule, then
// convert-retention-to-gpu{runtime-sizes}) schedules and lowers; the op's
// place in the model function (from then on the host program) becomes
//
//   %x_buf = bufferization.to_buffer %x {read_only}    (each tensor operand)
//   %y_buf = memref.alloc(%rows) {alignment = 256}      (each result)
//   retention.launch_kernel @k3_rms_norm(%x_buf, %w_buf, %y_buf, %rows)
//   %y     = bufferization.to_tensor %y_buf restrict writable
//
// where %rows is the op's run-time row (token) count: dim 0 of its first
// operand, dim 1 (T) of a retention form's q, or dim 0 (B) of q where
// that is the dynamic one (a batched decode step), the kernel function
// then marked `retention.runtime_batch`. An op over packed sequences (a
// retention op with segments, last_rows) counts its N sequences (one less
// than its offsets): its states and last_rows' result have N rows, a
// retention op's output the tokens' (dim 1 of q). A segmented retention
// op's kernel function sizes its states for the function's
// `retention.max_sequences` (if given; else max_tokens) and its offsets
// one more. The kernel function's row
// dimension is the most rows the model function passes, its
// `retention.max_tokens` attribute. Ops equal but for their operands (q
// and k projections of one width, the two RMSNorms of a layer) share one
// kernel function.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringMap.h"

#include "runtime/KernelABI.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONOUTLINEGPUKERNELS
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {

/// The attribute bounding a model function's dynamic row counts.
constexpr llvm::StringLiteral kMaxTokensAttr = "retention.max_tokens";
/// The attribute bounding the sequences a model function packs (the
/// states of its retention ops with segments); absent: max_tokens.
constexpr llvm::StringLiteral kMaxSequencesAttr = "retention.max_sequences";
/// Device buffers are aligned as the runtime aligns its own.
constexpr int64_t kBufferAlignment = RETC_CUDA_BUFFER_ALIGNMENT;

bool runsAsKernel(Operation *op) {
  return isa<LinearOp, SwiGLULinearOp, LinearGroupOp, EmbeddingOp, RMSNormOp,
             RotaryOp, RepeatHeadsOp, GatedHeadNormOp, SwiGLUOp, AddOp,
             NextTokenOp, LastRowsOp, RetentionOpInterface>(op);
}

/// The offsets of an op over packed sequences (a retention op's segments,
/// last_rows' offsets), or null. Such an op counts sequences: its launch's
/// count is N, one less than the offsets.
Value sequenceOffsets(Operation *op) {
  if (auto retention = dyn_cast<RetentionOpInterface>(op))
    return retention.getSegments();
  if (auto last = dyn_cast<LastRowsOp>(op))
    return last.getOffsets();
  return {};
}

/// The dimension of the first tensor operand that counts the op's rows:
/// dim 0, or a retention form's T (dim 1 of q), or its batch B (dim 0)
/// where that is the dynamic one (a batched decode step's B sequences of
/// one token).
unsigned rowsDim(Operation *op) {
  auto retention = dyn_cast<RetentionOpInterface>(op);
  if (!retention)
    return 0;
  return retention.getQ().getType().isDynamicDim(0) ? 0 : 1;
}

struct OutlineGpuKernelsPass
    : public retention::impl::RetentionOutlineGpuKernelsBase<
          OutlineGpuKernelsPass> {
  /// Kernel functions by the text of their body.
  llvm::StringMap<std::string> kernelByBody;
  int64_t numKernels = 0;

  /// `type` with every dynamic dimension `bound`; failure (with an error
  /// at `op`) where there is no bound.
  FailureOr<Type> staticType(Operation *op, Type type,
                             std::optional<int64_t> bound) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || tensor.hasStaticShape())
      return type;
    if (!bound)
      return op->emitOpError("has a dynamic row count, but its function has "
                             "no '")
             << kMaxTokensAttr << "' bounding it";
    SmallVector<int64_t> shape(tensor.getShape());
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = *bound;
    return Type(RankedTensorType::get(shape, tensor.getElementType()));
  }

  /// The kernel function of `op` (created, or the existing one with the
  /// same body); its name.
  FailureOr<std::string> kernelFunction(Operation *op,
                                        std::optional<int64_t> bound,
                                        std::optional<int64_t> sequences) {
    ModuleOp module = getOperation();
    SmallVector<Type> args, results;
    // A segmented retention op's states have at most `sequences` rows (a
    // block each), its offsets one more; last_rows' offsets are sized by
    // its rows.
    auto retention = dyn_cast<RetentionOpInterface>(op);
    bool packed = retention && retention.getSegments();
    std::optional<int64_t> stateBound = packed && sequences ? sequences : bound;
    Value offsets = sequenceOffsets(op);
    for (Value v : op->getOperands()) {
      std::optional<int64_t> b = bound;
      if (packed && v == retention.getInitialState())
        b = stateBound;
      if (v == offsets)
        b = packed ? stateBound : bound;
      if (v == offsets && b)
        b = *b + 1;
      FailureOr<Type> t = staticType(op, v.getType(), b);
      if (failed(t))
        return failure();
      args.push_back(*t);
    }
    for (auto [i, r] : llvm::enumerate(op->getResultTypes())) {
      FailureOr<Type> t =
          staticType(op, r, packed && i == 1 ? stateBound : bound);
      if (failed(t))
        return failure();
      results.push_back(*t);
    }
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    Location loc = op->getLoc();
    auto func = func::FuncOp::create(b, loc, "kernel",
                                     b.getFunctionType(args, results));
    func.setPrivate();
    Block *body = func.addEntryBlock();
    b.setInsertionPointToStart(body);
    IRMapping map;
    map.map(op->getOperands(), body->getArguments());
    Operation *clone = b.clone(*op, map);
    for (auto [result, type] : llvm::zip(clone->getResults(), results))
      result.setType(type);
    func::ReturnOp::create(b, loc, clone->getResults());

    std::string key;
    llvm::raw_string_ostream os(key);
    func.getFunctionType().print(os);
    clone->print(os, OpPrintingFlags().printGenericOpForm());
    // A retention kernel whose run-time rows are its batch says so
    // (convert-retention-to-gpu{runtime-sizes} reads it).
    if (isa<RetentionOpInterface>(op) && rowsDim(op) == 0) {
      getContext()
          .getLoadedDialect<RetentionDialect>()
          ->getRuntimeBatchAttrHelper()
          .setAttr(func, b.getUnitAttr());
      os << " runtime_batch";
    }
    auto [it, inserted] = kernelByBody.try_emplace(key, "");
    if (!inserted) {
      func.erase();
      return it->second;
    }
    std::string name = "k" + std::to_string(numKernels++) + "_" +
                       op->getName().stripDialect().str();
    func.setSymName(name);
    it->second = name;
    if (failed(mlir::verify(func)))
      return failure();
    return name;
  }

  LogicalResult outline(Operation *op, std::optional<int64_t> bound,
                        std::optional<int64_t> sequences) {
    if (auto retention = dyn_cast<RetentionOpInterface>(op)) {
      RankedTensorType q = retention.getQ().getType();
      if (q.isDynamicDim(0) && q.isDynamicDim(1))
        return op->emitOpError("has a run-time batch and a run-time token "
                               "count; a GPU kernel takes one of them");
    }
    FailureOr<std::string> name = kernelFunction(op, bound, sequences);
    if (failed(name))
      return failure();

    OpBuilder b(op);
    Location loc = op->getLoc();
    SmallVector<Value> tensors, scalars;
    for (Value v : op->getOperands())
      (isa<RankedTensorType>(v.getType()) ? tensors : scalars).push_back(v);
    if (tensors.empty())
      return op->emitOpError("has no tensor operand to count rows by");
    unsigned d = rowsDim(op);
    auto firstType = cast<RankedTensorType>(tensors.front().getType());
    Value rows = tensor::DimOp::create(b, loc, tensors.front(), d);
    int64_t maxRows = firstType.isDynamicDim(d) ? *bound
                                                : firstType.getDimSize(d);
    // Packed sequences: the launch counts the N sequences; a retention
    // op's output still has the tokens' rows (dim 1 of q), its states and
    // last_rows' result N.
    Value tokens = rows;
    if (Value offsets = sequenceOffsets(op)) {
      if (!bound)
        return op->emitOpError("counts packed sequences, but its function "
                               "has no '")
               << kMaxTokensAttr << "' bounding them";
      Value count = tensor::DimOp::create(b, loc, offsets, 0);
      Value one = arith::ConstantIndexOp::create(b, loc, 1);
      rows = arith::SubIOp::create(b, loc, count, one);
      maxRows = *bound;
    }

    SmallVector<Value> args;
    for (Value t : tensors) {
      auto type = cast<RankedTensorType>(t.getType());
      args.push_back(bufferization::ToBufferOp::create(
          b, loc, MemRefType::get(type.getShape(), type.getElementType()), t,
          /*read_only=*/true));
    }
    SmallVector<Value> outputs;
    for (auto [i, r] : llvm::enumerate(op->getResultTypes())) {
      auto type = cast<RankedTensorType>(r);
      bool tokenRows = i == 0 && isa<RetentionOpInterface>(op);
      SmallVector<Value> dynamic(type.getNumDynamicDims(),
                                 tokenRows ? tokens : rows);
      outputs.push_back(memref::AllocOp::create(
          b, loc, MemRefType::get(type.getShape(), type.getElementType()),
          dynamic, b.getI64IntegerAttr(kBufferAlignment)));
    }
    llvm::append_range(args, outputs);
    args.push_back(rows);
    llvm::append_range(args, scalars);
    LaunchKernelOp::create(b, loc, FlatSymbolRefAttr::get(b.getContext(), *name),
                           args, b.getI64IntegerAttr(maxRows));
    SmallVector<Value> results;
    for (auto [r, buf] : llvm::zip(op->getResults(), outputs))
      results.push_back(bufferization::ToTensorOp::create(
          b, loc, r.getType(), buf, /*restrict=*/true, /*writable=*/true));
    op->replaceAllUsesWith(results);
    op->erase();
    return success();
  }

  /// `func`'s bound `name` (at least 1) into `bound`, if it has one; an
  /// error otherwise.
  static LogicalResult readBound(func::FuncOp func, StringRef name,
                                 std::optional<int64_t> &bound) {
    auto attr = func->getAttrOfType<IntegerAttr>(name);
    if (!attr)
      return success();
    if (attr.getInt() < 1)
      return func.emitError("'") << name << "' must be at least 1";
    bound = attr.getInt();
    return success();
  }

  void runOnOperation() override {
    SmallVector<func::FuncOp> functions;
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal())
        functions.push_back(func);
    for (func::FuncOp func : functions) {
      std::optional<int64_t> bound, sequences;
      if (failed(readBound(func, kMaxTokensAttr, bound)) ||
          failed(readBound(func, kMaxSequencesAttr, sequences)))
        return signalPassFailure();
      SmallVector<Operation *> ops;
      func.walk([&](Operation *op) {
        if (runsAsKernel(op))
          ops.push_back(op);
      });
      for (Operation *op : ops)
        if (failed(outline(op, bound, sequences)))
          return signalPassFailure();
    }
  }
};

} // namespace
