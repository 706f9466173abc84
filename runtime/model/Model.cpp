//===- Model.cpp - Run a compiled RetNet model ------------------*- C++ -*-===//
//
// See Model.h. Checks happen in this order, so that bad data is reported
// before any code is loaded: the package, its `model` section, the
// checkpoint's header, the tensors against the manifest; then the backend
// of the package's target loads the code (CpuModel.h: the host CPU, the
// shared object and its entry symbols; GpuModel.h: the host CPU, the host
// program, the GPU, the kernels, the device memory). Every call's inputs
// are checked here, for both targets alike.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/Model.h"

#include "runtime/cuda/CudaDevice.h"
#include "runtime/model/CpuModel.h"
#include "runtime/model/GpuModel.h"
#include "runtime/model/Safetensors.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <new>
#include <set>

namespace retc::rt {

Model::~Model() = default;

/// The package at `path`, which must hold a model.
static Expected<Package> readModelPackage(const std::string &path) {
  Expected<Package> package = readPackage(path);
  if (package && !package->manifest.model)
    return Error::atFile(path, "package has no 'model' section (a kernel "
                               "package: run its kernels with Session)");
  return package;
}

Expected<std::unique_ptr<Model>> Model::open(const std::string &packagePath,
                                             const std::string &weightsPath) {
  return open(packagePath, weightsPath, ModelOpenOptions());
}

Expected<std::unique_ptr<Model>> Model::open(const std::string &packagePath,
                                             const WeightMap &weights) {
  return open(packagePath, weights, ModelOpenOptions());
}

Expected<std::unique_ptr<Model>>
Model::open(const std::string &packagePath, const std::string &weightsPath,
            const ModelOpenOptions &options) {
  Expected<Package> package = readModelPackage(packagePath);
  if (!package)
    return package.error();
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::open(weightsPath);
  if (!file)
    return file.error();
  std::vector<WeightSource> sources;
  for (const SafetensorsTensor &tensor : (*file)->tensors())
    sources.push_back({tensor.name, tensor.dtype, tensor.shape, tensor.data});
  return openWith(package.take(), file.take(), sources, weightsPath, options);
}

Expected<std::unique_ptr<Model>>
Model::open(const std::string &packagePath, const WeightMap &weights,
            const ModelOpenOptions &options) {
  Expected<Package> package = readModelPackage(packagePath);
  if (!package)
    return package.error();
  std::vector<WeightSource> sources;
  for (const auto &[name, view] : weights) {
    if (!view.data)
      return Error::atFile("weights", "tensor '" + name + "' has no data");
    sources.push_back({name, view.dtype, view.shape, view.data});
  }
  return openWith(package.take(), nullptr, sources, "weights", options);
}

Expected<std::unique_ptr<Model>>
Model::openWith(Package package, std::unique_ptr<SafetensorsFile> file,
                const std::vector<WeightSource> &sources,
                const std::string &weightsName,
                const ModelOpenOptions &options) {
  std::unique_ptr<Model> model(new Model());
  model->pkg = std::move(package);
  model->weightsFile = std::move(file);
  const ModelManifest &manifest = *model->pkg.manifest.model;
  try {
    Expected<BoundWeights> bound = bindWeights(manifest, sources, weightsName);
    if (!bound)
      return bound.error();
    model->weights = bound.take();
  } catch (const std::bad_alloc &) {
    return Error::atFile(weightsName,
                         "out of memory converting the weights to the "
                         "model's dtype");
  }

  if (model->pkg.manifest.target.kind == TargetKind::Cpu) {
    Expected<std::unique_ptr<CpuModel>> cpu =
        CpuModel::load(model->pkg, model->weights);
    if (!cpu)
      return cpu.error();
    model->backend = cpu.take();
    return model;
  }

  Expected<int> ordinal = chooseCudaDevice(options.device);
  if (!ordinal)
    return Error::atFile(model->pkg.path, ordinal.message());
  Expected<std::unique_ptr<GpuModel>> gpu =
      GpuModel::load(model->pkg, model->weights, *ordinal);
  if (!gpu)
    return gpu.error();
  model->backend = gpu.take();
  // The weights are on the device now: the host copies and the mapping go
  // (the counts of weightsInPlace and weightsCopied stay).
  model->weights.pointers.clear();
  model->weights.owned.clear();
  model->weightsFile.reset();
  return model;
}

SequenceState Model::newState() const {
  return SequenceState(stateShape(), backend->stateHome());
}

bool Model::choosesTokens() const { return backend->choosesTokens(); }

uint64_t Model::nextInstance() {
  static std::atomic<uint64_t> counter{0};
  return ++counter;
}

int64_t nextTokenSkippingNaN(const float *logits, int64_t vocab) {
  int64_t best = -1;
  for (int64_t i = 0; i < vocab; ++i)
    if (!std::isnan(logits[i]) && (best < 0 || logits[i] > logits[best]))
      best = i;
  return best < 0 ? 0 : best;
}

int64_t greedyToken(const float *logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    if (std::isnan(logits[i]))
      return -1;
    if (logits[i] > logits[best])
      best = i;
  }
  return best;
}

