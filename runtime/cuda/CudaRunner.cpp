//===- CudaRunner.cpp - Running a kernel on a CUDA GPU ----------*- C++ -*-===//
//
// See CudaRunner.h. Every copy, fill, launch and event goes on the device's
// one stream, so they are ordered without extra synchronization.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaRunner.h"

#include "runtime/KernelABI.h"
#include "runtime/package/CompiledFor.h"

#include <algorithm>
#include <functional>

namespace retc::rt {

using namespace cuda;

namespace {

/// CUDA events, destroyed with the object.
class EventSet {
public:
  explicit EventSet(const CudaDriver &drv) : drv(drv) {}
  ~EventSet() {
    for (CUevent event : events)
      drv.eventDestroy(event);
  }
  /// Creates events until there are `count`.
  Error reserve(size_t count) {
    while (events.size() < count) {
      CUevent event = nullptr;
      if (Error err = drv.check(drv.eventCreate(&event, CU_EVENT_DEFAULT),
                                "cuEventCreate"))
        return err;
      events.push_back(event);
    }
    return Error::success();
  }
  CUevent operator[](size_t i) const { return events[i]; }

private:
  const CudaDriver &drv;
  std::vector<CUevent> events;
};

/// Enqueues `step` `count` times back to back. With `seconds`, records an
/// event before the first step and after each (in batches, to bound the
/// number of events) and appends each step's GPU time.
Error timeSteps(const CudaDevice &device, unsigned count,
                const std::function<Error()> &step,
                std::vector<double> *seconds) {
  if (!seconds) {
    for (unsigned i = 0; i < count; ++i)
      if (Error err = step())
        return err;
    return Error::success();
  }
  const CudaDriver &drv = device.driver();
  constexpr unsigned kBatch = 256;
  EventSet events(drv);
  if (Error err = events.reserve(std::min(count, kBatch) + 1))
    return err;
  for (unsigned done = 0; done < count;) {
    unsigned n = std::min(kBatch, count - done);
    if (Error err = drv.check(drv.eventRecord(events[0], device.stream()),
                              "cuEventRecord"))
      return err;
    for (unsigned i = 0; i < n; ++i) {
      if (Error err = step())
        return err;
      if (Error err = drv.check(drv.eventRecord(events[i + 1], device.stream()),
                                "cuEventRecord"))
        return err;
    }
    if (Error err =
            drv.check(drv.eventSynchronize(events[n]), "cuEventSynchronize"))
      return err;
    for (unsigned i = 0; i < n; ++i) {
      float ms = 0;
      if (Error err =
              drv.check(drv.eventElapsedTime(&ms, events[i], events[i + 1]),
                        "cuEventElapsedTime"))
        return err;
      seconds->push_back(ms * 1e-3);
    }
    done += n;
  }
  return Error::success();
}

} // namespace

std::string CudaRunner::where() const {
  if (!device)
    return "cuda device " + std::to_string(ordinal);
  return "cuda device " + std::to_string(ordinal) + " (" + device->name() +
         ", sm_" + std::to_string(device->ccMajor()) +
         std::to_string(device->ccMinor()) + ")";
}

Error CudaRunner::load() {
  if (kernel)
    return Error::success();
  const BlobDesc *blob = pkg.manifest.findBlob(desc.blob);
  Expected<std::unique_ptr<CudaDevice>> opened =
      CudaDevice::openFor(pkg, *blob, ordinal);
  if (!opened)
    return opened.error();
  device = opened.take();

  for (const TensorParam &param : desc.params) {
    Expected<DeviceBuffer> buffer =
        DeviceBuffer::allocate(*device, param.byteSize());
    if (!buffer)
      return Error::atFile(pkg.path, "parameter '" + param.name +
                                         "': " + buffer.message());
    args.push_back(buffer->pointer());
    buffers.push_back(buffer.take());
  }

  // The workspace: scratch the launches share, passed after the
  // parameters, neither poisoned nor zeroed (the kernel writes before it
  // reads).
  if (desc.workspaceBytes > 0) {
    Expected<DeviceBuffer> buffer = DeviceBuffer::allocate(
        *device, static_cast<uint64_t>(desc.workspaceBytes));
    if (!buffer)
      return Error::atFile(pkg.path, "workspace: " + buffer.message());
    args.push_back(buffer->pointer());
    workspace = buffer.take();
  }

  Expected<std::unique_ptr<CudaKernel>> loaded = CudaKernel::load(
      *device, pkg.blobData(*blob), blob->size, blob->format,
      desc.launchSequence(), args.size(),
      describeCompiledFor(pkg.manifest, blob->name),
      pkg.path + ": blob '" + blob->name + "' of kernel '" + desc.name + "'");
  if (!loaded)
    return loaded.error();
  kernel = loaded.take();
  return Error::success();
}

Error CudaRunner::run(const std::vector<void *> &host,
                      const RunOptions &options, std::vector<double> *seconds) {
  if (Error err = load())
    return err;
  const CudaDriver &drv = device->driver();
  auto failed = [&](const Error &err) {
    return Error::atFile(pkg.path, "kernel '" + desc.name + "' on " +
                                       device->describe() + ": " +
                                       err.message());
  };
  if (Error err = device->makeCurrent())
    return failed(err);

  // Inputs in, outputs poisoned (all bytes RETC_CUDA_POISON_BYTE: a NaN in
  // every dtype).
  constexpr unsigned poison = 0x01010101u * RETC_CUDA_POISON_BYTE;
  for (size_t i = 0; i < desc.params.size(); ++i) {
    const TensorParam &param = desc.params[i];
    Error err =
        param.role == ParamRole::Input
            ? drv.check(drv.memcpyHtoDAsync(args[i], host[i], param.byteSize(),
                                            device->stream()),
                        "cuMemcpyHtoDAsync")
            : drv.check(drv.memsetD32Async(args[i], poison,
                                           buffers[i].size() / 4,
                                           device->stream()),
                        "cuMemsetD32Async");
    if (err)
      return failed(err);
  }

  std::function<Error()> step = [&] { return kernel->launch(args); };
  if (options.graph) {
    if (!graph) {
      Expected<std::unique_ptr<CudaGraph>> captured =
          CudaGraph::capture(*device, step);
      if (!captured)
        return failed(captured.error());
      graph = captured.take();
    }
    step = [&] { return graph->replay(); };
  }
  unsigned repeat = std::max(options.repeat, 1u);
  if (seconds && repeat > 1)
    if (Error err = step()) // Warm-up: JIT caches, clocks, first-launch costs.
      return failed(err);
  if (Error err = timeSteps(*device, repeat, step, seconds))
    return failed(err);
  if (Error err = device->synchronize())
    return failed(err);

  for (size_t i = 0; i < desc.params.size(); ++i)
    if (desc.params[i].role == ParamRole::Output)
      if (Error err = drv.check(drv.memcpyDtoHAsync(host[i], args[i],
                                                    desc.params[i].byteSize(),
                                                    device->stream()),
                                "cuMemcpyDtoHAsync"))
        return failed(err);
  if (Error err = device->synchronize())
    return failed(err);
  return Error::success();
}

} // namespace retc::rt
