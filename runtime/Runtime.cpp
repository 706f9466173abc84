//===- Runtime.cpp - Load a package and run one of its kernels --*- C++ -*-===//
//
// Session: buffer management, dtype conversion at the boundary, NaN poisoning
// of outputs, and the call into the kernel.
//
//===----------------------------------------------------------------------===//
#include "runtime/Runtime.h"

#include <chrono>
#include <cstring>

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

Expected<std::unique_ptr<Session>>
Session::open(const std::string &path, const std::string &kernelName) {
  Expected<Package> package = readPackage(path);
  if (!package)
    return package.error();

  std::unique_ptr<Session> session(new Session());
  session->pkg = package.take();
  const Manifest &manifest = session->pkg.manifest;
  if (manifest.target.kind == TargetKind::Cuda)
    return Error::atFile(path, "package targets cuda (" + manifest.target.arch +
                                   ") but this runtime was built without a "
                                   "CUDA backend");

  if (kernelName.empty()) {
    if (manifest.kernels.size() != 1) {
      std::string names;
      for (const KernelDesc &kernel : manifest.kernels)
        names += (names.empty() ? "" : ", ") + kernel.name;
      return Error::atFile(
          path, "package has " + std::to_string(manifest.kernels.size()) +
                    " kernels (" + names + "); name the one to run");
    }
    session->desc = &manifest.kernels.front();
  } else {
    session->desc = manifest.findKernel(kernelName);
    if (!session->desc)
      return Error::atFile(path,
                           "package has no kernel named '" + kernelName + "'");
  }

  for (const TensorParam &param : session->desc->params) {
    uint64_t bytes = (param.byteSize() + 63) / 64 * 64;
    void *memory = std::aligned_alloc(64, static_cast<size_t>(bytes));
    if (!memory)
      return Error::atFile(path, "cannot allocate " + std::to_string(bytes) +
                                     " bytes for parameter '" + param.name +
                                     "'");
    session->buffers.emplace_back(memory);
  }
  session->inputSet.assign(session->desc->params.size(), false);
  return session;
}

Error Session::load() {
  if (cpuKernel)
    return Error::success();
  const BlobDesc *blob = pkg.manifest.findBlob(desc->blob);
  Expected<std::unique_ptr<CpuKernel>> kernel = CpuKernel::load(
      pkg.blobData(*blob), blob->size, desc->entry,
      pkg.path + ": blob '" + blob->name + "' of kernel '" + desc->name + "'");
  if (!kernel)
    return kernel.error();
  cpuKernel = kernel.take();
  return Error::success();
}

int Session::paramIndex(const std::string &name) const {
  for (size_t i = 0; i < desc->params.size(); ++i)
    if (desc->params[i].name == name)
      return static_cast<int>(i);
  return -1;
}

void *Session::buffer(const std::string &name) {
  int index = paramIndex(name);
  return index < 0 ? nullptr : buffers[index].get();
}

Error Session::setInput(const std::string &name,
                        const std::vector<int64_t> &shape, const float *data) {
  int index = paramIndex(name);
  if (index < 0 || desc->params[index].role != ParamRole::Input)
    return Error::atFile(pkg.path, "kernel '" + desc->name +
                                       "' has no input named '" + name + "'");
  const TensorParam &param = desc->params[index];
  if (shape != param.shape)
    return Error::atFile(pkg.path, "input '" + name + "' has shape " +
                                       formatShape(shape) + ", expected " +
                                       formatShape(param.shape));
  convertFromF32(data, buffers[index].get(),
                 static_cast<size_t>(param.numElements()), param.dtype);
  inputSet[index] = true;
  return Error::success();
}

Error Session::run(unsigned repeat, std::vector<double> *seconds) {
  for (size_t i = 0; i < desc->params.size(); ++i)
    if (desc->params[i].role == ParamRole::Input && !inputSet[i])
      return Error::atFile(pkg.path, "input '" + desc->params[i].name +
                                         "' of kernel '" + desc->name +
                                         "' was not set");
  if (Error err = load())
    return err;

  std::vector<void *> args;
  for (size_t i = 0; i < desc->params.size(); ++i) {
    const TensorParam &param = desc->params[i];
    if (param.role == ParamRole::Output)
      fillNaN(buffers[i].get(), static_cast<size_t>(param.numElements()),
              param.dtype);
    args.push_back(buffers[i].get());
  }
  for (unsigned i = 0; i < (repeat ? repeat : 1); ++i) {
    auto start = std::chrono::steady_clock::now();
    cpuKernel->run(args.data());
    auto end = std::chrono::steady_clock::now();
    if (seconds)
      seconds->push_back(std::chrono::duration<double>(end - start).count());
  }
  return Error::success();
}

Expected<std::vector<float>> Session::getOutput(const std::string &name) const {
  int index = paramIndex(name);
  if (index < 0 || desc->params[index].role != ParamRole::Output)
    return Error::atFile(pkg.path, "kernel '" + desc->name +
                                       "' has no output named '" + name + "'");
  const TensorParam &param = desc->params[index];
  std::vector<float> data(static_cast<size_t>(param.numElements()));
  convertToF32(buffers[index].get(), data.data(), data.size(), param.dtype);
  return data;
}

} // namespace retc::rt
