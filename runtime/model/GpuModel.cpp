//===- GpuModel.cpp - A model's entries on a CUDA GPU -----------*- C++ -*-===//
//
// See GpuModel.h. Every copy, launch and wait goes on the device's one
// stream, so the tokens and the state are on the device before the first
// launch of a call and the logits are complete when the stream is.
// `GpuStateStorage` and `GpuStateHome` (below) are the model's states'
// device buffers (SequenceState.h).
//
//===----------------------------------------------------------------------===//
#include "runtime/model/GpuModel.h"
#include "runtime/model/ModelMemory.h"
#include "runtime/model/ModelCode.h"

#include "runtime/cpu/CpuKernel.h"
#include "runtime/cpu/CpuRunner.h"
#include "runtime/package/CompiledFor.h"

#include <algorithm>


namespace retc::rt {

using namespace cuda;

namespace {

//===----------------------------------------------------------------------===//
// The model's states on its device
//===----------------------------------------------------------------------===//

/// One device state's buffer. Every operation goes on the device's stream
/// (so it is ordered with the model's calls, which leave the stream idle)
/// and waits for it; each first makes the device's context current, since
/// a state may be used or freed on another thread than the model's calls.
class GpuStateStorage final : public StateStorage {
public:
  GpuStateStorage(std::shared_ptr<CudaDevice> device, DeviceBuffer buffer,
                  uint64_t bytes)
      : device(std::move(device)), buffer(std::move(buffer)), bytes(bytes) {}
  ~GpuStateStorage() override {
    // Freed in its context, which `device` keeps alive until after this.
    (void)device->makeCurrent();
    buffer = DeviceBuffer();
  }

  uint64_t address() const override { return buffer.pointer(); }

  Error zero() override {
    const CudaDriver &drv = device->driver();
    if (Error err = device->makeCurrent())
      return err;
    // The whole allocation (a multiple of 256 bytes) in 32-bit words.
    if (Error err = drv.check(drv.memsetD32Async(buffer.pointer(), 0,
                                                 buffer.size() / 4,
                                                 device->stream()),
                              "cuMemsetD32Async"))
      return err;
    return device->synchronize();
  }

  Error upload(const float *host) override {
    const CudaDriver &drv = device->driver();
    if (Error err = device->makeCurrent())
      return err;
    if (Error err = drv.check(drv.memcpyHtoDAsync(buffer.pointer(), host,
                                                  bytes, device->stream()),
                              "cuMemcpyHtoDAsync"))
      return err;
    return device->synchronize();
  }

  Error download(float *host) const override {
    const CudaDriver &drv = device->driver();
    if (Error err = device->makeCurrent())
      return err;
    if (Error err = drv.check(drv.memcpyDtoHAsync(host, buffer.pointer(),
                                                  bytes, device->stream()),
                              "cuMemcpyDtoHAsync"))
      return err;
    return device->synchronize();
  }

  Error copyFrom(const StateStorage &other) override {
    // SequenceState::clone copies only between buffers of one home.
    const auto &from = static_cast<const GpuStateStorage &>(other);
    const CudaDriver &drv = device->driver();
    if (Error err = device->makeCurrent())
      return err;
    if (Error err = drv.check(drv.memcpyDtoDAsync(buffer.pointer(),
                                                  from.buffer.pointer(), bytes,
                                                  device->stream()),
                              "cuMemcpyDtoDAsync"))
      return err;
    return device->synchronize();
  }

