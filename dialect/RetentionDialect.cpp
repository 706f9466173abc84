//===- RetentionDialect.cpp - retention dialect registration ----*- C++ -*-===//
//
// Registers the retention dialect's attributes and operations; verifies the
// attributes it puts on other ops.
//
//===----------------------------------------------------------------------===//
#include "dialect/RetentionDialect.h"
#include "dialect/RetentionAttrs.h"
#include "dialect/RetentionOps.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::retention;

#include "dialect/RetentionDialect.cpp.inc"

void RetentionDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "dialect/RetentionOps.cpp.inc"
      >();
}

/// The dialect's discardable attributes: `retention.form` on a model entry
/// function, `retention.gpu_schedule` on a form op (or a lowered GPU module), `retention.launch` on a
/// GPU kernel and `retention.workspace_bytes` on a GPU module; for GPU
/// models, `retention.max_tokens` (and `retention.max_sequences`) on a
/// model function and
/// `retention.arena_bytes` on the module of a host program.
LogicalResult RetentionDialect::verifyOperationAttribute(Operation *op,
                                                         NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  Attribute value = attr.getValue();
  if (name == getFormAttrHelper().getNameStr()) {
    auto form = dyn_cast<StringAttr>(value);
    std::optional<RetentionForm> parsed =
        form ? symbolizeRetentionForm(form.getValue()) : std::nullopt;
    if (!parsed || *parsed == RetentionForm::Auto ||
        *parsed == RetentionForm::Generic)
      return op->emitOpError()
             << name << " must be \"parallel\", \"chunkwise\" or "
                        "\"recurrent\", got "
             << value;
    return success();
  }
  if (name == getGpuScheduleAttrHelper().getNameStr()) {
    // On a form op, the schedule it is to be lowered with; on a GPU
    // module, the one its kernels were lowered with.
    auto schedule = dyn_cast<GpuScheduleAttr>(value);
    if (!schedule)
      return op->emitOpError()
             << name << " must be a #retention.gpu_schedule, got " << value;
    if (auto formOp = dyn_cast<RetentionOpInterface>(op))
      return verifyGpuScheduleForOp(schedule, formOp);
    return success();
  }
  if (name == getGemmScheduleAttrHelper().getNameStr()) {
    auto schedule = dyn_cast<GemmScheduleAttr>(value);
    if (!schedule)
      return op->emitOpError()
             << name << " must be a #retention.gemm_schedule, got " << value;
    // On a linear op, the schedule it is to be lowered with; on a GPU
    // module, the one its kernel was lowered with.
    if (isa<LinearOp>(op) || isa<RetentionDialect>(op->getDialect()))
      return verifyGemmScheduleForOp(schedule, op);
    return success();
  }
  if (name == getLaunchAttrHelper().getNameStr()) {
    auto launch = dyn_cast<DictionaryAttr>(value);
    auto grid = launch ? launch.getAs<DenseI64ArrayAttr>("grid") : nullptr;
    auto block = launch ? launch.getAs<DenseI64ArrayAttr>("block") : nullptr;
    auto shared = launch ? launch.get("shared_bytes") : nullptr;
    auto positive = [](DenseI64ArrayAttr a) {
      return a && a.size() == 3 && llvm::all_of(a.asArrayRef(), [](int64_t x) {
               return x >= 1;
             });
    };
    if (!positive(grid) || !positive(block) ||
        (shared && !isa<IntegerAttr>(shared)))
      return op->emitOpError()
             << name << " must be {grid = array<i64: x, y, z>, block = "
                        "array<i64: x, y, z>[, shared_bytes = N]} with "
                        "positive sizes, got "
             << value;
    return success();
  }
  if (name == getWorkspaceBytesAttrHelper().getNameStr() ||
      name == getArenaBytesAttrHelper().getNameStr()) {
    auto bytes = dyn_cast<IntegerAttr>(value);
    if (!bytes || bytes.getValue().isNegative())
      return op->emitOpError()
             << name << " must be a non-negative integer, got " << value;
    return success();
  }
  if (name == getMaxTokensAttrHelper().getNameStr() ||
      name == getMaxSequencesAttrHelper().getNameStr()) {
    auto count = dyn_cast<IntegerAttr>(value);
    if (!count || count.getValue().getSExtValue() < 1)
      return op->emitOpError()
             << name << " must be a positive integer, got " << value;
    return success();
  }
  if (name == getStateInPlaceAttrHelper().getNameStr()) {
    // On a kernel: its initial- and final-state parameters, which may be
    // one buffer (retention-gpu-state-in-place).
    auto pair = dyn_cast<DenseI64ArrayAttr>(value);
    auto func = dyn_cast<FunctionOpInterface>(op);
    int64_t params = func ? int64_t(func.getNumArguments()) : 0;
    if (!pair || pair.size() != 2 || pair[0] == pair[1] ||
        llvm::any_of(pair.asArrayRef(),
                     [&](int64_t i) { return i < 0 || i >= params; }))
      return op->emitOpError()
             << name << " must be array<i64: S0, FINAL>, two distinct "
                        "parameters of the function, got "
             << value;
    return success();
  }
  if (name == getRuntimeBatchAttrHelper().getNameStr()) {
    // On a kernel function of one retention op: its run-time row count
    // (retention-outline-gpu-kernels) is the batch, not T.
    if (!isa<UnitAttr>(value) || !isa<FunctionOpInterface>(op))
      return op->emitOpError()
             << name << " must be a unit attribute on a function";
    return success();
  }
  return op->emitOpError("unknown retention attribute '") << name << "'";
}
