//===- Pipelines.cpp - retc's pass pipelines, stage by stage --------------===//
//
// See Pipelines.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/Pipelines.h"
#include "codegen/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::retention;

void mlir::retention::buildFormSelectionPipeline(OpPassManager &pm,
                                                 RetentionForm form,
                                                 int64_t chunkSize) {
  RetentionSelectFormOptions options;
  options.form = form;
  options.chunkSize = chunkSize;
  pm.addPass(createRetentionSelectForm(options));
}

void mlir::retention::buildCPULoopPipeline(OpPassManager &pm,
                                           const MicroTile &tile,
                                           int64_t parallelTile) {
  ConvertRetentionToCPUOptions options;
  options.vectorWidth = tile.width;
  options.microRows = tile.rows;
  options.microCols = tile.cols;
  options.parallelTile = parallelTile;
  pm.addPass(createConvertRetentionToCPU(options));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::retention::buildBufferizationPipeline(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::retention::buildGPUSchedulePipeline(
    OpPassManager &pm, llvm::StringRef target,
    const GpuScheduleRequest &request, bool explain) {
  RetentionGpuSelectScheduleOptions options;
  options.target = target.str();
  options.numSMs = request.numSMs;
  options.tensorCores = request.tensorCores;
  options.wgmma = request.wgmma;
  options.chooseChunk = request.chooseChunk;
  options.blockSize = request.block;
  options.parallelTile = request.parallelTile;
  options.valueSlice = request.valueSlice;
  options.segments = request.segments;
  options.stages = request.stages;
  options.dynamicStaging = request.dynamicStaging;
  options.explain = explain;
  pm.addPass(createRetentionGpuSelectSchedule(options));
}

void mlir::retention::buildGPUKernelPipeline(OpPassManager &pm,
                                             bool runtimeSizes) {
  ConvertRetentionToGPUOptions options;
  options.runtimeSizes = runtimeSizes;
  pm.addPass(createConvertRetentionToGPU(options));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::retention::buildGPUToNVVMPipeline(OpPassManager &pm,
                                             llvm::StringRef arch,
                                             llvm::StringRef ptxFeatures) {
  GpuNVVMAttachTargetOptions target;
  target.chip = arch.str();
  target.features = ptxFeatures.str();
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createConvertNVGPUToNVVMPass());
  device.addPass(createConvertVectorToSCFPass());
  device.addPass(createSCFToControlFlowPass());
  device.addPass(memref::createExpandStridedMetadataPass());
  ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;
  device.addPass(createConvertGpuOpsToNVVMOps(nvvm));
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());
  device.addPass(createRetentionExternDynamicShared());
}

void mlir::retention::buildGPUBinaryPipeline(OpPassManager &pm,
                                             llvm::StringRef format,
                                             llvm::StringRef toolkit) {
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = format.str();
  binary.toolkitPath = toolkit.str();
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void mlir::retention::buildModelGraphPipeline(OpPassManager &pm,
                                              int64_t chunkSize,
                                              int64_t gemvMaxRows) {
  buildFormSelectionPipeline(pm, RetentionForm::Auto, chunkSize);
  RetentionFuseElementwiseOptions fuse;
  fuse.swigluMaxRows = gemvMaxRows;
  fuse.normMaxRows = gemvMaxRows;
  fuse.groupMaxRows = gemvMaxRows;
  pm.addPass(createRetentionFuseElementwise(fuse));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::retention::buildCPUModelLoopPipeline(OpPassManager &pm,
                                                const MicroTile &tile,
                                                int64_t parallelTile) {
  ConvertRetentionGraphToCPUOptions graph;
  graph.vectorWidth = tile.width;
  graph.microRows = 4;
  graph.microCols = tile.width >= 16 ? 4 : 2;
  pm.addPass(createConvertRetentionGraphToCPU(graph));
  buildCPULoopPipeline(pm, tile, parallelTile);
}

void mlir::retention::buildModelBufferizationPipeline(OpPassManager &pm) {
  buildBufferizationPipeline(pm);
  pm.addPass(createRetentionPlanBuffers());
  pm.addPass(createRetentionLowerCopies());
}

void mlir::retention::buildGPUModelOutlinePipeline(OpPassManager &pm) {
  pm.addPass(createRetentionOutlineGpuKernels());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::retention::buildGPUModelHostPipeline(OpPassManager &pm) {
  buildBufferizationPipeline(pm);
  pm.addPass(createRetentionGpuStateInPlace());
  pm.addPass(createRetentionPlanBuffers());
  pm.addPass(createRetentionLowerGpuHost());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::retention::buildCPUToLLVMPipeline(OpPassManager &pm, bool model,
                                             bool gpuHost) {
  if (model)
    pm.addPass(createRetentionLowerModelWeights());
  pm.addPass(createConvertSCFToOpenMPPass());
  // Inlines the memref.alloca_scope the OpenMP conversion wraps around each
  // task (tasks allocate on the heap), so scf-to-cf may split its body.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  ConvertFuncToLLVMPassOptions func;
  func.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(func));
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  if (model) {
    RetentionEmitModelABIOptions abi;
    abi.gpu = gpuHost;
    pm.addPass(createRetentionEmitModelABI(abi));
  } else
    pm.addPass(createRetentionEmitCPUABI());
}
