//===- ModelBatch.cpp - Batched decode of a model -------------------------===//
//
// Model's batch calls (Model.h, SequenceBatch.h): a batch's pool is one
// state storage of the model's home (a cuda model) or one host buffer (a
// cpu model) holding max_batch slots per layer; a sequence's state moves
// into and out of its slot as one run per layer.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/Model.h"
#include "runtime/model/ModelBackend.h"
#include "runtime/model/ModelMemory.h"

#include <cstring>
#include <limits>
#include <new>

namespace retc::rt {

namespace {
/// Bytes of one layer's slice of one sequence's state: heads * K * V f32.
uint64_t layerBytes(const std::vector<int64_t> &stateShape) {
  return static_cast<uint64_t>(stateShape[1]) *
         static_cast<uint64_t>(stateShape[2]) *
         static_cast<uint64_t>(stateShape[3]) * sizeof(float);
}
/// Host memory: `count` runs of `bytes`, run i from `from + fromOffset + i
/// * fromStride` to `to + toOffset + i * toStride` (bytes).
void copyHostRuns(const float *from, uint64_t fromOffset, uint64_t fromStride,
                  float *to, uint64_t toOffset, uint64_t toStride,
                  uint64_t bytes, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i)
    std::memcpy(reinterpret_cast<char *>(to) + toOffset + i * toStride,
                reinterpret_cast<const char *>(from) + fromOffset +
                    i * fromStride,
                bytes);
}
} // namespace

size_t Model::maxBatch() const {
  return hasEntry("decode_batch") ? static_cast<size_t>(manifest().maxBatch)
                                  : 0;
}

Expected<SequenceBatch> Model::newBatch() const {
  if (Error err = requireEntry("decode_batch"))
    return err;
  const std::shared_ptr<StateHome> &home = backend->stateHome();
  SequenceBatch batch;
  batch.slots = maxBatch();
  // Sizes are checked by the manifest (max_batch <= kMaxModelBatch) and
  // by planModelMemory (the state).
  size_t floats = batch.slots * static_cast<size_t>(stateShape()[0]) *
                  layerBytes(stateShape()) / sizeof(float);
  std::string what = "a batch of " + std::to_string(batch.slots) +
                     " sequences: ";
  if (home) {
    Expected<std::unique_ptr<StateStorage>> pool = home->allocate(floats);
    if (!pool)
      return Error::atFile(pkg.path, what + pool.message());
    batch.pool = pool.take();
  } else {
    if (Error err = checkHostMemory(floats * sizeof(float), "the pool"))
      return Error::atFile(pkg.path, what + err.message());
    try {
      batch.hostPool.assign(floats, 0.0f);
    } catch (const std::bad_alloc &) {
      return Error::atFile(pkg.path, what + "out of host memory allocating " +
                                         std::to_string(floats * 4) +
                                         " bytes");
    }
  }
  batch.home = home;
  batch.owner = instance;
  return batch;
}

Error Model::checkBatch(const SequenceBatch &batch,
                        std::string_view what) const {
  std::string where = std::string(what) + ": ";
  if (batch.owner != instance || batch.slots != maxBatch() ||
      (!batch.pool && batch.hostPool.empty()))
    return Error::atFile(pkg.path, where + "the batch is not one this model "
                                           "made (Model::newBatch)");
  if (batch.lost())
    return Error::atFile(pkg.path, where + "the batch's states were lost by "
                                           "a failed " +
                                           batch.lostWhy +
                                           " (make a new batch)");
  return Error::success();
}

Error Model::join(SequenceBatch &batch, SequenceState &state, uint64_t id) {
  if (Error err = checkBatch(batch, "join"))
    return err;
  if (batch.size() == batch.capacity())
    return Error::atFile(pkg.path, "join: the batch is full (" +
                                       std::to_string(batch.capacity()) +
                                       " sequences, the package's max_batch)");
  if (Error err = checkStateShape(state, "join: "))
    return err;
  if (Error err = state.placeFor(batch.home))
    return Error::atFile(pkg.path, "join: " + err.message());
  uint64_t run = layerBytes(stateShape());
  uint64_t slot = batch.size();
  // Layer l of the sequence (at l * run) into slot `slot` of layer l of
  // the pool (at (l * slots + slot) * run).
  uint64_t layers = static_cast<uint64_t>(stateShape()[0]);
  if (!batch.home)
    copyHostRuns(state.hostValues(), 0, run, batch.hostPool.data(),
                 slot * run, batch.slots * run, run, layers);
  else if (Error err = batch.pool->copyRuns(*state.deviceStorage(), 0, run,
                                            slot * run, batch.slots * run,
                                            run, layers))
    return Error::atFile(pkg.path, "join: " + err.message());
  batch.rows.push_back({id, state.position()});
  return Error::success();
}

