//===- ModelBackend.h - Where a model's entries run -------------*- C++ -*-===//
//
// Internal to runtime/model: what `Model` needs of the code of a model
// package, one implementation per target. `CpuModel` (a cpu target) calls
// the shared object's retc_model_<entry> functions on host buffers;
// `GpuModel` (a cuda target) calls the host program's
// retc_gpu_model_<entry> functions, which launch the CUDA module's kernels
// on device buffers. Model checks every call's inputs, places the state
// where the backend's entries read it (SequenceState::placeFor) and splits
// inputs longer than `maxTokens` before a backend sees them.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_MODELBACKEND_H
#define RETC_RUNTIME_MODEL_MODELBACKEND_H

#include "runtime/Status.h"
#include "runtime/model/SequenceState.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace retc::rt {

/// One call of a model entry, its inputs already checked by Model.
struct ModelStep {
  /// [count] ids, each in [0, vocab).
  const int32_t *tokens = nullptr;
  /// 1 .. maxTokens() (decode: 1).
  int64_t count = 0;
  /// The absolute position of tokens[0].
  int64_t position = 0;
  /// decode_batch: each row's position ([count]); prefill_batch: each
  /// token's; `position` unused.
  const int64_t *rowPositions = nullptr;
  /// prefill_batch: the prompts packed in `tokens`, numSequences of them,
  /// prompt n the tokens [sequenceOffsets[n], sequenceOffsets[n + 1]).
  /// Their logits (and next tokens) have a row a prompt.
  int64_t numSequences = 0;
  const int64_t *sequenceOffsets = nullptr;
  /// The rows of logits the step leaves: a prompt's or a token's.
  int64_t logitRows() const {
    return sequenceOffsets ? numSequences : allLogits ? count : 1;
  }
  /// The sequence's state, [layers, heads, Dk, Dv] f32 (decode_batch:
  /// the batch's pool, [layers, max_batch, heads, Dk, Dv]; prefill_batch:
  /// that pool advanced to the first free slot, written only), read and
  /// overwritten in place: a cpu model's in host memory (`state`), a cuda
  /// model's on its device (`deviceState`, the address of the state's
  /// StateStorage, which Model placed there before the call).
  float *state = nullptr;
  uint64_t deviceState = 0;
  /// [count, vocab] when allLogits, else [1, vocab]; nullptr when the
  /// caller does not want them (a part of a split prefill other than the
  /// last).
  float *logits = nullptr;
  bool allLogits = false;
  /// decode and decode_batch on a device that chooses tokens: receives
  /// each row's greedy next token ([count]) where not null.
  int32_t *nextTokens = nullptr;
  /// Set by `run` once the entry has been called: from then on a failure
  /// may leave the state partly written (a cuda model's, which is written
  /// in place on the device).
  bool ran = false;
};

/// The loaded code of a model package.
class ModelBackend {
public:
  virtual ~ModelBackend() = default;
  /// Whether entry `name` ("prefill", "decode", "forward") was loaded.
  virtual bool hasEntry(std::string_view name) const = 0;
  /// The most tokens one call takes; 0: any number.
  virtual int64_t maxTokens() const = 0;
  /// Runs entry `name` (which hasEntry) over `step`. On an error before
  /// the entry is called (`step.ran` still false) the state is unchanged.
  virtual Error run(std::string_view name, ModelStep &step) = 0;
  /// Whether `generateGreedy` chooses tokens where the model runs (a cuda
  /// model's decode entry writes its greedy next token on the device).
  virtual bool choosesTokens() const { return false; }
  /// Where choosesTokens: `steps` >= 1 steps of entry `name` (decode, or
  /// decode_batch over `step.count` rows at `step.rowPositions`), the
  /// first on `step.tokens`, each step's greedy tokens fed to the next and
  /// written to `out[i * count + row]`; `step.logits` receives the last
  /// step's logits.
  virtual Error generateGreedy(std::string_view name, ModelStep &step,
                               int64_t steps, int32_t *out) {
    (void)name, (void)step, (void)steps, (void)out;
    return Error::failure("this model chooses no tokens");
  }
  /// Where this backend's states live (Model::newState, and where Model
  /// moves a state before a call): null for host memory (a cpu model),
  /// else the device (a cuda model).
  const std::shared_ptr<StateHome> &stateHome() const { return home; }

protected:
  std::shared_ptr<StateHome> home;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_MODELBACKEND_H
