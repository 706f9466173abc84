//===- GpuSchedule.h - choosing how a retention op runs on a GPU -*- C++ -*-===//
//
// The one place where GPU schedules are decided: given a form op, a target
// description and what the user asked for, the kernel family, chunk, block,
// value slice, stages and segments, as a #retention.gpu_schedule. The
// lowering (convert-retention-to-gpu) reads the attribute and decides
// nothing; the driver and the package writer read the result from the IR.
// The rules and the measurements behind them: docs/gpu-codegen.md,
// "Choosing the schedule".
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GPUSCHEDULE_H
#define RETC_CODEGEN_GPU_GPUSCHEDULE_H

#include "codegen/gpu/GpuScheduleRequest.h"
#include "codegen/gpu/GpuTargetInfo.h"
#include "dialect/RetentionOps.h"

#include <string>

namespace mlir::retention {

/// The schedule of `op` (a form op with static shapes) on `target`; errors
/// (a request that cannot be had, tiles that do not fit) are emitted at
/// `op`. Decides everything in one call; `explanation`, if given, receives
/// one line on why this kernel family (and segments) and not another.
FailureOr<GpuScheduleAttr>
selectGpuSchedule(RetentionOpInterface op, const GpuTargetInfo &target,
                  const GpuScheduleRequest &request,
                  std::string *explanation = nullptr);

/// An explicit schedule of `op` checked on `target` (the family exists
/// there, the tiles fit, the shape suits the layout) with its derived
/// fields (shared_bytes, states_shared_bytes, workspace_bytes) filled in
/// where zero and checked where given; errors at `op`.
FailureOr<GpuScheduleAttr> completeGpuSchedule(RetentionOpInterface op,
                                               GpuScheduleAttr schedule,
                                               const GpuTargetInfo &target);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GPUSCHEDULE_H
