//===- GpuHost.h - The runtime's side of retc_gpu_host ----------*- C++ -*-===//
//
// Internal to runtime/model. A GPU model's host program (KernelABI.h,
// retc_gpu_model_entry_fn) computes every launch and copy of a call and
// hands them to the runtime through the `launch` and `copy` callbacks of
// a retc_gpu_host. `GpuHost` implements them for one call: it decodes and
// checks each launch request against the manifest's `model.kernels` and
// the driver's parameter counts, checks that each copy stays inside the
// model's device buffers, enqueues them on the device's stream, and keeps
// the first failure (every later request of the call is ignored) for the
// runtime to report once the entry returns. The decoding and checking are
// plain functions, testable without a GPU.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_GPUHOST_H
#define RETC_RUNTIME_MODEL_GPUHOST_H

#include "runtime/KernelABI.h"
#include "runtime/cuda/CudaKernel.h"
#include "runtime/package/Package.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace retc::rt {

/// The most parameters one launch request may pass (the driver allows
/// 4 KiB of them, 32 KiB on recent ones; generated kernels take a few
/// dozen).
inline constexpr int64_t kMaxLaunchParams = 1024;

/// A launch request (KernelABI.h), decoded.
struct GpuLaunch {
  /// The index into model.kernels.
  size_t kernel = 0;
  std::array<unsigned, 3> grid{}, block{};
  unsigned sharedBytes = 0;
  /// The parameters: `numParams` 8-byte words at `params` (inside the
  /// request).
  int64_t numParams = 0;
  const int64_t *params = nullptr;
};

/// Decodes `request` and checks it: the kernel index inside `kernels`,
/// every grid and block dimension within the hardware's limits (as a
/// manifest `launch`), at most 1024 threads a block, the dynamic shared
/// memory at most the kernel's `shared_bytes`, 0 to kMaxLaunchParams
/// parameters. Fails with one line naming the problem ("launch request:
/// kernel index 7, but the model has 5 kernels", "launch of kernel
/// 'rms_norm' (model.kernels[2]): block [2048,1,1] ...").
Expected<GpuLaunch>
decodeLaunchRequest(const int64_t *request,
                    const std::vector<ModelKernelDesc> &kernels);

/// A device buffer of the model: [base, base + bytes).
struct DeviceRange {
  uint64_t base = 0;
  uint64_t bytes = 0;
  /// For messages: "the weights", "the arena", ...
  std::string name;
  /// Whether a copy may write into it (the weights are read-only).
  bool writable = true;
};

/// Checks a copy request: `bytes` >= 0, [src, src + bytes) and [dst, dst +
/// bytes) each inside one of `ranges` (the destination inside a writable
/// one), not overlapping.
Error checkDeviceCopy(uint64_t dst, uint64_t src, int64_t bytes,
                      const std::vector<DeviceRange> &ranges);

/// The callbacks of one entry call.
class GpuHost {
public:
  /// `functions[i]` is model.kernels[i] loaded from the module (the same
  /// order); `kernels`, `functions` and `ranges` must outlive the GpuHost.
  GpuHost(const CudaDevice &device, const std::vector<ModelKernelDesc> &kernels,
          const std::vector<CudaKernel::Function> &functions,
          const std::vector<DeviceRange> &ranges);

  GpuHost(const GpuHost &) = delete;
  GpuHost &operator=(const GpuHost &) = delete;

  /// The retc_gpu_host to hand to the entry; valid while this object is.
  const retc_gpu_host *host() const { return &callbacks; }
  /// The first failure of the call's requests (success if none), taken
  /// out: "kernel 'rms_norm' (model.kernels[2]): cuLaunchKernel failed:
  /// CUDA_ERROR_INVALID_VALUE (invalid argument)".
  Error takeError() { return std::move(first); }
  /// How many launches and copies were enqueued.
  size_t launches() const { return launched; }
  size_t copies() const { return copied; }

private:
  static int32_t launchCallback(void *context, const int64_t *request) noexcept;
  static int32_t copyCallback(void *context, uint64_t dst, uint64_t src,
                              int64_t bytes) noexcept;
  Error launch(const int64_t *request);
  Error copy(uint64_t dst, uint64_t src, int64_t bytes);
  /// Records `err` if it is the call's first failure; returns the
  /// callback's result (0 on success).
  int32_t record(Error err);

  const CudaDevice &device;
  const std::vector<ModelKernelDesc> &kernels;
  const std::vector<CudaKernel::Function> &functions;
  const std::vector<DeviceRange> &ranges;
  retc_gpu_host callbacks;
  Error first;
  size_t launched = 0, copied = 0;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_GPUHOST_H
