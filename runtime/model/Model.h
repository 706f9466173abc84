//===- Model.h - Run a compiled RetNet model --------------------*- C++ -*-===//
//
// A model package (manifest `model` section, docs/package-format.md) holds
// one CPU shared object with the entries `retc_model_prefill`, `_decode` and
// `_forward` (KernelABI.h), or, with a cuda target, a host program with the
// entries `retc_gpu_model_*` and the CUDA module of its kernels.
// `Model::open` reads the package, binds a checkpoint's tensors to the
// manifest's weight list (ModelWeights.h), checks the host CPU and loads the
// code (CpuModel.h; GpuModel.h, which also opens the GPU and uploads the
// weights); the entries then run one sequence at a time on a
// `SequenceState`, on either target through the same calls:
// \code
//   Expected<std::unique_ptr<Model>> model =
//       Model::open("m.retpkg", "model.safetensors");
//   if (!model) { report(model.message()); return; }
//   SequenceState state = (*model)->newState();
//   std::vector<float> logits((*model)->vocabSize());
//   if (Error err = (*model)->prefill(state, prompt, logits.data(), false))
//     ...
//   if (Error err = (*model)->decode(state, next, logits.data())) ...
// \endcode
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_H
#define RETC_RUNTIME_MODEL_H

#include "runtime/KernelABI.h"
#include "runtime/model/ModelWeights.h"
#include "runtime/package/Package.h"
#include "runtime/model/SequenceBatch.h"
#include "runtime/model/SequenceState.h"
#include "runtime/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace retc::rt {

class SafetensorsFile;

/// A weight tensor held by the caller (Model::open from memory).
struct WeightView {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Dense row-major elements of `dtype`. Used in place when `dtype` is the
  /// manifest's and the address is 64-byte aligned, so it must then outlive
  /// the Model; otherwise copied during `open`.
  const void *data = nullptr;
};

/// Weights by checkpoint name.
using WeightMap = std::map<std::string, WeightView>;

/// How Model::open runs the package.
struct ModelOpenOptions {
  /// cuda models: the device ordinal; -1: the environment variable
  /// RETC_DEVICE if set, else 0 (as Session does). Ignored for cpu models.
  int device = -1;
};

class ModelBackend;
struct ModelStep;

/// The greedy choice among `vocab` logits: the index of the largest, the
/// lowest on ties; -1 if a logit is NaN. What Model::generateGreedy
/// chooses on the host (and the device's `next_token` but for NaNs).
int64_t greedyToken(const float *logits, int64_t vocab);

/// The device's greedy choice (retention.next_token): the index of the
/// first largest logit, NaNs skipped (a row of NaNs gives 0). What
/// Model::decodeBatch's greedy tokens are, on every target.
int64_t nextTokenSkippingNaN(const float *logits, int64_t vocab);

/// A loaded model: its package, its bound weights and its entry points.
/// Calls on one Model must not overlap (the generated code is not known to
/// be reentrant); different Models are independent.
class Model {
public:
  /// Reads the package at `packagePath` (which must have a `model` section),
  /// maps the safetensors file at `weightsPath` and binds its tensors
  /// (ModelWeights.h: every missing, extra, misnamed or misshapen tensor is
  /// one line of the message; bf16/f16 tensors are converted), then checks
  /// the host CPU's features and loads the shared object and every listed
  /// entry's symbol.
  static Expected<std::unique_ptr<Model>> open(const std::string &packagePath,
                                               const std::string &weightsPath);
  /// As above, with the weights from memory (messages call them "weights").
  static Expected<std::unique_ptr<Model>> open(const std::string &packagePath,
                                               const WeightMap &weights);
  /// As above, on the device `options` names (cuda models). A cuda model
  /// also opens the CUDA driver and device, loads the kernels and uploads
  /// the weights to the device during `open`.
  static Expected<std::unique_ptr<Model>>
  open(const std::string &packagePath, const std::string &weightsPath,
       const ModelOpenOptions &options);
  static Expected<std::unique_ptr<Model>>
  open(const std::string &packagePath, const WeightMap &weights,
       const ModelOpenOptions &options);

  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;
  ~Model();

  const Package &package() const { return pkg; }
  const ModelManifest &manifest() const { return *pkg.manifest.model; }
  const ModelConfigDesc &config() const { return manifest().config; }
  int64_t vocabSize() const { return config().vocabSize; }
  /// [layers, heads, head_k_dim, head_v_dim].
  const std::vector<int64_t> &stateShape() const {
    return manifest().stateShape;
  }
  /// Whether the package has entry `name` ("prefill", "decode", "forward").
  bool hasEntry(std::string_view name) const;
  /// How many weights are used where they lie and how many were copied
  /// (converted from another dtype, or realigned).
  size_t weightsInPlace() const { return weights.inPlace; }
  size_t weightsCopied() const { return weights.copied; }