  Error copyRuns(const StateStorage &other, uint64_t fromOffset,
                 uint64_t fromStride, uint64_t toOffset, uint64_t toStride,
                 uint64_t runBytes, uint64_t count) override {
    const auto &from = static_cast<const GpuStateStorage &>(other);
    const CudaDriver &drv = device->driver();
    if (Error err = device->makeCurrent())
      return err;
    for (uint64_t i = 0; i < count; ++i)
      if (Error err = drv.check(
              drv.memcpyDtoDAsync(buffer.pointer() + toOffset + i * toStride,
                                  from.buffer.pointer() + fromOffset +
                                      i * fromStride,
                                  runBytes, device->stream()),
              "cuMemcpyDtoDAsync"))
        return err;
    return device->synchronize();
  }

private:
  std::shared_ptr<CudaDevice> device;
  DeviceBuffer buffer;
  uint64_t bytes;
};

/// The home of a GpuModel's states: its device.
class GpuStateHome final : public StateHome {
public:
  explicit GpuStateHome(std::shared_ptr<CudaDevice> device)
      : device(std::move(device)) {}

  Expected<std::unique_ptr<StateStorage>> allocate(size_t count) override {
    uint64_t bytes;
    if (__builtin_mul_overflow(static_cast<uint64_t>(count), sizeof(float),
                               &bytes))
      return Error::failure(std::to_string(count) +
                            " floats would take more than 2^64 bytes");
    if (Error err = device->makeCurrent())
      return err;
    Expected<DeviceBuffer> buffer = DeviceBuffer::allocate(*device, bytes);
    if (!buffer)
      return buffer.error();
    return std::unique_ptr<StateStorage>(
        new GpuStateStorage(device, buffer.take(), bytes));
  }

