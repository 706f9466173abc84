//===- GpuTarget.cpp - the NVIDIA GPU a package is compiled for -----------===//
//
// See GpuTarget.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GpuTarget.h"
#include "codegen/gpu/ChunkwiseTensorCores.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

using namespace mlir;
using namespace mlir::retention;

std::optional<GpuTarget> GpuTarget::parse(llvm::StringRef arch) {
  if (arch != "sm_80" && arch != "sm_90" && arch != "sm_90a")
    return std::nullopt;
  GpuTarget t;
  t.arch = arch.str();
  t.numSMs = arch == "sm_80" ? 108 : 132;
  t.maxSharedBytes = arch == "sm_80" ? 166912 : 232448;
  return t;
}

bool mlir::retention::stagedTilesFitStatically(int64_t C, int64_t K,
                                               unsigned elementBits) {
  int64_t staged = 2 * C * K * (elementBits / 8);
  return staged + 4 * C * C + 4 * C <= 48 * 1024;
}

int64_t mlir::retention::defaultGpuChunkSize(int64_t K, unsigned elementBits,
                                             bool tensorCoreChunks,
                                             bool warpgroupMma) {
  if (elementBits != 16 || K % 16 != 0)
    return 64;
  if (tensorCoreChunks && warpgroupMma && K <= 256)
    return kWarpgroupChunk;
  // The tensor-core kernel: chunk 64, but 32 for K > 128 (RetNet-1.3B
  // heads, K = 256, V = 512, on the H200: 7.3x the floor at chunk 32 vs
  // 9.8x at 64, where chunk 64 spills its 255 registers).
  if (tensorCoreChunks)
    for (int64_t C : {64, 32, 16})
      if ((K <= 128 || C <= 32) &&
          tensorCoreChunkSharedBytes(C, K, 32) <= kTensorCoreChunkMaxSharedBytes)
        return C;
  // Chunk 32 beats 64 on the H200 (the SIMT column work grows with C:
  // 44x vs 67x the floor at B*H = 512, 35 vs 59 ms for RetNet-1.3B heads).
  for (int64_t C : {32, 16})
    if (stagedTilesFitStatically(C, K, elementBits))
      return C;
  return 64;
}

GpuSegments mlir::retention::chooseGpuSegments(int64_t B, int64_t T,
                                               int64_t H, int64_t K, int64_t V,
                                               int64_t C, int64_t numSMs,
                                               int64_t requested) {
  auto ceilDiv = [](int64_t x, int64_t d) { return (x + d - 1) / d; };
  GpuSegments none{1, T};
  int64_t wanted = requested;
  if (requested == 0) {
    // Blocks of one segment with the widest slice. Segments only when they
    // leave more than half the SMs idle; then as many as fill one wave of
    // one block per SM (the outputs kernel's occupancy): a partial last
    // wave costs as much as a full one, and every segment but the last
    // costs a second read of its k and v. Measured on the H200 (bf16,
    // 2026-11-28): 1x32768 H16 (16 blocks) 2.52x the floor at 8 segments,
    // 2.56x at 16, 3.37x at 12 (1.45 waves); 2x16384 2.52x at 4, 2.56x at
    // 8; 8x4096 H16 (128 blocks) 2.05x unsegmented; RetNet-1.3B heads
    // (K = 256, 128 blocks) 4.2x unsegmented, 7.9x at 3 segments.
    int64_t perSegment = B * H * ceilDiv(V, 128);
    if (2 * perSegment >= numSMs)
      return none;
    wanted = std::min(numSMs / perSegment, T / kMinGpuSegmentTokens);
  }
  if (wanted <= 1 || C <= 0)
    return none;
  GpuSegments s;
  s.length = ceilDiv(ceilDiv(T, wanted), C) * C;
  s.count = ceilDiv(T, s.length);
  return s.count > 1 ? s : none;
}

void mlir::retention::registerGPUTargets(DialectRegistry &registry) {
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerAllGPUToLLVMIRTranslations(registry);
}

llvm::Expected<GpuLaunch> mlir::retention::getGpuLaunch(ModuleOp module,
                                                        llvm::StringRef name) {
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
    for (auto func : gpuModule.getOps<gpu::GPUFuncOp>()) {
      if (func.getName() != name)
        continue;
      auto launch = func->getAttrOfType<DictionaryAttr>("retention.launch");
      auto grid = launch ? launch.getAs<DenseI64ArrayAttr>("grid") : nullptr;
      auto block = launch ? launch.getAs<DenseI64ArrayAttr>("block") : nullptr;
      if (!grid || !block || grid.size() != 3 || block.size() != 3)
        return llvm::createStringError("kernel '" + name +
                                       "' has no retention.launch "
                                       "configuration");
      GpuLaunch l;
      l.entry = name.str();
      auto shared = launch.getAs<IntegerAttr>("shared_bytes");
      l.sharedBytes = shared ? shared.getInt() : 0;
      for (int i = 0; i < 3; ++i) {
        l.grid[i] = grid[i];
        l.block[i] = block[i];
      }
      return l;
    }
  return llvm::createStringError("no GPU kernel named '" + name + "'");
}

llvm::Expected<GpuLaunches>
mlir::retention::getGpuLaunches(ModuleOp module, llvm::StringRef name) {
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
    if (gpuModule.getName() != name)
      continue;
    GpuLaunches result;
    if (auto bytes =
            gpuModule->getAttrOfType<IntegerAttr>("retention.workspace_bytes"))
      result.workspaceBytes = bytes.getInt();
    for (auto func : gpuModule.getOps<gpu::GPUFuncOp>()) {
      if (!func->hasAttr("retention.launch"))
        continue;
      auto launch = getGpuLaunch(module, func.getName());
      if (!launch)
        return launch.takeError();
      result.launches.push_back(std::move(*launch));
    }
    if (result.launches.empty())
      return llvm::createStringError("GPU module '" + name +
                                     "' has no kernel with a "
                                     "retention.launch configuration");
    return result;
  }
  return llvm::createStringError("no GPU module named '" + name + "'");
}

llvm::Expected<std::string> mlir::retention::getGpuObject(ModuleOp module,
                                                          llvm::StringRef name) {
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    if (binary.getName() != name)
      continue;
    for (Attribute a : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(a);
      if (!object)
        continue;
      // PTX as text, without the terminating NUL some producers add (the
      // runtime terminates it when it hands it to the driver).
      llvm::StringRef bytes = object.getObject().getValue();
      if (object.getFormat() == gpu::CompilationTarget::Assembly)
        bytes = bytes.rtrim('\0');
      return bytes.str();
    }
  }
  return llvm::createStringError("no GPU binary named '" + name + "'");
}
