//===- Runtime.cpp - Load a package and run one of its kernels --*- C++ -*-===//
//
// Session: kernel selection, host buffers, dtype conversion at the boundary,
// and the choice of KernelRunner (CpuRunner.h, CudaRunner.h) from the
// package's target.
//
//===----------------------------------------------------------------------===//
#include "runtime/Runtime.h"

#include "runtime/cpu/CpuRunner.h"
#include "runtime/cuda/CudaRunner.h"

namespace retc::rt {

Expected<std::unique_ptr<Session>>
Session::open(const std::string &path, const std::string &kernelName) {
  SessionOptions options;
  options.kernel = kernelName;
  return open(path, options);
}

Expected<std::unique_ptr<Session>>
Session::open(const std::string &path, const SessionOptions &options) {
  Expected<Package> package = readPackage(path);
  if (!package)
    return package.error();

  std::unique_ptr<Session> session(new Session());
  session->pkg = package.take();
  const Manifest &manifest = session->pkg.manifest;
  const std::string &kernelName = options.kernel;
  if (manifest.kernels.empty() && manifest.model)
    return Error::atFile(path, "package holds a model, not kernels (open it "
                               "with Model::open; retc-run: --weights and "
                               "--tokens)");
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

  if (manifest.target.kind == TargetKind::Cuda) {
    Expected<int> chosen = chooseCudaDevice(options.device);
    if (!chosen)
      return Error::atFile(path, chosen.message());
    int ordinal = *chosen;
    session->deviceOrdinal = ordinal;
    session->runner =
        std::make_unique<CudaRunner>(session->pkg, *session->desc, ordinal);
  } else {
    session->runner = std::make_unique<CpuRunner>(session->pkg, *session->desc);
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

Error Session::load() { return runner->load(); }

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
  RunOptions options;
  options.repeat = repeat;
  return run(options, seconds);
}

Error Session::run(const RunOptions &options, std::vector<double> *seconds) {
  for (size_t i = 0; i < desc->params.size(); ++i)
    if (desc->params[i].role == ParamRole::Input && !inputSet[i])
      return Error::atFile(pkg.path, "input '" + desc->params[i].name +
                                         "' of kernel '" + desc->name +
                                         "' was not set");
  if (options.graph && pkg.manifest.target.kind != TargetKind::Cuda)
    return Error::atFile(
        pkg.path, "CUDA graph replay needs a cuda package; "
                  "this one targets " +
                      std::string(targetKindName(pkg.manifest.target.kind)));
  std::vector<void *> host;
  for (const auto &buffer : buffers)
    host.push_back(buffer.get());
  return runner->run(host, options, seconds);
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
