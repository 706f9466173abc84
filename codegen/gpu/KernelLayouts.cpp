//===- KernelLayouts.cpp - what a GPU schedule means for a kernel ---------===//
//
// See KernelLayouts.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/KernelLayouts.h"
#include "codegen/gpu/ChunkwiseWarpgroupMma.h"

using namespace mlir;
using namespace mlir::retention;

ChunkwiseMmaPlan
mlir::retention::chunkwiseMmaLayout(GpuScheduleAttr s,
                                    const RetentionShape &shape) {
  ChunkwiseMmaPlan plan;
  plan.warpgroupMma = s.getKernel() == GpuKernel::Wgmma;
  plan.C = s.getChunk();
  plan.vSlice = s.getValueSlice();
  plan.threads = s.getBlock();
  // Rows padded by 8 elements, so that the eight rows one ldmatrix reads
  // fall in distinct banks.
  plan.qkRow = shape.K + 8;
  plan.vRow = plan.vSlice + 8;
  plan.aRow = plan.C + 8;
  plan.stages = s.getStages();
  plan.segments = s.getSegments();
  plan.segmentLength = s.getSegmentLength();
  plan.statesSplit = s.getParts();
  plan.statesStages = s.getStatesStages();
  plan.statesBlocksPerSM = s.getStatesBlocksPerSm();
  plan.sharedBytes = outputsKernelSharedBytes(plan, shape.K);
  if (plan.segments > 1) {
    plan.statesSharedBytes = statesKernelSharedBytes(plan, shape.K);
    plan.workspaceBytes = segmentWorkspaceBytes(plan, shape);
  }
  return plan;
}

int64_t mlir::retention::outputsKernelSharedBytes(const ChunkwiseMmaPlan &plan,
                                                  int64_t K) {
  return plan.warpgroupMma
             ? warpgroupChunkSharedBytes(plan.C, K, plan.vSlice, plan.stages)
             : tensorCoreChunkSharedBytes(plan.C, K, plan.vSlice, plan.stages);
}

int64_t mlir::retention::statesKernelSharedBytes(const ChunkwiseMmaPlan &plan,
                                                 int64_t K) {
  return segmentStatesSharedBytes(plan.C, K, plan.vSlice, plan.statesStages);
}

int64_t mlir::retention::segmentWorkspaceBytes(const ChunkwiseMmaPlan &plan,
                                               const RetentionShape &shape) {
  return shape.B * shape.H * plan.workspaceSlots() * shape.K * shape.V * 4;
}