Error Model::leave(SequenceBatch &batch, size_t row, SequenceState *out) {
  if (Error err = checkBatch(batch, "leave"))
    return err;
  if (row >= batch.size())
    return Error::atFile(pkg.path, "leave: row " + std::to_string(row) +
                                       " of a batch of " +
                                       std::to_string(batch.size()));
  uint64_t run = layerBytes(stateShape());
  uint64_t layers = static_cast<uint64_t>(stateShape()[0]);
  uint64_t poolStride = batch.slots * run;
  if (out) {
    if (Error err = checkStateShape(*out, "leave: "))
      return err;
    if (Error err = out->placeFor(batch.home))
      return Error::atFile(pkg.path, "leave: " + err.message());
    if (!batch.home) {
      copyHostRuns(batch.hostPool.data(), row * run, poolStride,
                   out->hostValues(), 0, run, run, layers);
    } else {
      // One copy a layer: a failure part way leaves `out` part written.
      if (Error err = out->deviceStorage()->copyRuns(
              *batch.pool, row * run, poolStride, 0, run, run, layers)) {
        out->markLost("leave on " + batch.home->describe());
        return Error::atFile(pkg.path, "leave: " + err.message());
      }
      out->deviceWritten();
    }
    out->nextPosition = batch.rows[row].position;
  }
  size_t last = batch.size() - 1;
  if (row != last) {
    if (!batch.home)
      copyHostRuns(batch.hostPool.data(), last * run, poolStride,
                   batch.hostPool.data(), row * run, poolStride, run, layers);
    else if (Error err = batch.pool->copyRuns(*batch.pool, last * run,
                                              poolStride, row * run,
                                              poolStride, run, layers)) {
      // The hole may hold some of the last row's layers: no row can be
      // trusted to be what it was.
      batch.lostWhy = "leave on " + batch.home->describe();
      return Error::atFile(pkg.path, "leave: " + err.message());
    }
    batch.rows[row] = batch.rows[last];
  }
  batch.rows.pop_back();
  return Error::success();
}

bool Model::packsPrompts() const { return hasEntry("prefill_batch"); }

Error Model::joinPrompts(SequenceBatch &batch, const int32_t *tokens,
                         const size_t *lengths, const uint64_t *ids,
                         size_t prompts, float *logits, int32_t *greedy) {
  const std::string where = "join (prompts): ";
  if (Error err = checkBatch(batch, "join (prompts)"))
    return err;
  if (prompts == 0)
    return Error::success();
  if (!tokens || !lengths || !ids)
    return Error::atFile(pkg.path, where + "null token, length or id buffer");
  if (prompts > batch.capacity() - batch.size())
    return Error::atFile(pkg.path,
                         where + std::to_string(prompts) +
                             " prompts do not fit a batch of " +
                             std::to_string(batch.size()) + " rows of " +
                             std::to_string(batch.capacity()));
  // The packing: offsets, and each token's position in its prompt.
  std::vector<int64_t> offsets = {0};
  size_t total = 0;
  for (size_t i = 0; i < prompts; ++i) {
    if (lengths[i] == 0)
      return Error::atFile(pkg.path, where + "prompt " + std::to_string(i) +
                                         " has no tokens");
    if (lengths[i] > static_cast<size_t>(std::numeric_limits<int64_t>::max()) -
                         total)
      return Error::atFile(pkg.path, where + "the prompts' lengths overflow");
    total += lengths[i];
    offsets.push_back(static_cast<int64_t>(total));
  }
  if (Error err = checkTokens(tokens, total, where))
    return err;
  int64_t vocab = vocabSize();
  // Logits where the caller wants none: the greedy tokens come from them.
  std::vector<float> scratch;
  if (!logits) {
    if (Error err = checkHostMemory(prompts * static_cast<uint64_t>(vocab) *
                                        sizeof(float),
                                    "the prompts' logits"))
      return Error::atFile(pkg.path, where + err.message());
    scratch.resize(prompts * static_cast<size_t>(vocab));
    logits = scratch.data();
  }

  if (!packsPrompts() || batch.home) {
    // One prefill a prompt, each joining once it is done; a failure takes
    // back the prompts that joined before it.
    size_t before = batch.size();
    auto undo = [&](Error err) {
      while (batch.size() > before)
        batch.rows.pop_back();
      return err;
    };
    for (size_t i = 0; i < prompts; ++i) {
      SequenceState state = newState();
      float *row = logits + i * static_cast<size_t>(vocab);
      if (Error err = prefill(state, tokens + offsets[i], lengths[i], row,
                              /*allLogits=*/false))
        return undo(std::move(err));
      if (Error err = join(batch, state, ids[i]))
        return undo(std::move(err));
      if (greedy)
        greedy[i] = static_cast<int32_t>(nextTokenSkippingNaN(row, vocab));
    }
    return Error::success();
  }

  std::vector<int64_t> positions(total);
  for (size_t i = 0; i < prompts; ++i)
    for (int64_t t = offsets[i]; t < offsets[i + 1]; ++t)
      positions[static_cast<size_t>(t)] = t - offsets[i];
  ModelStep step;
  step.tokens = tokens;
  step.count = static_cast<int64_t>(total);
  step.rowPositions = positions.data();
  step.numSequences = static_cast<int64_t>(prompts);
  step.sequenceOffsets = offsets.data();
  step.logits = logits;
  step.nextTokens = greedy;
  // The pool seen from the first free slot: prompt i's state goes to slot
  // size() + i of every layer; the rows before are not touched.
  step.state = batch.hostPool.data() +
               batch.size() * layerBytes(stateShape()) / sizeof(float);
  if (Error err = backend->run("prefill_batch", step))
    return err;
  for (size_t i = 0; i < prompts; ++i)
    batch.rows.push_back({ids[i], static_cast<int64_t>(lengths[i])});
  return Error::success();
}

