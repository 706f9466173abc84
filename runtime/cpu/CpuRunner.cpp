//===- CpuRunner.cpp - Running a kernel on the host CPU ---------*- C++ -*-===//
//
// See CpuRunner.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuRunner.h"

#include "runtime/cpu/CpuFeatures.h"
#include "runtime/package/CompiledFor.h"

#include <chrono>

namespace retc::rt {

/// Fills `count` elements of type `type` at `dst` with a quiet NaN.
static void fillNaN(void *dst, size_t count, DType type) {
  if (type == DType::F32) {
    const uint32_t nan = 0x7fc00000u;
    auto *out = static_cast<uint32_t *>(dst);
    for (size_t i = 0; i < count; ++i)
      out[i] = nan;
    return;
  }
  const uint16_t nan = type == DType::BF16 ? 0x7fc0u : 0x7e00u;
  auto *out = static_cast<uint16_t *>(dst);
  for (size_t i = 0; i < count; ++i)
    out[i] = nan;
}

Error checkHostCpuFeatures(const Package &package) {
  return checkHostCpuFeatures(package, package.manifest.target);
}

Error checkHostCpuFeatures(const Package &package, const TargetDesc &target) {
  std::vector<std::string> missing = missingCpuFeatures(target.features);
  if (missing.empty())
    return Error::success();
  std::string names;
  for (const std::string &name : missing)
    names += (names.empty() ? "" : ", ") + name;
  return Error::atFile(package.path, "compiled for a CPU with " + names +
                                         ", which this CPU lacks");
}

Error CpuRunner::load() {
  if (kernel)
    return Error::success();
  if (Error err = checkHostCpuFeatures(pkg))
    return err;
  const BlobDesc *blob = pkg.manifest.findBlob(desc.blob);
  Expected<std::unique_ptr<CpuKernel>> loaded = CpuKernel::load(
      pkg.blobData(*blob), blob->size, desc.entry,
      describeCompiledFor(pkg.manifest, blob->name),
      pkg.path + ": blob '" + blob->name + "' of kernel '" + desc.name + "'");
  if (!loaded)
    return loaded.error();
  kernel = loaded.take();
  return Error::success();
}

Error CpuRunner::run(const std::vector<void *> &host, const RunOptions &options,
                     std::vector<double> *seconds) {
  if (Error err = load())
    return err;
  for (size_t i = 0; i < desc.params.size(); ++i)
    if (desc.params[i].role == ParamRole::Output)
      fillNaN(host[i], static_cast<size_t>(desc.params[i].numElements()),
              desc.params[i].dtype);
  std::vector<void *> args = host;
  for (unsigned i = 0; i < (options.repeat ? options.repeat : 1); ++i) {
    auto start = std::chrono::steady_clock::now();
    kernel->run(args.data());
    auto end = std::chrono::steady_clock::now();
    if (seconds)
      seconds->push_back(std::chrono::duration<double>(end - start).count());
  }
  return Error::success();
}

} // namespace retc::rt
