//===- CudaKernel.h - Loading and launching CUDA kernel blobs ---*- C++ -*-===//
//
// A CUDA kernel is PTX text or a cubin carried in the package. It is loaded
// into the device's context with cuModuleLoadDataEx (PTX is JIT-compiled
// for the device; the JIT's error log goes into the message), and its
// entries are launched in order with the manifest's grids, blocks and
// dynamic shared memory, one device pointer per parameter (KernelABI.h).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CUDAKERNEL_H
#define RETC_RUNTIME_CUDAKERNEL_H

#include "runtime/cuda/CudaDevice.h"
#include "runtime/package/Package.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace retc::rt {

/// A loaded CUDA module and the entry functions of one run, in launch
/// order. Owns the module.
class CudaKernel {
public:
  /// Loads the module as below and finds every launch's entry (`entry` of
  /// each LaunchConfig), each taking `numParams` 8-byte parameters, or,
  /// with std::nullopt (a GPU model's kernels, whose parameters the
  /// manifest does not list), any number of 8-byte parameters.
  static Expected<std::unique_ptr<CudaKernel>>
  load(const CudaDevice &device, const uint8_t *data, size_t size,
       BlobFormat format, const std::vector<LaunchConfig> &launches,
       std::optional<size_t> numParams, const std::string &compiledFor,
       const std::string &context);

  /// Loads the `size` bytes at `data` (in `format`, ptx or cubin) on
  /// `device`, checks that the module was compiled for `compiledFor`
  /// (CompiledFor.h: its global RETC_COMPILED_FOR_SYMBOL, copied from the
  /// device, against what the manifest makes of this blob), finds the
  /// kernel `entry`, checks (where the driver can tell) that it takes
  /// `numParams` 8-byte parameters, and raises its dynamic shared memory
  /// limit when `launch` asks for more than 48 KiB. `context` prefixes
  /// messages (usually "<package>: blob 'kernel.ptx' of kernel
  /// 'retention'").
  static Expected<std::unique_ptr<CudaKernel>>
  load(const CudaDevice &device, const uint8_t *data, size_t size,
       BlobFormat format, const std::string &entry, size_t numParams,
       const LaunchConfig &launch, const std::string &compiledFor,
       const std::string &context);

  CudaKernel(const CudaKernel &) = delete;
  CudaKernel &operator=(const CudaKernel &) = delete;
  ~CudaKernel();

  /// Enqueues every launch, in order, on the device's stream, passing
  /// `args` (one device pointer per parameter, in manifest order, then the
  /// workspace if any) to each. Returns once enqueued.
  Error launch(const std::vector<cuda::CUdeviceptr> &args) const;

  /// One loaded entry.
  struct Function {
    LaunchConfig config;
    cuda::CUfunction function = nullptr;
    /// How many parameters the driver says it takes; std::nullopt where it
    /// cannot tell (drivers before CUDA 12.4, or no parameters).
    std::optional<size_t> numParams;
  };
  /// The entries, in the order of the launches `load` was given.
  const std::vector<Function> &functions() const { return entries; }

private:
  explicit CudaKernel(const CudaDevice &device) : device(device) {}

  /// The text the loaded module records about what it was compiled for.
  Expected<std::string> readCompiledFor(const std::string &context) const;

  const CudaDevice &device;
  cuda::CUmodule module = nullptr;
  std::vector<Function> entries;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_CUDAKERNEL_H