Expected<ModelStep> Model::batchStep(SequenceBatch &batch,
                                     const int32_t *tokens, size_t steps,
                                     std::vector<int64_t> &positions,
                                     std::string_view what) {
  std::string where = std::string(what) + ": ";
  if (Error err = checkBatch(batch, what))
    return err;
  size_t rows = batch.size();
  if (rows == 0)
    return Error::atFile(pkg.path, where + "the batch is empty");
  if (Error err = checkTokens(tokens, rows, where))
    return err;
  positions.resize(rows);
  for (size_t b = 0; b < rows; ++b) {
    positions[b] = batch.rows[b].position;
    if (positions[b] > std::numeric_limits<int64_t>::max() -
                           static_cast<int64_t>(steps))
      return Error::atFile(pkg.path, where + "the position of row " +
                                         std::to_string(b) +
                                         " would overflow");
  }
  ModelStep step;
  step.tokens = tokens;
  step.count = static_cast<int64_t>(rows);
  step.rowPositions = positions.data();
  if (batch.home)
    step.deviceState = batch.pool->address();
  else
    step.state = batch.hostPool.data();
  step.allLogits = true;
  return step;
}

Error Model::runBatch(SequenceBatch &batch, ModelStep &step, size_t steps,
                      int32_t *out) {
  Error err = steps == 1 && !out
                  ? backend->run("decode_batch", step)
                  : backend->generateGreedy("decode_batch", step,
                                            static_cast<int64_t>(steps), out);
  if (err) {
    // The state of every row may be part written.
    if (step.ran)
      batch.lostWhy = "decode_batch on " + (batch.home ? batch.home->describe()
                                                         : "the host");
    return err;
  }
  for (SequenceBatch::Row &row : batch.rows)
    row.position += static_cast<int64_t>(steps);
  return Error::success();
}

Error Model::decodeBatch(SequenceBatch &batch, const int32_t *tokens,
                         float *logits, int32_t *greedy) {
  if (!tokens || (!logits && !greedy))
    return Error::atFile(pkg.path, "decode_batch: null token buffer, or "
                                   "neither logits nor greedy tokens wanted");
  std::vector<int64_t> positions;
  Expected<ModelStep> step =
      batchStep(batch, tokens, 1, positions, "decode_batch");
  if (!step)
    return step.error();
  step->logits = logits;
  step->nextTokens = greedy;
  return runBatch(batch, *step, 1, nullptr);
}

Error Model::generateBatchGreedy(SequenceBatch &batch, const int32_t *tokens,
                                size_t steps, int32_t *out, float *logits) {
  if (steps == 0)
    return Error::success();
  if (!tokens || !out)
    return Error::atFile(pkg.path, "generate (decode_batch): null token or "
                                   "output buffer");
  size_t rows = batch.size();
  if (!backend->choosesTokens() || !batch.home) {
    // One decodeBatch a step, the greedy tokens fed back.
    for (size_t i = 0; i < steps; ++i)
      if (Error err = decodeBatch(batch, i ? out + (i - 1) * rows : tokens,
                                  i + 1 == steps ? logits : nullptr,
                                  out + i * rows))
        return err;
    return Error::success();
  }
  std::vector<int64_t> positions;
  Expected<ModelStep> step =
      batchStep(batch, tokens, steps, positions, "generate (decode_batch)");
  if (!step)
    return step.error();
  step->logits = logits;
  return runBatch(batch, *step, steps, out);
}

} // namespace retc::rt
