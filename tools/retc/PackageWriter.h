//===- PackageWriter.h - a compiled kernel into a package file --*- C++ -*-===//
//
// Describes a compiled retention kernel in the runtime's manifest format and
// writes the package (runtime/package/Package.h, docs/package-format.md).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_RETC_PACKAGEWRITER_H
#define RETC_TOOLS_RETC_PACKAGEWRITER_H

#include "codegen/cpu/CpuTarget.h"
#include "codegen/gpu/CompiledGpuModule.h"
#include "codegen/gpu/GpuTargetInfo.h"
#include "frontend/KernelSpec.h"
#include "frontend/ModelConfig.h"

#include "llvm/Support/Error.h"

namespace mlir::retention {

/// Writes `path`: one kernel (`form`, `chunkSize`) of `spec`, its code
/// `sharedObject` for `target`.
llvm::Error writeKernelPackage(llvm::StringRef path, const KernelSpec &spec,
                               RetentionForm form, int64_t chunkSize,
                               const CpuTarget &target,
                               llvm::StringRef sharedObject);

/// Writes `path`: one GPU kernel of `spec` for `gpu`, lowered with
/// `schedule` (its chunk is the manifest's), its code `object` (PTX text
/// when `isPtx`, else a cubin) launched with `launches` (one: manifest
/// `launch`; several: `launches` and `workspace_bytes`).
llvm::Error writeGpuKernelPackage(llvm::StringRef path, const KernelSpec &spec,
                                  RetentionForm form, GpuScheduleAttr schedule,
                                  const GpuTargetInfo &gpu,
                                  const GpuLaunches &launches, bool isPtx,
                                  llvm::StringRef object);

/// Writes `path`: the whole model `config`, its entry points compiled into
/// `sharedObject` for `target`, prefill with chunks of `chunkSize`.
llvm::Error writeModelPackage(llvm::StringRef path,
                              const retc::frontend::ModelConfig &config,
                              int64_t chunkSize, const CpuTarget &target,
                              llvm::StringRef sharedObject);

} // namespace mlir::retention

#endif // RETC_TOOLS_RETC_PACKAGEWRITER_H
