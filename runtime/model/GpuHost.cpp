//===- GpuHost.cpp - The runtime's side of retc_gpu_host --------*- C++ -*-===//
//
// See GpuHost.h. The callbacks are called from generated code through a C
// function pointer: nothing may be thrown through them, so each catches
// everything and turns it into a recorded failure.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/GpuHost.h"

#include <cstdio>
#include <exception>

namespace retc::rt {

using namespace cuda;

namespace {

std::string dims(const std::array<unsigned, 3> &xyz) {
  return "[" + std::to_string(xyz[0]) + "," + std::to_string(xyz[1]) + "," +
         std::to_string(xyz[2]) + "]";
}

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx",
                static_cast<unsigned long long>(value));
  return text;
}

/// "kernel 'rms_norm' (model.kernels[2])", for messages.
std::string kernelName(const std::vector<ModelKernelDesc> &kernels,
                       size_t index) {
  return "kernel '" + kernels[index].entry + "' (model.kernels[" +
         std::to_string(index) + "])";
}

/// The range of `ranges` that holds [address, address + bytes), or nullptr.
const DeviceRange *rangeHolding(const std::vector<DeviceRange> &ranges,
                                uint64_t address, uint64_t bytes) {
  for (const DeviceRange &range : ranges)
    if (address >= range.base && address - range.base <= range.bytes &&
        bytes <= range.bytes - (address - range.base))
      return &range;
  return nullptr;
}

} // namespace

Expected<GpuLaunch>
decodeLaunchRequest(const int64_t *request,
                    const std::vector<ModelKernelDesc> &kernels) {
  if (!request)
    return Error::failure("launch request: a null pointer");
  int64_t index = request[0];
  if (index < 0 || static_cast<uint64_t>(index) >= kernels.size())
    return Error::failure("launch request: kernel index " +
                          std::to_string(index) + ", but the model has " +
                          std::to_string(kernels.size()) + " kernels");
  GpuLaunch launch;
  launch.kernel = static_cast<size_t>(index);
  std::string what = "launch of " + kernelName(kernels, launch.kernel);

  // As a manifest `launch` (Manifest.cpp, verifyLaunch).
  static const char *axes[] = {"x", "y", "z"};
  const int64_t gridMax[] = {(int64_t(1) << 31) - 1, 65535, 65535};
  const int64_t blockMax[] = {1024, 1024, 64};
  for (int i = 0; i < 3; ++i) {
    int64_t grid = request[1 + i], block = request[4 + i];
    if (grid < 1 || grid > gridMax[i])
      return Error::failure(what + ": grid " + axes[i] + " is " +
                            std::to_string(grid) + ", expected 1 to " +
                            std::to_string(gridMax[i]));
    if (block < 1 || block > blockMax[i])
      return Error::failure(what + ": block " + axes[i] + " is " +
                            std::to_string(block) + ", expected 1 to " +
                            std::to_string(blockMax[i]));
    launch.grid[i] = static_cast<unsigned>(grid);
    launch.block[i] = static_cast<unsigned>(block);
  }
  int64_t threads = int64_t(launch.block[0]) * launch.block[1] *
                    launch.block[2];
  if (threads > 1024)
    return Error::failure(what + ": block " + dims(launch.block) + " is " +
                          std::to_string(threads) +
                          " threads, at most 1024");
  int64_t shared = request[7];
  int64_t declared = kernels[launch.kernel].sharedBytes;
  if (shared < 0 || shared > declared)
    return Error::failure(what + ": " + std::to_string(shared) +
                          " bytes of dynamic shared memory, expected 0 to " +
                          "the kernel's shared_bytes, " +
                          std::to_string(declared));
  launch.sharedBytes = static_cast<unsigned>(shared);
  int64_t count = request[8];
  if (count < 0 || count > kMaxLaunchParams)
    return Error::failure(what + ": " + std::to_string(count) +
                          " parameters, expected 0 to " +
                          std::to_string(kMaxLaunchParams));
  launch.numParams = count;
  launch.params = request + RETC_GPU_LAUNCH_HEADER_WORDS;
  return launch;
}

