//===- KernelLayouts.h - what a GPU schedule means for a kernel -*- C++ -*-===//
//
// The layout a #retention.gpu_schedule implies for the tensor-core
// chunkwise kernels: padded shared rows, staging buffers, segment
// arithmetic. Pure arithmetic, no choice: the planner (GpuSchedule.cpp)
// sizes candidate schedules with it and the lowering lays its tiles out
// with it.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_KERNELLAYOUTS_H
#define RETC_CODEGEN_GPU_KERNELLAYOUTS_H

#include "codegen/gpu/ChunkwiseTensorCores.h"

namespace mlir::retention {

/// The tensor-core chunkwise kernels' layout for `schedule` (kernel
/// mma_sync or wgmma) on `shape`.
ChunkwiseMmaPlan chunkwiseMmaLayout(GpuScheduleAttr schedule,
                                    const RetentionShape &shape);

/// Bytes of shared memory of the outputs (or whole) kernel's tiles and of
/// the segment states kernel's tiles under `plan`.
int64_t outputsKernelSharedBytes(const ChunkwiseMmaPlan &plan, int64_t K);
int64_t statesKernelSharedBytes(const ChunkwiseMmaPlan &plan, int64_t K);

/// Bytes of the segment schedule's workspace: B x H x slots x K x V f32.
int64_t segmentWorkspaceBytes(const ChunkwiseMmaPlan &plan,
                              const RetentionShape &shape);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_KERNELLAYOUTS_H
