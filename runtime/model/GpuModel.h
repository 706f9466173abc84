//===- GpuModel.h - A model's entries on a CUDA GPU -------------*- C++ -*-===//
//
// Internal to runtime/model: the ModelBackend of a cuda model package
// (docs/package-format.md, "GPU model packages"). Loading, in order: the
// host CPU against `model.host_target`; the host program (a CPU shared
// object: loaded, its record of what it was compiled for compared, every
// retc_gpu_model_<entry> looked up); the CUDA driver and device and the
// architecture; the CUDA module (loaded, its record compared, every
// `model.kernels[i].entry` found, shared memory limits raised); then the
// device memory: the weights (uploaded once, each 256-byte aligned), the
// arena, the tokens and the logits. The model's states are device states
// (SequenceState.h) whose home is the model's device (`GpuStateHome`, in
// GpuModel.cpp: each state's own device buffer, allocated by its first
// call). A call copies the tokens in, calls the host program's entry on
// the calling thread with the address of the state's buffer (its launches
// and copies go through GpuHost.h onto the device's stream), waits for the
// stream, and copies the logits out; the state stays on the device.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_GPUMODEL_H
#define RETC_RUNTIME_MODEL_GPUMODEL_H

#include "runtime/KernelABI.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaKernel.h"
#include "runtime/model/GpuHost.h"
#include "runtime/model/ModelBackend.h"
#include "runtime/model/ModelWeights.h"
#include "runtime/package/Package.h"

#include <functional>
#include <map>
#include <memory>

namespace retc::rt {

class GpuModel : public ModelBackend {
public:
  /// Loads the code of `package` (a cuda model, which must outlive the
  /// GpuModel) onto CUDA device `ordinal` and uploads `weights` (which may
  /// be freed once this returns). Every failure is one line naming the
  /// package: "no CUDA driver found (libcuda.so.1): ...", "package targets
  /// sm_90 but device 0 (NVIDIA A100) is sm_80", "the weights:
  /// cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)
  /// allocating N bytes on device 0 (...)", ...
  static Expected<std::unique_ptr<GpuModel>>
  load(const Package &package, const BoundWeights &weights, int ordinal);

  GpuModel(const GpuModel &) = delete;
  GpuModel &operator=(const GpuModel &) = delete;
  ~GpuModel() override;

  bool hasEntry(std::string_view name) const override;
  int64_t maxTokens() const override;
  /// Fails with "<package>: prefill on device 0 (NVIDIA H100): <problem>":
  /// the first failed launch or copy request of the call (GpuHost.h), a
  /// fault found when waiting for the stream ("cuStreamSynchronize failed:
  /// CUDA_ERROR_ILLEGAL_ADDRESS (...)"), a failed copy. `step.deviceState`
  /// is the address of a state buffer of this model's home.
  Error run(std::string_view name, ModelStep &step) override;

  /// "device 0 (NVIDIA H100)".
  std::string where() const { return device->describe(); }

private:
  explicit GpuModel(const Package &package) : pkg(package) {}
  /// The steps of `load`.
  Error loadHostProgram();
  Error openDevice(int ordinal);
  Error loadKernels();
  Error allocate(const BoundWeights &weights);

  const Package &pkg;
  /// Entry name -> the host program's function.
  std::map<std::string, retc_gpu_model_entry_fn, std::less<>> entries;
  // Declared before what lives on it, so destroyed after. Shared with
  // the state home and every state's buffer, which keep the device (its
  // context and stream) alive after the model is gone.
  std::shared_ptr<CudaDevice> device;
  std::unique_ptr<CudaKernel> module;
  DeviceBuffer weightsBuffer, arena, tokens, logits;
  /// The device address of each manifest weight, in manifest order.
  std::vector<uint64_t> weightAddresses;
  /// The buffers above and, last, the state of the call (its address set
  /// by each call), for checking copy requests.
  std::vector<DeviceRange> ranges;
  uint64_t stateBytes = 0;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_GPUMODEL_H
