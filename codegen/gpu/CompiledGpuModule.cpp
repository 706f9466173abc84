//===- CompiledGpuModule.cpp - what a package takes from lowered IR -------===//
//
// See CompiledGpuModule.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/CompiledGpuModule.h"
#include "dialect/RetentionDialect.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

using namespace mlir;
using namespace mlir::retention;

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
      auto launch = func->getAttrOfType<DictionaryAttr>(
          RetentionDialect::LaunchAttrHelper::getNameStr());
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
            gpuModule->getAttrOfType<IntegerAttr>(
            RetentionDialect::WorkspaceBytesAttrHelper::getNameStr()))
      result.workspaceBytes = bytes.getInt();
    for (auto func : gpuModule.getOps<gpu::GPUFuncOp>()) {
      if (!func->hasAttr(RetentionDialect::LaunchAttrHelper::getNameStr()))
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

llvm::Expected<GpuScheduleAttr>
mlir::retention::getGpuSchedule(ModuleOp module, llvm::StringRef name) {
  for (auto gpuModule : module.getOps<gpu::GPUModuleOp>()) {
    if (gpuModule.getName() != name)
      continue;
    if (auto schedule = gpuModule->getAttrOfType<GpuScheduleAttr>(
            RetentionDialect::GpuScheduleAttrHelper::getNameStr()))
      return schedule;
    return llvm::createStringError("GPU module '" + name +
                                   "' has no retention.gpu_schedule");
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