Error checkDeviceCopy(uint64_t dst, uint64_t src, int64_t bytes,
                      const std::vector<DeviceRange> &ranges) {
  std::string what = "copy of " + std::to_string(bytes) + " bytes from " +
                     hex(src) + " to " + hex(dst);
  if (bytes < 0)
    return Error::failure(what + ": a negative size");
  uint64_t size = static_cast<uint64_t>(bytes);
  if (!rangeHolding(ranges, src, size))
    return Error::failure(what + ": the source is not inside one of the "
                                 "model's device buffers");
  const DeviceRange *to = rangeHolding(ranges, dst, size);
  if (!to)
    return Error::failure(what + ": the destination is not inside one of "
                                 "the model's device buffers");
  if (!to->writable)
    return Error::failure(what + ": the destination is inside " + to->name +
                          ", which the model only reads");
  if (size > 0 && src < dst + size && dst < src + size)
    return Error::failure(what + ": the source and destination overlap");
  return Error::success();
}

GpuHost::GpuHost(const CudaDevice &device,
                 const std::vector<ModelKernelDesc> &kernels,
                 const std::vector<CudaKernel::Function> &functions,
                 const std::vector<DeviceRange> &ranges)
    : device(device), kernels(kernels), functions(functions), ranges(ranges) {
  callbacks.context = this;
  callbacks.launch = &GpuHost::launchCallback;
  callbacks.copy = &GpuHost::copyCallback;
}

int32_t GpuHost::record(Error err) {
  if (!err)
    return 0;
  if (!first)
    first = std::move(err);
  return 1;
}

int32_t GpuHost::launchCallback(void *context,
                                const int64_t *request) noexcept {
  auto *self = static_cast<GpuHost *>(context);
  try {
    // After a failure the call's later requests are ignored (KernelABI.h).
    if (self->first)
      return 1;
    return self->record(self->launch(request));
  } catch (const std::exception &e) {
    return self->record(Error::failure(std::string("launch: ") + e.what()));
  } catch (...) {
    return self->record(Error::failure("launch: an unknown exception"));
  }
}

int32_t GpuHost::copyCallback(void *context, uint64_t dst, uint64_t src,
                              int64_t bytes) noexcept {
  auto *self = static_cast<GpuHost *>(context);
  try {
    if (self->first)
      return 1;
    return self->record(self->copy(dst, src, bytes));
  } catch (const std::exception &e) {
    return self->record(Error::failure(std::string("copy: ") + e.what()));
  } catch (...) {
    return self->record(Error::failure("copy: an unknown exception"));
  }
}

Error GpuHost::launch(const int64_t *request) {
  Expected<GpuLaunch> decoded = decodeLaunchRequest(request, kernels);
  if (!decoded)
    return decoded.error();
  const GpuLaunch &l = *decoded;
  const CudaKernel::Function &function = functions[l.kernel];
  std::string what = kernelName(kernels, l.kernel);
  // Where the driver can tell, the request passes as many words as the
  // kernel takes.
  if (function.numParams &&
      *function.numParams != static_cast<size_t>(l.numParams))
    return Error::failure("launch of " + what + ": " +
                          std::to_string(l.numParams) +
                          " parameters, but the kernel takes " +
                          std::to_string(*function.numParams));
  // cuLaunchKernel reads each parameter through its pointer when it is
  // called: the request's words themselves.
  std::vector<void *> params(static_cast<size_t>(l.numParams));
  for (size_t i = 0; i < params.size(); ++i)
    params[i] = const_cast<int64_t *>(l.params + i);
  const CudaDriver &drv = device.driver();
  CUresult result = drv.launchKernel(
      function.function, l.grid[0], l.grid[1], l.grid[2], l.block[0],
      l.block[1], l.block[2], l.sharedBytes, device.stream(),
      params.empty() ? nullptr : params.data(), nullptr);
  if (result != CUDA_SUCCESS)
    return Error::failure(what + ": grid " + dims(l.grid) + " block " +
                          dims(l.block) + ": " +
                          drv.errorMessage("cuLaunchKernel", result));
  ++launched;
  return Error::success();
}

Error GpuHost::copy(uint64_t dst, uint64_t src, int64_t bytes) {
  if (Error err = checkDeviceCopy(dst, src, bytes, ranges))
    return err;
  if (bytes == 0)
    return Error::success();
  const CudaDriver &drv = device.driver();
  if (Error err = drv.check(drv.memcpyDtoDAsync(dst, src,
                                                static_cast<size_t>(bytes),
                                                device.stream()),
                            "cuMemcpyDtoDAsync"))
    return Error::failure("copy of " + std::to_string(bytes) + " bytes: " +
                          err.message());
  ++copied;
  return Error::success();
}

} // namespace retc::rt
