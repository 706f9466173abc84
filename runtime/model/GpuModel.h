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
// call). A call copies the tokens (and decode's position) in, calls the
// host program's entry on the calling thread with the address of the
// state's buffer (its launches and copies go through GpuHost.h onto the
// device's stream), waits for the stream, and copies the logits out; the
// state stays on the device.
//
// Greedy generation replays decode as a CUDA graph: decode reads its
// token and position from the model's buffers and leaves the next token
// and position there (frontend/ModelBuilder.h, `deviceDecode`), so its
// launches for one state, captured once, are every step's launches. Each
// replay is followed by an asynchronous copy of the token into page-locked
// host memory; the host waits once, after the last step.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_GPUMODEL_H
#define RETC_RUNTIME_MODEL_GPUMODEL_H

#include "runtime/KernelABI.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaGraph.h"
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
  bool choosesTokens() const override { return true; }
  /// Captures entry `name` (decode, or decode_batch of `step.count` rows)
  /// for `step.deviceState` (once; kept for the most recent kMaxGraphs
  /// (entry, state, rows)) and replays it `steps` times. Fails as `run`,
  /// or with "capturing decode as a CUDA graph: ...".
  Error generateGreedy(std::string_view name, ModelStep &step, int64_t steps,
                       int32_t *out) override;

  /// "device 0 (NVIDIA H100)".
  std::string where() const { return device->describe(); }

private:
  explicit GpuModel(const Package &package) : pkg(package) {}
  /// The steps of `load`.
  Error loadHostProgram();
  Error openDevice(int ordinal);
  Error loadKernels();
  Error allocate(const BoundWeights &weights);
  /// Copies the call's tokens to the device, and with `position` (decode,
  /// the only entry that reads it there) the position too.
  Error copyInputs(const ModelStep &step, bool position);
  /// Copies `bytes` at device address `source` to `host` and waits.
  Error copyOut(void *host, uint64_t source, uint64_t bytes);
  /// Copies the first `rows` rows of the logits to `host` and waits.
  Error copyLogitsOut(float *host, uint64_t rows);
  /// Calls entry `name`'s host program for `step` (its launches and copies
  /// enqueued, or captured); the first failed request.
  Error enqueue(std::string_view name, const ModelStep &step);
  /// The graph of entry `name` over `rows` rows and the state (or pool)
  /// at `stateAddress`, captured if new.
  Expected<const CudaGraph *> stepGraph(std::string_view name,
                                        uint64_t stateAddress, int64_t rows);

  const Package &pkg;
  /// Entry name -> the host program's function.
  std::map<std::string, retc_gpu_model_entry_fn, std::less<>> entries;
  // Declared before what lives on it, so destroyed after. Shared with
  // the state home and every state's buffer, which keep the device (its
  // context and stream) alive after the model is gone.
  std::shared_ptr<CudaDevice> device;
  std::unique_ptr<CudaKernel> module;
  DeviceBuffer weightsBuffer, arena, tokens, logits, positions;
  /// The captured step graphs by (entry, state address, rows), most
  /// recent last.
  struct GraphKey {
    std::string entry;
    uint64_t state = 0;
    int64_t rows = 0;
    bool operator==(const GraphKey &o) const {
      return entry == o.entry && state == o.state && rows == o.rows;
    }
  };
  static constexpr size_t kMaxGraphs = 8;
  std::vector<std::pair<GraphKey, std::unique_ptr<CudaGraph>>> graphs;
  /// Page-locked host memory for kRingTokens generated tokens (allocated
  /// by the first generateGreedy): the steps of one wait on the stream
  /// (4096 steps of one row, fewer of many).
  static constexpr int64_t kRingTokens = 1 << 16;
  static constexpr int64_t kWaitSteps = 4096;
  int32_t *ring = nullptr;
  /// The device address of each manifest weight, in manifest order.
  std::vector<uint64_t> weightAddresses;
  /// The buffers above and, last, the state of the call (its address set
  /// by each call), for checking copy requests.
  std::vector<DeviceRange> ranges;
  uint64_t stateBytes = 0;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_GPUMODEL_H