  /// A fresh sequence: zero state at position 0. A cpu model's is a host
  /// state; a cuda model's is a device state on the model's device, whose
  /// device buffer its first call allocates and zeroes there (so that out
  /// of device memory is that call's error). Calls then use it in place:
  /// no copy of the state in the steady state (SequenceState.h).
  SequenceState newState() const;

  // Every call first places the state where this model runs
  // (SequenceState::placeFor): nothing to do for a state this model made
  // and ran before; a state of another model, device or a host state is
  // moved here once (downloaded from where it was, uploaded to this
  // model's device, or the reverse for a cpu model). A cuda model writes
  // the state in place: a call that fails after its entry started leaves
  // the state's values lost (later calls and reads fail, naming the
  // call, until `reset` or `restore`); one that fails before leaves the
  // state as it was.

  /// Runs `count` >= 1 tokens through the chunkwise entry, continuing the
  /// sequence in `state` (whose position advances by `count`). `logits`
  /// receives [count, vocab] floats when `allLogits`, else [1, vocab] (the
  /// last token's). A cuda model takes at most `model.max_tokens` tokens a
  /// call: longer inputs (here and in `forward`) run as consecutive calls
  /// of at most that many, the state carried from one to the next; if one
  /// fails, `state` holds the tokens of the calls before it (its position
  /// says how many; for a cuda model, unless its values were lost, above).
  Error prefill(SequenceState &state, const int32_t *tokens, size_t count,
                float *logits, bool allLogits);
  /// One step of the recurrent entry: `logits` receives [1, vocab].
  Error decode(SequenceState &state, int32_t token, float *logits);
  /// Greedy generation: `count` decode steps, the first on `token` (the
  /// prompt's chosen next token), each step's choice -- the index of its
  /// largest logit, the lowest on ties -- written to `out[i]` and fed to
  /// the next. `logits` ([1, vocab]) receives the last step's. A cuda
  /// model chooses on the device and replays the decode step as one CUDA
  /// graph, with no wait on the host between steps (GpuModel.h); a cpu
  /// model decodes and chooses one step at a time. NaN logits are an
  /// error (on a GPU: found in the last step's logits).
  Error generateGreedy(SequenceState &state, int32_t token, size_t count,
                       int32_t *out, float *logits);
  /// Whether generateGreedy chooses the tokens where the model runs (a
  /// cuda model), rather than on the host one step at a time.
  bool choosesTokens() const;
  /// Runs `count` >= 1 tokens through the parallel entry; `logits` receives
  /// [count, vocab].
  Error forward(SequenceState &state, const int32_t *tokens, size_t count,
                float *logits);

  /// The longest input that `logits` runs through the parallel entry: the
  /// parallel form's work grows as count^2, the chunkwise form's as
  /// count * chunk, and beyond this length prefill is the faster of the two
  /// (docs/models.md, "What comes out").
  static constexpr size_t kParallelMaxTokens = 1024;
  /// The logits of every position of `count` >= 1 tokens, [count, vocab],
  /// continuing the sequence in `state`: through `forward` (parallel form)
  /// when count <= kParallelMaxTokens, else through `prefill` with all
  /// logits (chunkwise form). The two agree to rounding.
  Error logitsOfAll(SequenceState &state, const int32_t *tokens, size_t count,
                    float *logits);

  Error prefill(SequenceState &state, const std::vector<int32_t> &tokens,
                float *logits, bool allLogits) {
    return prefill(state, tokens.data(), tokens.size(), logits, allLogits);
  }
  Error forward(SequenceState &state, const std::vector<int32_t> &tokens,
                float *logits) {
    return forward(state, tokens.data(), tokens.size(), logits);
  }

  // Batched decode (SequenceBatch.h; ModelBatch.cpp): a package (cpu or
  // cuda) compiled with `retc --max-batch=N` has the entry decode_batch,
  // one decode step of up to N sequences, each at its own position.

