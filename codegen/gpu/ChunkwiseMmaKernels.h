//===- ChunkwiseMmaKernels.h - the tensor-core chunkwise kernels -*- C++ -*-===//
//
// The gpu.funcs of a chunkwise op whose schedule is mma_sync or wgmma: one
// kernel over the whole sequence, or, with segments, three (segment states,
// a scan, outputs) sharing a workspace. The bodies are emitted by
// ChunkwiseTensorCores.h (mma.sync, and every segment states kernel) and
// ChunkwiseWarpgroupMma.h (wgmma).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_CHUNKWISEMMAKERNELS_H
#define RETC_CODEGEN_GPU_CHUNKWISEMMAKERNELS_H

#include "codegen/gpu/GpuKernelBuilder.h"
#include "dialect/RetentionOps.h"

namespace mlir::retention {

/// Builds the kernels of `op` under `schedule` at `b`'s insertion point, in
/// the gpu.module `gpuModule`, in the order they run: `@<name>`, or
/// `@<name>_states`, `@<name>_scan`, `@<name>` (the module then records the
/// workspace in `retention.workspace_bytes`). With `signature.numTokens`
/// the whole-sequence kernel takes T from that parameter (its grid does
/// not depend on T); a segmented schedule is refused (its segment count,
/// grid and workspace do), as is a batch other than 1: an error at `op`,
/// nothing built.
LogicalResult buildChunkwiseMmaKernels(OpBuilder &b, Location loc,
                                       StringRef name, Operation *gpuModule,
                                       ChunkwiseOp op, GpuScheduleAttr schedule,
                                       const KernelSignature &signature);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_CHUNKWISEMMAKERNELS_H
