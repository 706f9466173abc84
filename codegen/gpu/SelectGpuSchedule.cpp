//===- SelectGpuSchedule.cpp - retention-gpu-select-schedule --------------===//
//
// Attaches a #retention.gpu_schedule to every retention form op: chosen by
// selectGpuSchedule (GpuSchedule.h) from the op, the target's description
// and the options, or, where one is written already, checked and completed
// by completeGpuSchedule; and a #retention.gemm_schedule to every
// retention.linear and retention.swiglu_linear, likewise (GemmSchedule.h).
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GemmSchedule.h"
#include "codegen/gpu/GpuSchedule.h"

#include "mlir/IR/BuiltinOps.h"

#include "codegen/Passes.h"

namespace mlir::retention {
#define GEN_PASS_DEF_RETENTIONGPUSELECTSCHEDULE
#include "codegen/Passes.h.inc"
} // namespace mlir::retention

using namespace mlir;
using namespace mlir::retention;

namespace {

struct RetentionGpuSelectSchedulePass
    : public retention::impl::RetentionGpuSelectScheduleBase<
          RetentionGpuSelectSchedulePass> {
  using RetentionGpuSelectScheduleBase::RetentionGpuSelectScheduleBase;

  /// The options as a request; false (with an error) where one is out of
  /// range.
  bool request(GpuScheduleRequest &r) {
    r.tensorCores = tensorCores;
    r.wgmma = wgmma;
    r.chooseChunk = chooseChunk;
    r.block = blockSize;
    r.parallelTile = parallelTile;
    r.valueSlice = valueSlice;
    r.segments = segments;
    r.stages = stages;
    r.dynamicStaging = dynamicStaging;
    r.numSMs = numSMs;
    if (r.block < 0 || r.block > 1024 || r.block % 32 || r.parallelTile <= 0 ||
        r.numSMs < 0 || r.segments < 0 || r.stages < 0 || r.stages > 4 ||
        (r.valueSlice != 0 && r.valueSlice != 16 && r.valueSlice != 32 &&
         r.valueSlice != 64 && r.valueSlice != 128)) {
      getOperation()->emitError(
          "retention-gpu-select-schedule: block-size must be 0 (auto) or a "
          "multiple of 32 up to 1024, parallel-tile positive, num-sms 0 "
          "(the target's) or positive, value-slice 0, 16, 32, 64 or 128, "
          "segments >= 0, stages 0 to 4");
      return false;
    }
    return true;
  }

  void runOnOperation() override {
    const GpuTargetInfo *info = GpuTargetInfo::lookup(target);
    if (!info) {
      getOperation()->emitError("retention-gpu-select-schedule: unknown "
                                "target '")
          << target << "' (expected " << GpuTargetInfo::names() << ")";
      return signalPassFailure();
    }
    GpuScheduleRequest r;
    if (!request(r))
      return signalPassFailure();
    auto helper = getContext()
                      .getLoadedDialect<RetentionDialect>()
                      ->getGpuScheduleAttrHelper();
    WalkResult result = getOperation()->walk([&](RetentionOpInterface op) {
      if (isa<RetentionOp>(op.getOperation())) {
        op->emitOpError("has no form yet; run retention-select-form before "
                        "retention-gpu-select-schedule");
        return WalkResult::interrupt();
      }
      // Packed sequences: the SIMT kernels (the tensor-core chunkwise
      // kernels do not take segments yet).
      GpuScheduleRequest forOp = r;
      if (op.getSegments())
        forOp.tensorCores = false;
      GpuScheduleAttr given = helper.getAttr(op);
      std::string why = "as written in the IR";
      FailureOr<GpuScheduleAttr> schedule =
          given ? completeGpuSchedule(op, given, *info)
                : selectGpuSchedule(op, *info, forOp, &why);
      if (failed(schedule))
        return WalkResult::interrupt();
      helper.setAttr(op, *schedule);
      if (explain)
        op->emitRemark("gpu schedule on ") << target << ": " << why;
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();

    auto gemmHelper = getContext()
                          .getLoadedDialect<RetentionDialect>()
                          ->getGemmScheduleAttrHelper();
    result = getOperation()->walk([&](Operation *op) {
      std::optional<Projection> projection = Projection::of(op);
      if (!projection)
        return WalkResult::advance();
      GemmScheduleAttr given = gemmHelper.getAttr(op);
      std::string why = "as written in the IR";
      FailureOr<GemmScheduleAttr> schedule =
          given ? completeGemmSchedule(*projection, given, *info)
                : selectGemmSchedule(*projection, *info, &why);
      if (failed(schedule))
        return WalkResult::interrupt();
      gemmHelper.setAttr(op, *schedule);
      if (explain)
        op->emitRemark("gemm schedule on ") << target << ": " << why;
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