bool Model::hasEntry(std::string_view name) const {
  return backend->hasEntry(name);
}

Error Model::requireEntry(std::string_view name) const {
  if (hasEntry(name))
    return Error::success();
  std::set<std::string> loaded;
  for (const ModelEntryDesc &entry : manifest().entries)
    if (hasEntry(entry.name))
      loaded.insert(entry.name);
  std::string names;
  for (const std::string &known : loaded)
    names += (names.empty() ? "" : ", ") + known;
  std::string hint =
      name == "decode_batch"
          ? " (a package compiled with retc --max-batch=N has it)"
          : "";
  return Error::atFile(pkg.path, "the model has no '" + std::string(name) +
                                     "' entry (its entries: " + names + ")" +
                                     hint);
}

Error Model::checkStateShape(const SequenceState &state,
                             const std::string &where) const {
  if (state.shape() == stateShape())
    return Error::success();
  return Error::atFile(pkg.path, where + "the state has shape " +
                                     formatShape(state.shape()) +
                                     " but the model's is " +
                                     formatShape(stateShape()));
}

Error Model::checkTokens(const int32_t *tokens, size_t count,
                         const std::string &where) const {
  int64_t vocab = vocabSize();
  for (size_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      return Error::atFile(pkg.path, where + "token " + std::to_string(i) +
                                         " is " + std::to_string(tokens[i]) +
                                         ", outside the vocabulary [0, " +
                                         std::to_string(vocab) + ")");
  return Error::success();
}

Error Model::check(std::string_view name, SequenceState &state,
                   const int32_t *tokens, size_t count, const float *logits) {
  std::string where = std::string(name) + ": ";
  if (Error err = requireEntry(name))
    return err;
  if (count == 0)
    return Error::atFile(pkg.path, where + "no tokens (need at least 1)");
  if (!tokens || !logits)
    return Error::atFile(pkg.path, where + "null token or logits buffer");
  if (Error err = checkStateShape(state, where))
    return err;
  if (Error err = checkTokens(tokens, count, where))
    return err;

  if (state.position() > std::numeric_limits<int64_t>::max() -
                             static_cast<int64_t>(count))
    return Error::atFile(pkg.path, where + "the sequence position " +
                                       std::to_string(state.position()) +
                                       " would overflow");

  // The state where the backend's entries read it: host memory or the
  // device. A no-op for a state this model ran before.
  if (Error err = state.placeFor(backend->stateHome()))
    return Error::atFile(pkg.path, where + err.message());
  return Error::success();
}

Error Model::call(std::string_view name, SequenceState &state,
                  const int32_t *tokens, size_t count, float *logits,
                  bool allLogits) {
  if (Error err = check(name, state, tokens, count, logits))
    return err;
  const std::shared_ptr<StateHome> &home = backend->stateHome();
  int64_t vocab = vocabSize();

  // Consecutive calls of at most maxTokens tokens (one call where there is
  // no limit): each continues the state of the one before; each one's
  // logits rows go to their place, and without allLogits only the last
  // call's last row is wanted.
  size_t limit = backend->maxTokens() > 0
                     ? static_cast<size_t>(backend->maxTokens())
                     : count;
  for (size_t start = 0; start < count;) {
    size_t n = std::min(limit, count - start);
    bool last = start + n == count;
    ModelStep step;
    step.tokens = tokens + start;
    step.count = static_cast<int64_t>(n);
    step.position = state.position();
    if (home)
      step.deviceState = state.deviceStorage()->address();
    else
      step.state = state.hostValues();
    step.allLogits = allLogits;
    step.logits = allLogits ? logits + start * static_cast<size_t>(vocab)
                            : (last ? logits : nullptr);
    if (Error err = backend->run(name, step)) {
      if (home && step.ran)
        state.markLost(std::string(name) + " on " + home->describe());
      return err;
    }
    if (home)
      state.deviceWritten();
    state.nextPosition += step.count;
    start += n;
  }
  return Error::success();
}

Error Model::prefill(SequenceState &state, const int32_t *tokens, size_t count,
                     float *logits, bool allLogits) {
  return call("prefill", state, tokens, count, logits, allLogits);
}

Error Model::decode(SequenceState &state, int32_t token, float *logits) {
  return call("decode", state, &token, 1, logits, false);
}

Error Model::generateGreedy(SequenceState &state, int32_t token, size_t count,
                            int32_t *out, float *logits) {
  if (count == 0)
    return Error::success();
  if (!out || !logits)
    return Error::atFile(pkg.path, "generate: null token or logits buffer");
  if (!backend->choosesTokens()) {
    // One decode call a step, each token chosen here from its logits.
    for (size_t i = 0; i < count; ++i) {
      if (Error err = decode(state, i ? out[i - 1] : token, logits))
        return err;
      int64_t best = greedyToken(logits, vocabSize());
      if (best < 0)
        return Error::atFile(pkg.path, "generate: NaN logits at step " +
                                           std::to_string(i));
      out[i] = static_cast<int32_t>(best);
    }
    return Error::success();
  }

  if (Error err = check("decode", state, &token, 1, logits))
    return err;
  if (state.position() > std::numeric_limits<int64_t>::max() -
                             static_cast<int64_t>(count))
    return Error::atFile(pkg.path, "generate: the sequence position " +
                                       std::to_string(state.position()) +
                                       " would overflow");
  ModelStep step;
  step.tokens = &token;
  step.count = 1;
  step.position = state.position();
  step.deviceState = state.deviceStorage()->address();
  step.logits = logits;
  if (Error err = backend->generateGreedy("decode", step,
                                          static_cast<int64_t>(count), out)) {
    if (step.ran)
      state.markLost("decode on " + backend->stateHome()->describe());
    return err;
  }
  state.deviceWritten();
  state.nextPosition += static_cast<int64_t>(count);
  // The device skips NaN logits (a row of them chooses token 0); the last
  // step's say whether any came.
  size_t vocab = static_cast<size_t>(vocabSize());
  if (std::any_of(logits, logits + vocab, [](float x) { return std::isnan(x); }))
    return Error::atFile(pkg.path, "generate: NaN logits at step " +
                                       std::to_string(count - 1) +
                                       " (chosen on the device)");
  return Error::success();
}

Error Model::forward(SequenceState &state, const int32_t *tokens, size_t count,
                     float *logits) {
  return call("forward", state, tokens, count, logits, true);
}

Error Model::logitsOfAll(SequenceState &state, const int32_t *tokens,
                         size_t count, float *logits) {
  if (count <= kParallelMaxTokens)
    return forward(state, tokens, count, logits);
  return prefill(state, tokens, count, logits, /*allLogits=*/true);
}

} // namespace retc::rt