  std::string describe() const override { return device->describe(); }

private:
  std::shared_ptr<CudaDevice> device;
};

} // namespace

GpuModel::~GpuModel() {
  // The buffers and the module are freed in the device's context, whatever
  // thread or context the model is destroyed from.
  if (device) {
    (void)device->makeCurrent();
    if (ring)
      device->driver().memFreeHost(ring);
  }
}

Expected<std::unique_ptr<GpuModel>>
GpuModel::load(const Package &package, const BoundWeights &weights,
               int ordinal) {
  std::unique_ptr<GpuModel> model(new GpuModel(package));
  if (Error err = model->loadHostProgram())
    return err;
  if (Error err = model->openDevice(ordinal))
    return err;
  if (Error err = model->loadKernels())
    return err;
  if (Error err = model->allocate(weights))
    return err;
  return model;
}

Error GpuModel::loadHostProgram() {
  const ModelManifest &manifest = *pkg.manifest.model;
  if (Error err = checkHostCpuFeatures(pkg, *manifest.hostTarget))
    return err;
  Expected<std::vector<std::pair<std::string, void *>>> loaded =
      loadModelEntries(pkg);
  if (!loaded)
    return loaded.error();
  for (const auto &[name, address] : *loaded)
    entries.emplace(name, reinterpret_cast<retc_gpu_model_entry_fn>(address));
  return Error::success();
}

Error GpuModel::openDevice(int ordinal) {
  Expected<std::unique_ptr<CudaDevice>> opened = CudaDevice::openFor(
      pkg, *pkg.manifest.findBlob(pkg.manifest.model->kernelsBlob), ordinal);
  if (!opened)
    return opened.error();
  device = opened.take();
  home = std::make_shared<GpuStateHome>(device);
  return Error::success();
}

Error GpuModel::loadKernels() {
  const ModelManifest &manifest = *pkg.manifest.model;
  const BlobDesc *blob = pkg.manifest.findBlob(manifest.kernelsBlob);
  // One "launch" per kernel: CudaKernel finds each entry, checks its
  // parameters are 8-byte words and raises its shared memory limit; the
  // grids come with each launch request.
  std::vector<LaunchConfig> kernels;
  for (const ModelKernelDesc &kernel : manifest.kernels) {
    LaunchConfig config;
    config.entry = kernel.entry;
    config.sharedBytes = kernel.sharedBytes;
    kernels.push_back(config);
  }
  Expected<std::unique_ptr<CudaKernel>> loaded = CudaKernel::load(
      *device, pkg.blobData(*blob), blob->size, blob->format, kernels,
      std::nullopt, describeCompiledFor(pkg.manifest, blob->name),
      pkg.path + ": blob '" + blob->name + "' of the model");
  if (!loaded)
    return loaded.error();
  module = loaded.take();
  return Error::success();
}

Error GpuModel::allocate(const BoundWeights &weights) {
  const ModelManifest &manifest = *pkg.manifest.model;
  const CudaDriver &drv = device->driver();
  auto allocateNamed = [&](DeviceBuffer &buffer, uint64_t bytes,
                           const std::string &what) -> Error {
    Expected<DeviceBuffer> allocated = DeviceBuffer::allocate(*device, bytes);
    if (!allocated)
      return Error::atFile(pkg.path, what + ": " + allocated.message());
    buffer = allocated.take();
    return Error::success();
  };

  // Every size comes from the plan (ModelMemory.h); nothing is allocated
  // inside a call but a state's buffer, by its first call.
  Expected<ModelMemory> plan = planModelMemory(pkg);
  if (!plan)
    return plan.error();
  if (Error err = allocateNamed(weightsBuffer, plan->weightBytes,
                                "the weights (" +
                                    formatBytes(plan->weightBytes) + ")"))
    return err;
  for (size_t i = 0; i < manifest.weights.size(); ++i) {
    const WeightDesc &weight = manifest.weights[i];
    uint64_t address = weightsBuffer.pointer() + plan->weightOffsets[i];
    uint64_t bytes =
        static_cast<uint64_t>(weight.numElements()) * dtypeSize(weight.dtype);
    if (Error err = drv.check(drv.memcpyHtoDAsync(address, weights.pointers[i],
                                                  bytes, device->stream()),
                              "cuMemcpyHtoDAsync"))
      return Error::atFile(pkg.path, "uploading weight '" + weight.name +
                                         "': " + err.message());
    weightAddresses.push_back(address);
  }

  // Per call: the arena, the tokens and the logits. The states have their
  // own buffers (GpuStateHome), of `stateBytes`.
  stateBytes = plan->stateBytes;
  struct {
    DeviceBuffer *buffer;
    uint64_t bytes;
    const char *what;
  } buffers[] = {
      {&arena, plan->arenaBytes, "the arena"},
      {&tokens, plan->tokenBytes, "the tokens"},
      {&logits, plan->logitBytes, "the logits"},
      {&positions, plan->positionBytes, "the position"},
  };
  for (auto &[buffer, bytes, what] : buffers)
    if (Error err = allocateNamed(
            *buffer, bytes, std::string(what) + " (" + formatBytes(bytes) + ")"))
      return err;

  ranges = {{weightsBuffer.pointer(), weightsBuffer.size(), "the weights",
             /*writable=*/false},
            {arena.pointer(), arena.size(), "the arena"},
            {tokens.pointer(), tokens.size(), "the tokens"},
            {logits.pointer(), logits.size(), "the logits"},
            {positions.pointer(), positions.size(), "the position"},
            {0, stateBytes, "the state"}};
  // The host copies of the weights may go once this returns.
  if (Error err = device->synchronize())
    return Error::atFile(pkg.path, "uploading the weights: " + err.message());
  return Error::success();
}

bool GpuModel::hasEntry(std::string_view name) const {
  return entries.find(name) != entries.end();
}

int64_t GpuModel::maxTokens() const { return pkg.manifest.model->maxTokens; }

Error GpuModel::copyInputs(const ModelStep &step, bool position) {
  // decode_batch: every row's position.
  const int64_t *rowPositions = step.rowPositions;
  const CudaDriver &drv = device->driver();
  uint64_t tokenBytes = static_cast<uint64_t>(step.count) * sizeof(int32_t);
  if (Error err =
          drv.check(drv.memcpyHtoDAsync(tokens.pointer(), step.tokens,
                                        tokenBytes, device->stream()),
                    "cuMemcpyHtoDAsync"))
    return Error::failure("copying the tokens: " + err.message());
  if (!position)
    return Error::success();
  // From pageable memory: staged before the call returns.
  int64_t value = step.position;
  uint64_t positionBytes =
      (rowPositions ? static_cast<uint64_t>(step.count) : 1) * sizeof value;
  if (Error err = drv.check(
          drv.memcpyHtoDAsync(positions.pointer(),
                              rowPositions ? rowPositions : &value,
                              positionBytes, device->stream()),
          "cuMemcpyHtoDAsync"))
    return Error::failure("copying the position: " + err.message());
  return Error::success();
}

Error GpuModel::enqueue(std::string_view name, const ModelStep &step) {
  ranges.back().base = step.deviceState;
  ranges.back().bytes =
      name == "decode_batch" ? stateBytes * pkg.manifest.model->maxBatch
                             : stateBytes;
  GpuHost host(*device, pkg.manifest.model->kernels, module->functions(),
               ranges);
  retc_gpu_model_call call;
  call.host = host.host();
  call.weights = weightAddresses.data();
  call.tokens = tokens.pointer();
  call.num_tokens = step.count;
  call.position = step.position;
  call.state = step.deviceState;
  call.logits = logits.pointer();
  call.all_logits = step.allLogits ? 1 : 0;
  call.arena = arena.pointer();
  call.positions = positions.pointer();
  entries.find(name)->second(&call);
  return host.takeError();
}

Error GpuModel::run(std::string_view name, ModelStep &step) {
  auto failed = [&](const std::string &problem) {
    return Error::atFile(pkg.path, std::string(name) + " on " +
                                       device->describe() + ": " + problem);
  };
  // Decode's host program and kernels are compiled for one token,
  // decode_batch's for max_batch sequences of one token.
  bool batch = name == "decode_batch";
  int64_t most = name == "decode" ? 1
                 : batch          ? pkg.manifest.model->maxBatch
                                  : maxTokens();
  if (step.count < 1 || step.count > most)
    return failed(std::to_string(step.count) +
                  (batch ? " sequences" : " tokens") + " in one call, " +
                  "expected 1 to " +
                  (name == "decode" ? std::string("1 (decode)")
                   : batch ? "max_batch (" + std::to_string(most) + ")"
                           : "max_tokens (" + std::to_string(most) + ")"));
  if (batch != (step.rowPositions != nullptr))
    return failed("internal error: row positions are decode_batch's");
  if (Error err = device->makeCurrent())
    return failed(err.message());

  // In: the tokens and the position (the state is on the device already:
  // Model placed it). The host program enqueues the call's launches and
  // copies.
  if (Error err = copyInputs(step, name == "decode" || batch))
    return failed(err.message());
  step.ran = true;
  Error request = enqueue(name, step);

  // The first failed request, else a fault of what ran: both after the
  // stream is idle, so that nothing of this call runs on into the next.
  Error synchronized = device->synchronize();
  if (request)
    return failed(request.message());
  if (synchronized)
    return failed(synchronized.message());

  // Out: the next tokens and the logits (if wanted); the state stays
  // where it is.
  if (step.nextTokens)
    if (Error err = copyOut(step.nextTokens, tokens.pointer(),
                            static_cast<uint64_t>(step.count) *
                                sizeof(int32_t)))
      return failed("copying the next tokens: " + err.message());
  if (step.logits)
    if (Error err = copyLogitsOut(
            step.logits, step.allLogits ? static_cast<uint64_t>(step.count) : 1))
      return failed(err.message());
  return Error::success();
}

Error GpuModel::copyOut(void *host, uint64_t source, uint64_t bytes) {
  const CudaDriver &drv = device->driver();
  if (Error err = drv.check(
          drv.memcpyDtoHAsync(host, source, bytes, device->stream()),
          "cuMemcpyDtoHAsync"))
    return err;
  return device->synchronize();
}

Error GpuModel::copyLogitsOut(float *host, uint64_t rows) {
  uint64_t bytes = rows *
                   static_cast<uint64_t>(pkg.manifest.model->config.vocabSize) *
                   sizeof(float);
  if (Error err = copyOut(host, logits.pointer(), bytes))
    return Error::failure("copying the logits: " + err.message());
  return Error::success();
}

Expected<const CudaGraph *> GpuModel::stepGraph(std::string_view name,
                                                uint64_t stateAddress,
                                                int64_t rows) {
  GraphKey key{std::string(name), stateAddress, rows};
  for (auto it = graphs.begin(); it != graphs.end(); ++it)
    if (it->first == key) {
      // Most recent last.
      std::rotate(it, it + 1, graphs.end());
      return graphs.back().second.get();
    }
  // The host program reads only the count, the state and (for the range
  // checks) the batch's rows of a step; the positions come from the
  // device.
  ModelStep step;
  step.count = rows;
  step.deviceState = stateAddress;
  step.allLogits = name == "decode_batch";
  Expected<std::unique_ptr<CudaGraph>> graph =
      CudaGraph::capture(*device, [&] { return enqueue(name, step); });
  if (!graph)
    return Error::failure("capturing " + std::string(name) +
                          " as a CUDA graph: " + graph.message());
  if (graphs.size() == kMaxGraphs)
    graphs.erase(graphs.begin());
  graphs.emplace_back(std::move(key), graph.take());
  return graphs.back().second.get();
}

Error GpuModel::generateGreedy(std::string_view name, ModelStep &step,
                               int64_t steps, int32_t *out) {
  const CudaDriver &drv = device->driver();
  auto failed = [&](const std::string &problem) {
    return Error::atFile(pkg.path, "generate (" + std::string(name) +
                                       " as a CUDA graph) on " +
                                       device->describe() + ": " + problem);
  };
  if (steps < 1)
    return failed("no steps");
  if (Error err = device->makeCurrent())
    return failed(err.message());
  // Up to kWaitSteps steps between waits, their tokens in the page-locked
  // ring (kRingTokens: fewer steps of many rows).
  uint64_t rows = static_cast<uint64_t>(step.count);
  uint64_t perWait = static_cast<uint64_t>(std::max<int64_t>(
      1, std::min<int64_t>(kWaitSteps,
                           kRingTokens / static_cast<int64_t>(rows))));
  if (!ring) {
    void *pointer = nullptr;
    if (Error err = drv.check(
            drv.memAllocHost(&pointer, kRingTokens * sizeof(int32_t)),
            "cuMemAllocHost"))
      return failed("the generated tokens' host buffer: " + err.message());
    ring = static_cast<int32_t *>(pointer);
  }
  Expected<const CudaGraph *> graph =
      stepGraph(name, step.deviceState, step.count);
  if (!graph)
    return failed(graph.message());

  // The first step's tokens and positions; every later step finds them
  // where the step before left them. Up to `perWait` replays, each with
  // its tokens' copy to the ring, between waits on the stream.
  if (Error err = copyInputs(step, /*position=*/true))
    return failed(err.message());
  step.ran = true;
  for (int64_t done = 0; done < steps;) {
    int64_t n = std::min(static_cast<int64_t>(perWait), steps - done);
    Error enqueued;
    for (int64_t i = 0; i < n && !enqueued; ++i) {
      enqueued = (*graph)->replay();
      if (!enqueued)
        enqueued = drv.check(drv.memcpyDtoHAsync(ring + i * rows,
                                                 tokens.pointer(),
                                                 rows * sizeof(int32_t),
                                                 device->stream()),
                             "cuMemcpyDtoHAsync");
    }
    Error synchronized = device->synchronize();
    if (enqueued)
      return failed(enqueued.message());
    if (synchronized)
      return failed(synchronized.message());
    std::copy(ring, ring + n * rows, out + done * rows);
    done += n;
  }

  if (step.logits)
    if (Error err = copyLogitsOut(step.logits, rows))
      return failed(err.message());
  return Error::success();
}

} // namespace retc::rt
