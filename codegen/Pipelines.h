//===- Pipelines.h - retc's pass pipelines, stage by stage ------*- C++ -*-===//
//
// The pipelines that take a retention kernel from the graph level to the LLVM
// dialect, as named functions (the driver only chains them). Each stage ends
// at a point `retc --emit=<stage>` can print.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_PIPELINES_H
#define RETC_CODEGEN_PIPELINES_H

#include "codegen/cpu/TileEmitter.h"
#include "codegen/gpu/GpuScheduleRequest.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"

namespace mlir::retention {

/// Stage `form`: every retention op has a form.
/// Post-conditions: no `retention.retention` remains.
void buildFormSelectionPipeline(OpPassManager &pm, RetentionForm form,
                                int64_t chunkSize);

/// Stage `loops`: retention forms become tiled, vectorized loop nests over
/// (batch, head) on buffers.
/// Post-conditions: no retention op remains; tensors only at function
/// boundaries (bufferization.to_buffer / to_tensor).
void buildCPULoopPipeline(OpPassManager &pm, const MicroTile &tile,
                          int64_t parallelTile);

/// Stage `buffers`: one-shot bufferization; results become out-parameters
/// (`void kernel(inputs..., outputs...)`), written in place.
/// Post-conditions: no tensor remains; every function argument is a memref
/// with the identity layout.
void buildBufferizationPipeline(OpPassManager &pm);

/// Stage `llvm`: (batch, head) parallelism mapped to OpenMP, vector and
/// memref lowered, the LLVM dialect with the bare-pointer calling convention
/// and the `<kernel>_retc_abi(void **)` entry (runtime/KernelABI.h); for a
/// model (`model`), the `retc_model_<entry>(const retc_model_call *)`
/// entries instead.
/// Post-conditions: only the llvm and omp dialects remain.
/// `gpuHost`: the host program of a GPU model (retc_gpu_model_<entry>).
void buildCPUToLLVMPipeline(OpPassManager &pm, bool model = false,
                            bool gpuHost = false);

/// Models, stage `form`: each entry point's retention ops get the form its
/// `retention.form` names (prefill chunkwise with `chunkSize`, decode
/// recurrent, forward parallel); residual adds and the SwiGLU product are
/// fused into their projections.
/// Post-conditions: no form-agnostic retention op, no retention.add fed by
/// a single-use linear; with `gemvMaxRows` = 0 (the CPU), no
/// retention.swiglu of two single-use linears of one input; with
/// `gemvMaxRows` > 0 (the GPU, whose gemv kernel alone takes two or more
/// weights and a fused norm), in functions of at most that many rows none
/// of these, no rms_norm feeding only projections and no two projections
/// of one input without a residual (elsewhere the SwiGLU product stays an
/// op of its own).
void buildModelGraphPipeline(OpPassManager &pm, int64_t chunkSize,
                             int64_t gemvMaxRows = 0);

/// GPU models, stage `schedule` (before the schedule pipeline): every op
/// that runs as a kernel moves into a static kernel function; the model
/// functions become the host program, launching them
/// (retention-outline-gpu-kernels).
/// Post-conditions: model functions hold no graph or retention form op,
/// only retention.launch_kernel on buffers.
void buildGPUModelOutlinePipeline(OpPassManager &pm);

/// GPU models, stage `buffers` (after the kernels are gpu.modules): the
/// host program bufferized, buffers freed after their last use, then
/// arena views, copy and launch requests (retention-lower-gpu-host).
/// Post-conditions: one gpu.module @retention_kernels; the host functions
/// touch no device memory.
void buildGPUModelHostPipeline(OpPassManager &pm);

/// Models, stage `loops`: graph ops and retention forms to vectorized,
/// parallel loop nests (convert-retention-graph-to-cpu, then
/// convert-retention-to-cpu).
/// Post-conditions: no retention op remains; tensors only at op boundaries.
void buildCPUModelLoopPipeline(OpPassManager &pm, const MicroTile &tile,
                               int64_t parallelTile);

/// Models, stage `buffers`: bufferization, then every activation freed
/// after its last use (retention-plan-buffers).
/// Post-conditions: no tensor remains; every top-level allocation that does
/// not escape is freed.
void buildModelBufferizationPipeline(OpPassManager &pm);

/// GPU stage `schedule`: every retention form op gets its
/// #retention.gpu_schedule for `target` (retention-gpu-select-schedule with
/// `request`, the user's --gpu-* flags; docs/gpu-codegen.md); `explain`
/// adds a remark at each op saying why it got its kernel.
/// Post-conditions: every form op has a retention.gpu_schedule; a chunkwise
/// op's chunk_size is its schedule's chunk.
void buildGPUSchedulePipeline(OpPassManager &pm, llvm::StringRef target,
                              const GpuScheduleRequest &request,
                              bool explain = false);

/// GPU stage `loops`: the kernel function becomes a gpu.module of gpu.func
/// kernels with their launch configurations, as the schedule says.
/// `runtimeSizes`: every kernel takes its row (token) count as one more
/// `index` parameter, last (a model's kernels).
/// Post-conditions: no retention op; the kernels in `gpu.module @retention`.
void buildGPUKernelPipeline(OpPassManager &pm, bool runtimeSizes = false);

/// GPU stage `llvm`: the gpu.module lowered to the NVVM/LLVM dialects for
/// `arch` (bare-pointer kernel parameters), with its NVVM target attached.
void buildGPUToNVVMPipeline(OpPassManager &pm, llvm::StringRef arch,
                            llvm::StringRef ptxFeatures);

/// GPU stage `asm`/`package`: gpu-module-to-binary producing PTX
/// (`format` "isa") or a cubin ("bin", through ptxas from `toolkit`).
void buildGPUBinaryPipeline(OpPassManager &pm, llvm::StringRef format,
                            llvm::StringRef toolkit);

} // namespace mlir::retention

#endif // RETC_CODEGEN_PIPELINES_H
