//===- CudaArch.h - CUDA architectures and what runs where ------*- C++ -*-===//
//
// The `target.arch` values a CUDA package may name (sm_80, sm_90, sm_90a) and
// the rule for whether a device of a given compute capability can run a
// package's code: PTX is JIT-compiled forward to any newer device, a cubin
// runs only on its own major architecture, and arch-specific code (sm_90a)
// only on exactly that architecture.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CUDAARCH_H
#define RETC_RUNTIME_CUDAARCH_H

#include "runtime/package/Package.h"
#include "runtime/Status.h"

#include <optional>
#include <string>
#include <string_view>

namespace retc::rt {

/// A CUDA architecture, e.g. sm_90a = {9, 0, true}.
struct CudaArch {
  int major = 0;
  int minor = 0;
  /// The "a" suffix: arch-specific features (wgmma, setmaxnreg, ...).
  bool archSpecific = false;
};

/// Parses one of the architectures a package may target: "sm_80", "sm_90"
/// or "sm_90a". std::nullopt for anything else.
std::optional<CudaArch> parseCudaArch(std::string_view name);

/// "sm_80, sm_90 or sm_90a", for messages.
const char *supportedCudaArchs();

/// Checks that a device of compute capability `major`.`minor` can run code
/// for `arch` (a name parseCudaArch accepts) in blob format `format` (ptx or
/// cubin). `device` describes the device in messages, e.g. "device 0
/// (NVIDIA A100)". Fails with, e.g., "package targets sm_90 but device 0
/// (NVIDIA A100) is sm_80".
Error checkCudaArch(const std::string &arch, BlobFormat format, int major,
                    int minor, const std::string &device);

} // namespace retc::rt

#endif // RETC_RUNTIME_CUDAARCH_H
