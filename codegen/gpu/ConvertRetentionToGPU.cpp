//===- ConvertRetentionToGPU.cpp - retention forms to GPU kernels ---------===//
//
// convert-retention-to-gpu: a kernel function whose body is one retention
// form op becomes a `gpu.module` of `gpu.func` kernels, one device pointer
// per parameter (q, k, v[, s0], o, state), each kernel's launch in a
// `retention.launch` attribute. The host side is the runtime's (it launches
// the kernels itself through the CUDA driver API).
//
// The pass decides nothing: the op's #retention.gpu_schedule (chosen by
// retention-gpu-select-schedule) names the kernel family, and the family's
// builder lays the kernels out from it: SimtKernels.h (simt),
// ChunkwiseMmaKernels.h (mma_sync, wgmma, segments).
//
// A kernel function whose body is one retention.linear or
// retention.swiglu_linear becomes a gpu.module with one GEMM kernel
// (GemmKernels.h), laid out from the op's #retention.gemm_schedule.
//
// A kernel function whose body is one graph op with a GPU kernel
// (GraphKernels.h: embedding, rms_norm, rotary, repeat_heads,
// gated_head_norm, swiglu, add) becomes a gpu.module with that kernel, for
// as many rows as the result has (static); the kernel still takes the
// `rows` to compute (and rotary its position) as index parameters.
//
// With runtime-sizes, a retention kernel takes the token count T (or, in
// a kernel function marked `retention.runtime_batch`, the batch B) and a
// linear kernel the row count M as one more, last, `index` parameter
// (KernelSignature::numTokens or numSequences, GemmSignature::numRows);
// the memref parameters keep the function's static shapes as the maximum.
//
// Post-conditions: the kernel function is replaced by gpu.module @<name>
// (holding the schedule) with gpu.func @<name> and, segmented, @<name>_states
// and @<name>_scan before it; no retention op remains.
//
//===----------------------------------------------------------------------===//
#include "codegen/Passes.h"
#include "codegen/gpu/ChunkwiseMmaKernels.h"
#include "codegen/gpu/GemmKernels.h"
#include "codegen/gpu/GraphKernels.h"
#include "codegen/gpu/SimtKernels.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::retention {
#define GEN_PASS_DEF_CONVERTRETENTIONTOGPU
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {

struct ConvertRetentionToGPUPass
    : public retention::impl::ConvertRetentionToGPUBase<
          ConvertRetentionToGPUPass> {
  using ConvertRetentionToGPUBase::ConvertRetentionToGPUBase;

  /// The one retention op `func` consists of, returning its results in
  /// order; null (with an error) otherwise.
  RetentionOpInterface kernelOp(func::FuncOp func) {
    RetentionOpInterface found;
    for (Operation &op : func.getBody().front()) {
      if (auto r = dyn_cast<RetentionOpInterface>(&op)) {
        if (found) {
          func.emitError("convert-retention-to-gpu: one retention op per "
                         "kernel function");
          return {};
        }
        found = r;
      }
    }
    if (!found)
      return {};
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    if (ret.getOperands() != ValueRange(found->getResults()) ||
        func.getBody().front().getOperations().size() != 2) {
      func.emitError("convert-retention-to-gpu: a kernel function must "
                     "consist of one retention op returning its results");
      return {};
    }
    return found;
  }

  /// The kernel parameters of `func` (arguments, then results, as
  /// memrefs) and where the op's operands are among them; failure (with an
  /// error) where an operand is not an argument or an argument is unused.
  FailureOr<KernelSignature> signatureOf(func::FuncOp func,
                                         RetentionOpInterface op) {
    Operation *raw = op.getOperation();
    Block &entry = func.getBody().front();
    for (Value v : raw->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(v);
      if (!arg || arg.getOwner() != &entry)
        return raw->emitOpError("operands must be arguments of the kernel "
                                "function to be lowered to the GPU");
    }
    for (Value arg : func.getArguments())
      if (!llvm::is_contained(raw->getOperands(), arg))
        return func.emitError("convert-retention-to-gpu: argument not used "
                              "by the retention op");
    auto memrefOf = [](Type t) {
      auto tensor = cast<RankedTensorType>(t);
      return MemRefType::get(tensor.getShape(), tensor.getElementType());
    };
    KernelSignature s;
    for (Type t : func.getArgumentTypes())
      s.params.push_back(memrefOf(t));
    for (Type t : func.getResultTypes())
      s.params.push_back(memrefOf(t));
    s.numInputs = func.getNumArguments();
    auto index = [](Value v) { return cast<BlockArgument>(v).getArgNumber(); };
    s.q = index(op.getQ());
    s.k = index(op.getK());
    s.v = index(op.getV());
    if (Value s0 = op.getInitialState())
      s.s0 = int(index(s0));
    if (Value segments = op.getSegments())
      s.segments = int(index(segments));
    return s;
  }

  LogicalResult lower(func::FuncOp func, RetentionOpInterface op) {
    Operation *raw = op.getOperation();
    if (isa<RetentionOp>(raw))
      return raw->emitOpError("has no form yet; run retention-select-form "
                              "before convert-retention-to-gpu");
    auto helper = getContext()
                      .getLoadedDialect<RetentionDialect>()
                      ->getGpuScheduleAttrHelper();
    GpuScheduleAttr schedule = helper.getAttr(raw);
    if (!schedule)
      return raw->emitOpError("has no retention.gpu_schedule; run "
                              "retention-gpu-select-schedule before "
                              "convert-retention-to-gpu");
    if (!op.getRetentionShape().isStatic())
      return raw->emitOpError("needs static shapes to be lowered to the GPU");
    if (op.getSegments() && schedule.isTensorCoreChunkwise())
      return raw->emitOpError("with segments needs a simt schedule (the "
                              "tensor-core chunkwise kernels do not take "
                              "packed sequences yet)");
    FailureOr<KernelSignature> signature = signatureOf(func, op);
    if (failed(signature))
      return failure();
    // runtime-sizes: T, or B where the kernel function says its run-time
    // rows are its batch (or its sequences are packed: their count), is
    // one more parameter, last.
    if (runtimeSizes) {
      bool batch = op.getSegments() ||
                   getContext()
                       .getLoadedDialect<RetentionDialect>()
                       ->getRuntimeBatchAttrHelper()
                       .isAttrPresent(func);
      (batch ? signature->numSequences : signature->numTokens) =
          int(signature->params.size());
      signature->params.push_back(IndexType::get(&getContext()));
    }

    ModuleOp module = getOperation();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    OpBuilder b(func);
    Location loc = func.getLoc();
    auto gpuModule = gpu::GPUModuleOp::create(b, loc, func.getSymName());
    helper.setAttr(gpuModule, schedule);
    b.setInsertionPointToStart(gpuModule.getBody());
    LogicalResult built =
        schedule.isTensorCoreChunkwise()
            ? buildChunkwiseMmaKernels(b, loc, func.getSymName(), gpuModule,
                                       cast<ChunkwiseOp>(raw), schedule,
                                       *signature)
            : buildSimtKernel(b, loc, func.getSymName(), op, schedule,
                              *signature);
    if (failed(built))
      return failure();
    func.erase();
    return success();
  }

  /// The projection `func` consists of (one retention.linear or
  /// retention.swiglu_linear returning its result, every operand an
  /// argument), or nullopt.
  std::optional<Projection> projectionKernelOp(func::FuncOp func) {
    Block &entry = func.getBody().front();
    if (entry.getOperations().size() != 2)
      return std::nullopt;
    std::optional<Projection> p = Projection::of(&entry.front());
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!p || !ret || ret.getOperands() != ValueRange(p->op->getResults()))
      return std::nullopt;
    for (Value v : p->op->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(v);
      if (!arg || arg.getOwner() != &entry)
        return std::nullopt;
    }
    if (p->op->getNumOperands() != func.getNumArguments())
      return std::nullopt;
    return p;
  }

  LogicalResult lowerLinear(func::FuncOp func, const Projection &op) {
    auto helper = getContext()
                      .getLoadedDialect<RetentionDialect>()
                      ->getGemmScheduleAttrHelper();
    GemmScheduleAttr schedule = helper.getAttr(op.op);
    if (!schedule)
      return op.op->emitOpError("has no retention.gemm_schedule; run "
                                "retention-gpu-select-schedule before "
                                "convert-retention-to-gpu");
    for (Value v : op.op->getOperands())
      if (!cast<RankedTensorType>(v.getType()).hasStaticShape())
        return op.op->emitOpError(
            "needs static shapes to be lowered to the GPU");
    GemmSignature signature;
    for (Type t : func.getArgumentTypes()) {
      auto tensor = cast<RankedTensorType>(t);
      signature.params.push_back(
          MemRefType::get(tensor.getShape(), tensor.getElementType()));
    }
    for (Type t : op.op->getResultTypes()) {
      auto result = cast<RankedTensorType>(t);
      signature.params.push_back(
          MemRefType::get(result.getShape(), result.getElementType()));
    }
    auto index = [](Value v) { return cast<BlockArgument>(v).getArgNumber(); };
    signature.x = index(op.x);
    signature.weight = index(op.weight);
    if (op.up)
      signature.up = int(index(op.up));
    if (op.residual)
      signature.residual = int(index(op.residual));
    if (op.norm)
      signature.norm = int(index(op.norm));
    if (op.gate)
      signature.gate = int(index(op.gate));
    signature.y = func.getNumArguments();
    if (auto group = dyn_cast_or_null<LinearGroupOp>(op.group))
      for (auto [i, w] : llvm::enumerate(group.getWeights())) {
        signature.groupWeights.push_back(index(w));
        signature.groupOutputs.push_back(func.getNumArguments() + i);
      }
    // runtime-sizes: M is one more parameter, last.
    if (runtimeSizes) {
      signature.numRows = int(signature.params.size());
      signature.params.push_back(IndexType::get(&getContext()));
    }

    ModuleOp module = getOperation();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    OpBuilder b(func);
    Location loc = func.getLoc();
    auto gpuModule = gpu::GPUModuleOp::create(b, loc, func.getSymName());
    helper.setAttr(gpuModule, schedule);
    b.setInsertionPointToStart(gpuModule.getBody());
    if (failed(buildGemmKernel(b, loc, func.getSymName(), op, schedule,
                               signature)))
      return failure();
    func.erase();
    return success();
  }

  /// The graph op with a GPU kernel (isGraphKernelOp) that `func` consists
  /// of (one op returning its result, every operand an argument, every
  /// argument an operand), or null.
  Operation *graphKernelOp(func::FuncOp func) {
    Block &entry = func.getBody().front();
    if (entry.getOperations().size() != 2)
      return nullptr;
    Operation *op = &entry.front();
    auto ret = dyn_cast<func::ReturnOp>(entry.getTerminator());
    if (!isGraphKernelOp(op) || !ret ||
        ret.getOperands() != ValueRange(op->getResults()))
      return nullptr;
    for (Value v : op->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(v);
      if (!arg || arg.getOwner() != &entry)
        return nullptr;
    }
    for (Value arg : func.getArguments())
      if (!llvm::is_contained(op->getOperands(), arg))
        return nullptr;
    return op;
  }

  /// Replaces `func` by gpu.module @<name> holding the kernel of its graph
  /// op, for the result's (static) row count.
  LogicalResult lowerGraphKernel(func::FuncOp func, Operation *op) {
    auto result = cast<RankedTensorType>(op->getResult(0).getType());
    if (result.isDynamicDim(0))
      return op->emitOpError("needs a static row count to be lowered to a "
                             "single GPU kernel");
    ModuleOp module = getOperation();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    OpBuilder b(func);
    Location loc = func.getLoc();
    auto gpuModule = gpu::GPUModuleOp::create(b, loc, func.getSymName());
    b.setInsertionPointToStart(gpuModule.getBody());
    if (failed(buildGraphKernel(b, loc, func.getSymName(), op,
                                result.getDimSize(0))))
      return failure();
    func.erase();
    return success();
  }

  void runOnOperation() override {
    SmallVector<std::pair<func::FuncOp, RetentionOpInterface>> kernels;
    SmallVector<std::pair<func::FuncOp, Projection>> gemms;
    SmallVector<std::pair<func::FuncOp, Operation *>> graphKernels;
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      if (Operation *graphOp = graphKernelOp(func)) {
        graphKernels.push_back({func, graphOp});
        continue;
      }
      if (std::optional<Projection> linear = projectionKernelOp(func)) {
        gemms.push_back({func, *linear});
        continue;
      }
      RetentionOpInterface op = kernelOp(func);
      if (!op) {
        bool hasRetention = false;
        func.walk([&](RetentionOpInterface) { hasRetention = true; });
        if (hasRetention)
          return signalPassFailure();
        continue;
      }
      kernels.push_back({func, op});
    }
    for (auto [func, op] : kernels)
      if (failed(lower(func, op)))
        return signalPassFailure();
    for (auto [func, op] : gemms)
      if (failed(lowerLinear(func, op)))
        return signalPassFailure();
    for (auto [func, op] : graphKernels)
      if (failed(lowerGraphKernel(func, op)))
        return signalPassFailure();
  }
};

} // namespace
