//===- CompiledGpuModule.h - what a package takes from lowered IR -*- C++ -*-===//
//
// Reading the results of the GPU pipeline out of the module, for the
// package writer: each kernel's launch configuration, the workspace, the
// schedule the kernels were lowered with, and the compiled kernel (PTX or
// cubin) of the `gpu.binary` that gpu-module-to-binary leaves. Also the
// registrations the NVVM back end needs.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_COMPILEDGPUMODULE_H
#define RETC_CODEGEN_GPU_COMPILEDGPUMODULE_H

#include "dialect/RetentionAttrs.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::retention {

/// Registers the NVVM target attribute and GPU/NVVM translations to LLVM IR.
void registerGPUTargets(DialectRegistry &registry);

/// The launch configuration convert-retention-to-gpu attached to one
/// kernel entry: grid and block sizes.
struct GpuLaunch {
  std::string entry;
  int64_t grid[3];
  int64_t block[3];
  int64_t sharedBytes; ///< dynamic shared memory per block
};
llvm::Expected<GpuLaunch> getGpuLaunch(ModuleOp module, llvm::StringRef name);

/// Every launch of the kernel `name`: the `gpu.func`s of `gpu.module @name`
/// that carry `retention.launch`, in the module's order (the order they
/// run), and the workspace they share (`retention.workspace_bytes` of the
/// gpu.module, 0 if absent).
struct GpuLaunches {
  std::vector<GpuLaunch> launches;
  int64_t workspaceBytes = 0;
};
llvm::Expected<GpuLaunches> getGpuLaunches(ModuleOp module,
                                           llvm::StringRef name);

/// The schedule the kernels of `gpu.module @name` were lowered with (its
/// `retention.gpu_schedule`), before gpu-module-to-binary replaces it.
llvm::Expected<GpuScheduleAttr> getGpuSchedule(ModuleOp module,
                                               llvm::StringRef name);

/// The kernel object of the `gpu.binary` `name`: PTX text (no NUL) or cubin
/// bytes.
llvm::Expected<std::string> getGpuObject(ModuleOp module, llvm::StringRef name);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_COMPILEDGPUMODULE_H
