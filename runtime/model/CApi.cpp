//===- CApi.cpp - The retc runtime's C API ----------------------*- C++ -*-===//
//
// runtime/retc.h over runtime/model/Model.h: opaque handles wrapping a Model and
// a SequenceState, a thread-local last-error string, and a catch-all around
// every call so that no exception leaves the library.
//
//===----------------------------------------------------------------------===//
#include "runtime/retc.h"

#include "runtime/model/Model.h"

#include <new>
#include <string>
#include <vector>

using namespace retc::rt;

struct retc_model {
  std::unique_ptr<Model> model;
};

struct retc_state {
  SequenceState state;
};

struct retc_batch {
  SequenceBatch batch;
};

namespace {

thread_local std::string lastError;

int failWith(int code, std::string message) {
  lastError = std::move(message);
  return code;
}

int fromError(const Error &err) {
  return err ? failWith(RETC_ERROR, err.message()) : RETC_OK;
}

/// Runs `body` (which returns a code), turning exceptions into codes.
template <typename Body> int guarded(Body body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return failWith(RETC_ERROR_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return failWith(RETC_ERROR, std::string("internal error: ") + e.what());
  } catch (...) {
    return failWith(RETC_ERROR, "internal error");
  }
}

/// Checks the logits buffer holds `rows` * `vocab` floats.
int checkCapacity(const char *function, int64_t capacity, int64_t rows,
                  int64_t vocab) {
  int64_t needed;
  if (__builtin_mul_overflow(rows, vocab, &needed))
    return failWith(RETC_ERROR_ARGUMENT,
                    std::string(function) + ": " + std::to_string(rows) +
                        " rows of logits do not fit in memory");
  if (capacity < needed)
    return failWith(RETC_ERROR_ARGUMENT,
                    std::string(function) + ": logits_capacity is " +
                        std::to_string(capacity) + " floats, but " +
                        std::to_string(needed) + " are needed");
  return RETC_OK;
}

int nullArgument(const char *function) {
  return failWith(RETC_ERROR_ARGUMENT,
                  std::string(function) + ": a required pointer is NULL");
}

} // namespace

