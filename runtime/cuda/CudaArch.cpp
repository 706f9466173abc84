//===- CudaArch.cpp - CUDA architectures and what runs where ----*- C++ -*-===//
//
// See CudaArch.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaArch.h"

namespace retc::rt {

std::optional<CudaArch> parseCudaArch(std::string_view name) {
  if (name == "sm_80")
    return CudaArch{8, 0, false};
  if (name == "sm_90")
    return CudaArch{9, 0, false};
  if (name == "sm_90a")
    return CudaArch{9, 0, true};
  return std::nullopt;
}

const char *supportedCudaArchs() { return "sm_80, sm_90 or sm_90a"; }

Error checkCudaArch(const std::string &arch, BlobFormat format, int major,
                    int minor, const std::string &device) {
  std::optional<CudaArch> want = parseCudaArch(arch);
  if (!want)
    return Error::failure("unsupported CUDA architecture '" + arch +
                          "' (expected " + supportedCudaArchs() + ")");
  std::string have = "sm_" + std::to_string(major) + std::to_string(minor);
  int wantCC = want->major * 10 + want->minor;
  int haveCC = major * 10 + minor;
  if (haveCC < wantCC)
    return Error::failure("package targets " + arch + " but " + device +
                          " is " + have);
  if (want->archSpecific && haveCC != wantCC)
    return Error::failure("package targets " + arch + ", which runs only on " +
                          "sm_" + std::to_string(wantCC) + ", but " + device +
                          " is " + have);
  if (format == BlobFormat::Cubin && major != want->major)
    return Error::failure("package holds a cubin for " + arch + ", which " +
                          device + " (" + have +
                          ") cannot run: a cubin runs only on its own major "
                          "architecture (PTX would be JIT-compiled)");
  return Error::success();
}

} // namespace retc::rt
