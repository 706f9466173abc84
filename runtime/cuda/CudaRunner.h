//===- CudaRunner.h - Running a kernel on a CUDA GPU ------------*- C++ -*-===//
//
// The CUDA KernelRunner: opens the device, checks it can run the package's
// architecture (CudaArch.h), loads the kernel (CudaKernel.h), allocates one
// device buffer per parameter, and per run copies the inputs in, fills the
// outputs with NaN (0xFF bytes: NaN in f32, bf16 and f16), launches every
// entry of the kernel in order (or replays a CUDA graph of them), and copies
// the outputs back. A kernel with `workspace_bytes` gets one workspace
// buffer, allocated once and passed after the parameters. Times
// are measured with CUDA events between back-to-back launches.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CUDARUNNER_H
#define RETC_RUNTIME_CUDARUNNER_H

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaGraph.h"
#include "runtime/cuda/CudaKernel.h"
#include "runtime/KernelRunner.h"
#include "runtime/package/Package.h"

#include <memory>
#include <vector>

namespace retc::rt {

class CudaRunner : public KernelRunner {
public:
  /// A runner for `kernel` of `package` on CUDA device `ordinal`; the
  /// package and kernel must outlive it. Nothing touches the driver before
  /// `load`.
  CudaRunner(const Package &package, const KernelDesc &kernel, int ordinal)
      : pkg(package), desc(kernel), ordinal(ordinal) {}

  /// Opens the driver and the device, checks the architecture, loads the
  /// kernel, allocates the buffers. Fails, e.g., with "<package>: no CUDA
  /// driver found (libcuda.so.1): <reason>" or "<package>: package targets
  /// sm_90 but device 0 (NVIDIA A100) is sm_80".
  Error load() override;
  Error run(const std::vector<void *> &host, const RunOptions &options,
            std::vector<double> *seconds) override;
  std::string where() const override;

private:
  const Package &pkg;
  const KernelDesc &desc;
  int ordinal;
  // Declared before what lives on it, so destroyed after.
  std::unique_ptr<CudaDevice> device;
  std::vector<DeviceBuffer> buffers; ///< one per parameter
  DeviceBuffer workspace;            ///< empty unless workspace_bytes > 0
  std::vector<cuda::CUdeviceptr> args; ///< parameters, then the workspace
  std::unique_ptr<CudaKernel> kernel;
  std::unique_ptr<CudaGraph> graph;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_CUDARUNNER_H
