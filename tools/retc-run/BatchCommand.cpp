//===- BatchCommand.cpp - retc-run --batch: sequences decoded together ----===//
//
// See BatchCommand.h.
//
//===----------------------------------------------------------------------===//
#include "tools/retc-run/BatchCommand.h"
#include "tools/retc-run/BatchSchedule.h"
#include "tools/retc-run/ModelCommands.h"
#include "tools/retc-run/OutputFiles.h"

#include "runtime/FileIO.h"
#include "runtime/model/ModelMemory.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <numeric>

namespace retc::run {

using namespace retc::rt;

int runBatchSchedule(const Package &package, const std::string &weightsPath,
                     const ModelOpenOptions &open,
                     const std::string &schedulePath,
                     const std::string &logitsPath) {
  using Clock = std::chrono::steady_clock;
  const std::string &path = package.path;
  const ModelManifest &manifest = *package.manifest.model;
  if (!manifest.findEntry("decode_batch"))
    return fail(path + ": --batch needs the entry decode_batch (compile the "
                       "package with retc --max-batch=N)");
  int64_t vocab = manifest.config.vocabSize;
  std::vector<uint8_t> bytes;
  if (Error err = readWholeFile(schedulePath, bytes))
    return fail("--batch: " + err.message());
  Expected<std::vector<ScheduledSequence>> read = parseSchedule(
      std::string(bytes.begin(), bytes.end()), schedulePath, vocab);
  if (!read)
    return fail(read.message());
  std::vector<ScheduledSequence> &sequences = *read;
  if (Error err = checkScheduleFits(sequences, manifest.maxBatch,
                                    schedulePath))
    return fail(err.message());
  size_t rows = sequences.back().firstRow + sequences.back().logitRows();
  uint64_t outBytes;
  if (__builtin_mul_overflow(static_cast<uint64_t>(rows),
                             static_cast<uint64_t>(vocab) * sizeof(float),
                             &outBytes) ||
      outBytes > (uint64_t(1) << 40))
    return fail(schedulePath + ": the logits of " + std::to_string(rows) +
                " rows would take more than 2^40 bytes");
  if (Error err = checkHostMemory(outBytes, "the logits of " +
                                                std::to_string(rows) +
                                                " rows"))
    return fail(schedulePath + ": " + err.message());
  std::vector<float> out;
  try {
    out.resize(rows * static_cast<size_t>(vocab));
  } catch (const std::bad_alloc &) {
    return fail(schedulePath + ": out of memory for the logits of " +
                std::to_string(rows) + " rows (" +
                std::to_string(outBytes) + " bytes)");
  }

  Expected<std::unique_ptr<Model>> opened =
      Model::open(path, weightsPath, open);
  if (!opened)
    return fail(opened.message());
  Model &model = **opened;
  Expected<SequenceBatch> made = model.newBatch();
  if (!made)
    return fail(made.message());
  SequenceBatch &batch = *made;
  std::vector<float> stepLogits(model.maxBatch() * static_cast<size_t>(vocab));
  std::vector<int32_t> tokens(model.maxBatch());
  size_t finished = 0, steps = 0, largest = 0, fedRows = 0;
  size_t joinCalls = 0, promptTokens = 0;
  double decodeSeconds = 0.0, prefillSeconds = 0.0;
  // The prompts joining at one step, packed.
  std::vector<int32_t> packed;
  std::vector<size_t> lengths;
  std::vector<uint64_t> ids;
  // The sequences in order of their join step.
  std::vector<size_t> byJoin(sequences.size());
  std::iota(byJoin.begin(), byJoin.end(), size_t(0));
  std::stable_sort(byJoin.begin(), byJoin.end(), [&](size_t a, size_t b) {
    return sequences[a].join < sequences[b].join;
  });
  size_t nextJoin = 0;
  for (int64_t step = 0; finished < sequences.size(); ++step) {
    if (batch.size() == 0) {
      // Nothing to step: on to the next join.
      if (nextJoin == byJoin.size())
        return fail(path + ": internal error: sequences left unfinished");
      step = std::max(step, sequences[byJoin[nextJoin]].join);
    }
    // Joins: the step's prompts prefilled together (packed into one
    // call where the package has prefill_batch), each prompt's last
    // logits the sequence's first row.
    packed.clear();
    lengths.clear();
    ids.clear();
    for (; nextJoin < byJoin.size() &&
           sequences[byJoin[nextJoin]].join == step;
         ++nextJoin) {
      size_t i = byJoin[nextJoin];
      const ScheduledSequence &seq = sequences[i];
      packed.insert(packed.end(), seq.prompt.begin(), seq.prompt.end());
      lengths.push_back(seq.prompt.size());
      ids.push_back(i);
    }
    if (!ids.empty()) {
      size_t first = batch.size();
      auto start = Clock::now();
      if (Error err = model.joinPrompts(batch, packed.data(), lengths.data(),
                                        ids.data(), ids.size(),
                                        stepLogits.data()))
        return fail(err.message());
      prefillSeconds +=
          std::chrono::duration<double>(Clock::now() - start).count();
      joinCalls += model.packsPrompts() ? 1 : ids.size();
      promptTokens += packed.size();
      for (size_t j = 0; j < ids.size(); ++j) {
        const ScheduledSequence &seq = sequences[batch.id(first + j)];
        std::copy_n(stepLogits.data() + j * vocab, vocab,
                    out.data() + seq.firstRow * vocab);
      }
    }
    // One step of every row.
    for (size_t b = 0; b < batch.size(); ++b) {
      ScheduledSequence &seq = sequences[batch.id(b)];
      tokens[b] = seq.fed[seq.done];
    }
    auto start = Clock::now();
    if (Error err = model.decodeBatch(batch, tokens.data(), stepLogits.data()))
      return fail(err.message());
    decodeSeconds +=
        std::chrono::duration<double>(Clock::now() - start).count();
    ++steps;
    largest = std::max(largest, batch.size());
    fedRows += batch.size();
    for (size_t b = 0; b < batch.size(); ++b) {
      ScheduledSequence &seq = sequences[batch.id(b)];
      std::copy_n(stepLogits.data() + b * vocab, vocab,
                  out.data() + (seq.firstRow + 1 + seq.done) * vocab);
      ++seq.done;
    }
    // Leaves, from the last row down, so that the row moved into a hole
    // has been looked at already. Each state is copied out and must be
    // at the position its tokens say.
    for (size_t b = batch.size(); b-- > 0;) {
      ScheduledSequence &seq = sequences[batch.id(b)];
      if (seq.done < seq.fed.size())
        continue;
      SequenceState state = model.newState();
      if (Error err = model.leave(batch, b, &state))
        return fail(err.message());
      int64_t want = static_cast<int64_t>(seq.prompt.size() + seq.fed.size());
      if (state.position() != want)
        return fail(path + ": internal error: sequence of line " +
                    std::to_string(seq.line) + " left at position " +
                    std::to_string(state.position()) + ", expected " +
                    std::to_string(want));
      ++finished;
    }
  }

  NpyOutputSet output;
  if (Error err = output.add(logitsPath,
                             {static_cast<int64_t>(rows), vocab}, out.data()))
    return fail(err.message());
  if (Error err = output.commit())
    return fail(err.message());
  std::printf("batch: %zu sequences, %zu decode_batch steps of up to %zu "
              "rows, %zu rows in %.3f ms (%.1f tokens/s)\n",
              sequences.size(), steps, largest, fedRows, decodeSeconds * 1e3,
              fedRows / std::max(decodeSeconds, 1e-12));
  std::printf("prompts: %zu of %zu tokens in %zu %s calls, %.3f ms (%.1f "
              "tokens/s)\n",
              sequences.size(), promptTokens, joinCalls,
              model.packsPrompts() ? "prefill_batch" : "prefill",
              prefillSeconds * 1e3,
              promptTokens / std::max(prefillSeconds, 1e-12));
  return 0;
}

} // namespace retc::run
