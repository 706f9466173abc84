//===- GemmSchedule.h - choosing how a retention.linear runs ----*- C++ -*-===//
//
// The decision behind a #retention.gemm_schedule: the kernel family and
// tiles of one GEMM (a retention.linear or retention.swiglu_linear, seen
// as a Projection) from its shape, types and the target. Read by
// retention-gpu-select-schedule, which attaches the result to the op.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GEMMSCHEDULE_H
#define RETC_CODEGEN_GPU_GEMMSCHEDULE_H

#include "codegen/gpu/GpuTargetInfo.h"
#include "dialect/RetentionOps.h"

#include <string>

namespace mlir::retention {

/// Chooses the schedule of `op` on `target`; `why` (if given) receives the
/// reasons in words. Failure (with an error on the op) where nothing fits.
FailureOr<GemmScheduleAttr> selectGemmSchedule(const Projection &op,
                                               const GpuTargetInfo &target,
                                               std::string *why = nullptr);

/// Checks a schedule written in the IR against `target` (its shared
/// memory) and fills in shared_bytes.
FailureOr<GemmScheduleAttr> completeGemmSchedule(const Projection &op,
                                                 GemmScheduleAttr given,
                                                 const GpuTargetInfo &target);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GEMMSCHEDULE_H
