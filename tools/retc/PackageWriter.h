//===- PackageWriter.h - a compiled kernel into a package file --*- C++ -*-===//
//
// Describes a retention or linear kernel or a whole model in the runtime's
// manifest format and writes the package (runtime/package/Package.h,
// docs/package-format.md).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_RETC_PACKAGEWRITER_H
#define RETC_TOOLS_RETC_PACKAGEWRITER_H

#include "codegen/cpu/CpuTarget.h"
#include "codegen/gpu/CompiledGpuModule.h"
#include "codegen/gpu/GpuTargetInfo.h"
#include "frontend/KernelSpec.h"
#include "frontend/LinearSpec.h"
#include "frontend/ModelConfig.h"
#include "runtime/package/Package.h"

#include "llvm/Support/Error.h"

namespace mlir::retention {

// A package is described before its code is generated: the code records
// what it was compiled for (compiledForText, embedded by
// codegen/common/CompiledForRecord.h), and the runtime checks that record
// against the manifest written beside it. One manifest serves both.

/// The manifest of a package holding one CPU kernel (`form`, `chunkSize`) of
/// `spec` compiled for `target`, its code in the blob "kernel.so".
retc::rt::Manifest describeKernelPackage(const KernelSpec &spec,
                                         RetentionForm form, int64_t chunkSize,
                                         const CpuTarget &target);

/// The manifest of a package holding one GPU kernel of `spec` for `gpu`,
/// lowered with `schedule` (its chunk is the manifest's) and launched with
/// `launches` (one: manifest `launch`; several: `launches` and
/// `workspace_bytes`), its code in the blob "kernel.ptx" (`isPtx`) or
/// "kernel.cubin".
retc::rt::Manifest
describeGpuKernelPackage(const KernelSpec &spec, RetentionForm form,
                         GpuScheduleAttr schedule, const GpuTargetInfo &gpu,
                         const GpuLaunches &launches, bool isPtx);

/// The manifest of a package holding one CPU linear kernel of `spec`
/// compiled for `target`, its code in the blob "kernel.so".
retc::rt::Manifest describeLinearKernelPackage(const LinearSpec &spec,
                                               const CpuTarget &target);

/// The manifest of a package holding one GPU linear kernel of `spec` for
/// `gpu`, launched with `launches`, its code in "kernel.ptx" (`isPtx`) or
/// "kernel.cubin".
retc::rt::Manifest
describeGpuLinearKernelPackage(const LinearSpec &spec,
                               const GpuTargetInfo &gpu,
                               const GpuLaunches &launches, bool isPtx);

/// The manifest of a package holding the whole model `config`, its entry
/// points compiled for `target` into the blob "model.so", prefill with
/// chunks of `chunkSize`, the entries decode_batch and prefill_batch of at
/// most `maxBatch` sequences where `maxBatch` > 0.
retc::rt::Manifest
describeModelPackage(const retc::frontend::ModelConfig &config,
                     int64_t chunkSize, int64_t maxBatch,
                     const CpuTarget &target);

/// The manifest of a GPU model package: the model `config` for `gpu`, its
/// host program compiled for `host` in the blob "model-host.so", its
/// `kernels` (in launch-request order) in "model.ptx" (`isPtx`) or
/// "model.cubin", calls of at most `maxTokens` tokens, the entry
/// decode_batch of at most `maxBatch` sequences where `maxBatch` > 0,
/// `arenaBytes` of device scratch.
retc::rt::Manifest describeGpuModelPackage(
    const retc::frontend::ModelConfig &config, int64_t chunkSize,
    const GpuTargetInfo &gpu, const CpuTarget &host,
    const std::vector<retc::rt::ModelKernelDesc> &kernels, int64_t maxTokens,
    int64_t maxBatch, int64_t arenaBytes, bool isPtx);

/// What the code of `manifest`'s blob `blob` (default: its first) records
/// about what it was compiled for (rt::describeCompiledFor).
std::string compiledForText(const retc::rt::Manifest &manifest,
                            llvm::StringRef blob = "");

/// Writes `path`: `manifest` with `code` as its first blob and
/// `secondCode` as its second, if it lists two.
llvm::Error writePackageFile(llvm::StringRef path,
                             const retc::rt::Manifest &manifest,
                             llvm::StringRef code,
                             llvm::StringRef secondCode = "");

} // namespace mlir::retention

#endif // RETC_TOOLS_RETC_PACKAGEWRITER_H