extern "C" {

const char *retc_last_error(void) { return lastError.c_str(); }

int retc_model_open(const char *packagePath, const char *weightsPath,
                    retc_model **model) {
  if (!packagePath || !weightsPath || !model)
    return nullArgument("retc_model_open");
  *model = nullptr;
  return guarded([&] {
    Expected<std::unique_ptr<Model>> opened =
        Model::open(packagePath, weightsPath);
    if (!opened)
      return failWith(RETC_ERROR, opened.message());
    *model = new retc_model{opened.take()};
    return RETC_OK;
  });
}

void retc_model_close(retc_model *model) { delete model; }

int64_t retc_model_vocab_size(const retc_model *model) {
  return model ? model->model->vocabSize() : 0;
}

int retc_state_new(const retc_model *model, retc_state **state) {
  if (!model || !state)
    return nullArgument("retc_state_new");
  *state = nullptr;
  return guarded([&] {
    *state = new retc_state{model->model->newState()};
    return RETC_OK;
  });
}

void retc_state_free(retc_state *state) { delete state; }

int retc_state_reset(retc_state *state) {
  if (!state)
    return nullArgument("retc_state_reset");
  state->state.reset();
  return RETC_OK;
}

int retc_state_copy(const retc_state *state, retc_state **copy) {
  if (!state || !copy)
    return nullArgument("retc_state_copy");
  *copy = nullptr;
  return guarded([&] {
    Expected<SequenceState> cloned = state->state.clone();
    if (!cloned)
      return failWith(RETC_ERROR, "retc_state_copy: " + cloned.message());
    *copy = new retc_state{cloned.take()};
    return RETC_OK;
  });
}

int64_t retc_state_position(const retc_state *state) {
  return state ? state->state.position() : -1;
}

int retc_state_save(const retc_state *state, const char *path) {
  if (!state || !path)
    return nullArgument("retc_state_save");
  return guarded([&] { return fromError(state->state.save(path)); });
}

int retc_state_restore(retc_state *state, const char *path) {
  if (!state || !path)
    return nullArgument("retc_state_restore");
  return guarded([&] { return fromError(state->state.restore(path)); });
}

int retc_prefill(retc_model *model, retc_state *state, const int32_t *tokens,
                 int64_t numTokens, float *logits, int64_t logitsCapacity,
                 int allLogits) {
  if (!model || !state || !tokens || !logits)
    return nullArgument("retc_prefill");
  if (numTokens < 1)
    return failWith(RETC_ERROR_ARGUMENT, "retc_prefill: num_tokens is " +
                                             std::to_string(numTokens) +
                                             ", need at least 1");
  int64_t vocab = model->model->vocabSize();
  if (int code = checkCapacity("retc_prefill", logitsCapacity,
                               allLogits ? numTokens : 1, vocab))
    return code;
  return guarded([&] {
    return fromError(model->model->prefill(state->state, tokens,
                                           static_cast<size_t>(numTokens),
                                           logits, allLogits != 0));
  });
}

int retc_decode(retc_model *model, retc_state *state, int32_t token,
                float *logits, int64_t logitsCapacity) {
  if (!model || !state || !logits)
    return nullArgument("retc_decode");
  if (int code = checkCapacity("retc_decode", logitsCapacity, 1,
                               model->model->vocabSize()))
    return code;
  return guarded([&] {
    return fromError(model->model->decode(state->state, token, logits));
  });
}

int retc_generate_greedy(retc_model *model, retc_state *state, int32_t token,
                         int64_t count, int32_t *tokensOut, float *logits,
                         int64_t logitsCapacity) {
  if (!model || !state || !tokensOut || !logits)
    return nullArgument("retc_generate_greedy");
  if (count < 0)
    return failWith(RETC_ERROR_ARGUMENT, "retc_generate_greedy: count is " +
                                             std::to_string(count) +
                                             ", need at least 0");
  if (int code = checkCapacity("retc_generate_greedy", logitsCapacity, 1,
                               model->model->vocabSize()))
    return code;
  return guarded([&] {
    return fromError(model->model->generateGreedy(
        state->state, token, static_cast<size_t>(count), tokensOut, logits));
  });
}

int retc_forward(retc_model *model, retc_state *state, const int32_t *tokens,
                 int64_t numTokens, float *logits, int64_t logitsCapacity) {
  if (!model || !state || !tokens || !logits)
    return nullArgument("retc_forward");
  if (numTokens < 1)
    return failWith(RETC_ERROR_ARGUMENT, "retc_forward: num_tokens is " +
                                             std::to_string(numTokens) +
                                             ", need at least 1");
  if (int code = checkCapacity("retc_forward", logitsCapacity, numTokens,
                               model->model->vocabSize()))
    return code;
  return guarded([&] {
    return fromError(model->model->forward(
        state->state, tokens, static_cast<size_t>(numTokens), logits));
  });
}

int64_t retc_model_max_batch(const retc_model *model) {
  return model ? static_cast<int64_t>(model->model->maxBatch()) : 0;
}

int retc_batch_new(retc_model *model, retc_batch **batch) {
  if (!model || !batch)
    return nullArgument("retc_batch_new");
  *batch = nullptr;
  return guarded([&] {
    Expected<SequenceBatch> made = model->model->newBatch();
    if (!made)
      return failWith(RETC_ERROR, made.message());
    *batch = new retc_batch{made.take()};
    return RETC_OK;
  });
}

void retc_batch_free(retc_batch *batch) { delete batch; }

int64_t retc_batch_size(const retc_batch *batch) {
  return batch ? static_cast<int64_t>(batch->batch.size()) : -1;
}

int64_t retc_batch_id(const retc_batch *batch, int64_t row) {
  if (!batch || row < 0 || static_cast<size_t>(row) >= batch->batch.size())
    return -1;
  return static_cast<int64_t>(batch->batch.id(static_cast<size_t>(row)));
}

int64_t retc_batch_position(const retc_batch *batch, int64_t row) {
  if (!batch || row < 0 || static_cast<size_t>(row) >= batch->batch.size())
    return -1;
  return batch->batch.position(static_cast<size_t>(row));
}

int retc_batch_join(retc_model *model, retc_batch *batch, retc_state *state,
                    int64_t id) {
  if (!model || !batch || !state)
    return nullArgument("retc_batch_join");
  if (id < 0)
    return failWith(RETC_ERROR_ARGUMENT, "retc_batch_join: id is " +
                                             std::to_string(id) +
                                             ", need at least 0");
  return guarded([&] {
    return fromError(model->model->join(batch->batch, state->state,
                                        static_cast<uint64_t>(id)));
  });
}

int retc_batch_join_prompts(retc_model *model, retc_batch *batch,
                            const int32_t *tokens, const int64_t *lengths,
                            const int64_t *ids, int64_t count, float *logits,
                            int64_t logitsCapacity, int32_t *greedyOut) {
  if (!model || !batch || (count > 0 && (!tokens || !lengths || !ids)))
    return nullArgument("retc_batch_join_prompts");
  if (count < 0)
    return failWith(RETC_ERROR_ARGUMENT,
                    "retc_batch_join_prompts: count is " +
                        std::to_string(count) + ", need at least 0");
  // More prompts than the batch has rows left is the runtime's error;
  // refused here before any buffer is sized by `count`.
  int64_t room = retc_model_max_batch(model) - retc_batch_size(batch);
  if (count > room)
    return failWith(RETC_ERROR_ARGUMENT,
                    "retc_batch_join_prompts: " + std::to_string(count) +
                        " prompts, but the batch has room for " +
                        std::to_string(room));
  std::vector<size_t> sizes(static_cast<size_t>(count));
  std::vector<uint64_t> tags(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    if (lengths[i] < 1 || ids[i] < 0)
      return failWith(RETC_ERROR_ARGUMENT,
                      "retc_batch_join_prompts: prompt " + std::to_string(i) +
                          " has length " + std::to_string(lengths[i]) +
                          " and id " + std::to_string(ids[i]) +
                          ", need a length of at least 1 and an id of at "
                          "least 0");
    sizes[static_cast<size_t>(i)] = static_cast<size_t>(lengths[i]);
    tags[static_cast<size_t>(i)] = static_cast<uint64_t>(ids[i]);
  }
  if (logits)
    if (int code = checkCapacity("retc_batch_join_prompts", logitsCapacity,
                                 count, model->model->vocabSize()))
      return code;
  return guarded([&] {
    return fromError(model->model->joinPrompts(
        batch->batch, tokens, sizes.data(), tags.data(),
        static_cast<size_t>(count), logits, greedyOut));
  });
}

int retc_batch_leave(retc_model *model, retc_batch *batch, int64_t row,
                     retc_state *out) {
  if (!model || !batch)
    return nullArgument("retc_batch_leave");
  if (row < 0)
    return failWith(RETC_ERROR_ARGUMENT, "retc_batch_leave: row is " +
                                             std::to_string(row) +
                                             ", need at least 0");
  return guarded([&] {
    return fromError(model->model->leave(batch->batch,
                                         static_cast<size_t>(row),
                                         out ? &out->state : nullptr));
  });
}

int retc_batch_decode(retc_model *model, retc_batch *batch,
                      const int32_t *tokens, float *logits,
                      int64_t logitsCapacity, int32_t *greedyOut) {
  if (!model || !batch || !tokens || (!logits && !greedyOut))
    return nullArgument("retc_batch_decode");
  if (logits)
    if (int code = checkCapacity(
            "retc_batch_decode", logitsCapacity,
            static_cast<int64_t>(batch->batch.size()),
            model->model->vocabSize()))
      return code;
  return guarded([&] {
    return fromError(model->model->decodeBatch(batch->batch, tokens, logits,
                                               greedyOut));
  });
}

int retc_batch_generate_greedy(retc_model *model, retc_batch *batch,
                               const int32_t *tokens, int64_t steps,
                               int32_t *tokensOut) {
  if (!model || !batch || !tokens || !tokensOut)
    return nullArgument("retc_batch_generate_greedy");
  if (steps < 0)
    return failWith(RETC_ERROR_ARGUMENT,
                    "retc_batch_generate_greedy: steps is " +
                        std::to_string(steps) + ", need at least 0");
  return guarded([&] {
    return fromError(model->model->generateBatchGreedy(
        batch->batch, tokens, static_cast<size_t>(steps), tokensOut));
  });
}

} // extern "C"
