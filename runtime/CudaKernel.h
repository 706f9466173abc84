//===- CudaKernel.h - Loading and launching CUDA kernel blobs ---*- C++ -*-===//
//
// A CUDA kernel is PTX text or a cubin carried in the package. It is loaded
// into the device's context with cuModuleLoadDataEx (PTX is JIT-compiled
// for the device; the JIT's error log goes into the message), and its entry
// is launched with the manifest's grid, block and dynamic shared memory,
// one device pointer per parameter (KernelABI.h).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CUDAKERNEL_H
#define RETC_RUNTIME_CUDAKERNEL_H

#include "runtime/CudaDevice.h"
#include "runtime/Package.h"

#include <memory>
#include <string>
#include <vector>

namespace retc::rt {

/// A loaded CUDA module and its entry function. Owns the module.
class CudaKernel {
public:
  /// Loads the `size` bytes at `data` (in `format`, ptx or cubin) on
  /// `device`, finds the kernel `entry`, checks (where the driver can tell)
  /// that it takes `numParams` 8-byte parameters, and raises its dynamic
  /// shared memory limit when `launch` asks for more than 48 KiB. `context`
  /// prefixes messages (usually "<package>: blob 'kernel.ptx' of kernel
  /// 'retention'").
  static Expected<std::unique_ptr<CudaKernel>>
  load(const CudaDevice &device, const uint8_t *data, size_t size,
       BlobFormat format, const std::string &entry, size_t numParams,
       const LaunchConfig &launch, const std::string &context);

  CudaKernel(const CudaKernel &) = delete;
  CudaKernel &operator=(const CudaKernel &) = delete;
  ~CudaKernel();

  /// Enqueues one launch on the device's stream, passing `args` (one device
  /// pointer per parameter, in manifest order). Returns once enqueued.
  Error launch(const std::vector<cuda::CUdeviceptr> &args) const;

private:
  CudaKernel(const CudaDevice &device, const LaunchConfig &launch)
      : device(device), config(launch) {}

  const CudaDevice &device;
  LaunchConfig config;
  cuda::CUmodule module = nullptr;
  cuda::CUfunction function = nullptr;
  std::string entryName;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_CUDAKERNEL_H