  /// The most sequences one decodeBatch step takes; 0: no decode_batch.
  size_t maxBatch() const;
  /// An empty batch of capacity maxBatch(), its pool of state slots
  /// allocated on the device now (out of memory is this call's error).
  Expected<SequenceBatch> newBatch() const;
  /// Adds `state`'s sequence (its values, copied, and its position) to
  /// `batch` as row size(), tagged `id`; `state` itself is left as it was
  /// (placed on this model's device). Fails if the batch is full.
  Error join(SequenceBatch &batch, SequenceState &state, uint64_t id);
  /// Removes row `row`, first copying its values and position into `out`
  /// where given (the sequence can go on alone, or join again). The last
  /// row then takes its place: rows keep no order but density.
  Error leave(SequenceBatch &batch, size_t row, SequenceState *out);
  /// Prompts joining `batch` together: prompt i is `lengths[i]` >= 1
  /// tokens, the prompts one after another in `tokens`; each is prefilled
  /// from a fresh state and joins as row size() + i tagged `ids[i]`, at
  /// position lengths[i]. `logits`, where not null, receives [prompts,
  /// vocab] (each prompt's last token's); `greedy`, where not null, each
  /// prompt's greedy next token (decodeBatch's rule). A package with the
  /// entry prefill_batch (a cpu model with a max_batch) runs them as one
  /// call, packed without padding; another prefills them one at a time
  /// and joins each. Fails, joining none, if the batch has no room for
  /// them all or a prompt is empty; a failed call joins none of them and
  /// leaves the batch's other rows as they were.
  Error joinPrompts(SequenceBatch &batch, const int32_t *tokens,
                    const size_t *lengths, const uint64_t *ids,
                    size_t prompts, float *logits, int32_t *greedy = nullptr);
  /// Whether joinPrompts runs its prompts as one packed call.
  bool packsPrompts() const;
  /// One decode step of every row: row b takes `tokens[b]` (size() ids)
  /// at its position; `logits`, where not null, receives [size(), vocab];
  /// `greedy`, where not null, each row's greedy next token (chosen on
  /// the device: the first largest logit, NaNs skipped), so that a
  /// serving loop need not copy the logits out. Each position advances by
  /// one. A failure after the entry started loses every row's values
  /// (batch.lost()).
  Error decodeBatch(SequenceBatch &batch, const int32_t *tokens,
                    float *logits, int32_t *greedy = nullptr);
  /// Greedy generation of every row together: `steps` decode_batch
  /// steps, the first on `tokens` (size() ids), each step's greedy tokens
  /// (decodeBatch's rule) fed to the next and written to `out[i * size() +
  /// row]`; `logits`, where not null, receives the last step's [size(),
  /// vocab]. A cuda model replays the step as one CUDA graph (per pool and
  /// row count), the host waiting once every 4096 steps at most; a cpu
  /// model steps one call at a time. Each position advances by `steps`.
  Error generateBatchGreedy(SequenceBatch &batch, const int32_t *tokens,
                            size_t steps, int32_t *out,
                            float *logits = nullptr);

private:
  Model() = default;
  static Expected<std::unique_ptr<Model>>
  openWith(Package package, std::unique_ptr<SafetensorsFile> file,
           const std::vector<WeightSource> &sources,
           const std::string &weightsName, const ModelOpenOptions &options);
  /// Fails, listing the entries there are, unless the model has `name`.
  Error requireEntry(std::string_view name) const;
  /// Fail, with `where` ("decode: ") before the problem, unless `state`
  /// has the model's state shape / every token is in the vocabulary.
  Error checkStateShape(const SequenceState &state,
                        const std::string &where) const;
  Error checkTokens(const int32_t *tokens, size_t count,
                    const std::string &where) const;
  /// Checks that `batch` is this model's and usable.
  Error checkBatch(const SequenceBatch &batch, std::string_view what) const;
  /// The step of decode_batch over `batch`'s rows fed `tokens` (checked:
  /// the batch, each token, no position overflowing in `steps` steps),
  /// each row's position in `positions`; `what` names the call.
  Expected<ModelStep> batchStep(SequenceBatch &batch, const int32_t *tokens,
                                size_t steps, std::vector<int64_t> &positions,
                                std::string_view what);
  /// Runs `step` once (without `out`) or `steps` times as greedy
  /// generation into `out`, then advances the rows' positions; a failure
  /// after the entry started loses the batch.
  Error runBatch(SequenceBatch &batch, ModelStep &step, size_t steps,
                 int32_t *out);
  /// Checks a call of entry `name`: the entry, the buffers, the tokens,
  /// the state (placed where the backend reads it).
  Error check(std::string_view name, SequenceState &state,
              const int32_t *tokens, size_t count, const float *logits);
  /// Checks the state and the tokens, then runs the entry `name` (in calls
  /// of at most the backend's maxTokens).
  Error call(std::string_view name, SequenceState &state, const int32_t *tokens,
             size_t count, float *logits, bool allLogits);

  Package pkg;
  /// Keeps the mapping that in-place weights point into (a cpu model; a
  /// cuda model's weights are on the device, and this is released).
  std::unique_ptr<SafetensorsFile> weightsFile;
  BoundWeights weights;
  /// The loaded code: CpuModel or GpuModel.
  std::unique_ptr<ModelBackend> backend;
  /// This model's id, unique in the process (SequenceBatch::owner).
  uint64_t instance = nextInstance();
  static uint64_t nextInstance();
};

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_H
