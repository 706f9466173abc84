//===- BatchCommand.cpp - retc-run --batch: sequences decoded together ----===//
//
// See BatchCommand.h.
//
//===----------------------------------------------------------------------===//
#include "tools/retc-run/BatchCommand.h"
#include "tools/retc-run/ModelCommands.h"
#include "tools/retc-run/OutputFiles.h"

#include "runtime/FileIO.h"
#include "runtime/model/ModelMemory.h"

#include <algorithm>
#include <numeric>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace retc::run {

using namespace retc::rt;

namespace {

/// One line of the schedule.
struct ScheduledSequence {
  size_t line = 0;
  int64_t join = 0;
  std::vector<int32_t> prompt, fed;
  /// Where its first logits row goes in the output.
  size_t firstRow = 0;
  size_t done = 0; ///< FED tokens fed so far
};

/// `line` for a message: at most 60 characters, control characters as
/// '?'.
std::string quoted(const std::string &line) {
  std::string shown = line.size() > 60 ? line.substr(0, 57) + "..." : line;
  for (char &c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return "'" + shown + "'";
}

std::string trim(const std::string &text) {
  const char *space = " \t\r";
  size_t first = text.find_first_not_of(space);
  if (first == std::string::npos)
    return "";
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

/// The ids of `text` (parseTokens syntax), each in [0, vocab); `what`
/// names them in messages.
Expected<std::vector<int32_t>> idsOf(const std::string &text,
                                     const std::string &what, int64_t vocab) {
  Expected<std::vector<int64_t>> parsed = parseTokens(text);
  if (!parsed) {
    // parseTokens speaks of --tokens; here the ids are the line's.
    std::string message = parsed.message();
    if (message.rfind("--tokens: ", 0) == 0)
      message = message.substr(10);
    return Error::failure(what + ": " + message);
  }
  std::vector<int32_t> ids;
  for (size_t i = 0; i < parsed->size(); ++i) {
    int64_t id = (*parsed)[i];
    if (id < 0 || id >= vocab)
      return Error::failure(what + ": token " + std::to_string(i) + " is " +
                            std::to_string(id) +
                            ", outside the vocabulary [0, " +
                            std::to_string(vocab) + ")");
    ids.push_back(static_cast<int32_t>(id));
  }
  return ids;
}

Expected<std::vector<ScheduledSequence>> readSchedule(const std::string &path,
                                                      int64_t vocab) {
  std::vector<uint8_t> bytes;
  if (Error err = readWholeFile(path, bytes))
    return Error::failure("--batch: " + err.message());
  std::string text(bytes.begin(), bytes.end());
  std::vector<ScheduledSequence> sequences;
  size_t lineNumber = 0, rows = 0;
  // Lines end at "\n", "\r\n" or a lone "\r".
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find_first_of("\r\n", start);
    if (end == std::string::npos)
      end = text.size();
    std::string line = trim(text.substr(start, end - start));
    start = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
    ++lineNumber;
    if (line.empty() || line[0] == '#')
      continue;
    std::string at = path + ":" + std::to_string(lineNumber);
    size_t colon = line.find(':'), bar = line.find('|');
    if (colon == std::string::npos || bar == std::string::npos || bar < colon)
      return Error::failure(at + ": expected 'JOIN: PROMPT | FED' (e.g. "
                                 "'0: 5,17,3 | 8,9'), got " +
                            quoted(line));
    ScheduledSequence seq;
    seq.line = lineNumber;
    std::string join = trim(line.substr(0, colon));
    size_t digits = join.find_first_not_of('0');
    std::string significant =
        digits == std::string::npos ? "0" : join.substr(digits);
    if (join.empty() || significant.size() > 9 ||
        join.find_first_not_of("0123456789") != std::string::npos)
      return Error::failure(at + ": the join step is " + quoted(join) +
                            ", not an integer in [0, 999999999]");
    seq.join = std::stoll(significant);
    Expected<std::vector<int32_t>> prompt =
        idsOf(trim(line.substr(colon + 1, bar - colon - 1)), at + ": PROMPT",
              vocab);
    if (!prompt)
      return prompt.error();
    Expected<std::vector<int32_t>> fed =
        idsOf(trim(line.substr(bar + 1)), at + ": FED", vocab);
    if (!fed)
      return fed.error();
    seq.prompt = prompt.take();
    seq.fed = fed.take();
    seq.firstRow = rows;
    rows += seq.fed.size();
    sequences.push_back(std::move(seq));
  }
  if (sequences.empty())
    return Error::failure(path + ": no sequences (one 'JOIN: PROMPT | FED' "
                                 "a line)");
  return sequences;
}

} // namespace

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
  Expected<std::vector<ScheduledSequence>> read =
      readSchedule(schedulePath, vocab);
  if (!read)
    return fail(read.message());
  std::vector<ScheduledSequence> &sequences = *read;
  // Sequence i is in the batch during steps [join, join + |FED|): a sweep
  // over the joins and leaves in step order (leaves of a step first) finds
  // the first join that would overfill it.
  struct Event {
    int64_t step;
    int delta; ///< -1 a leave, +1 a join
    size_t line;
  };
  std::vector<Event> events;
  for (const ScheduledSequence &seq : sequences) {
    events.push_back({seq.join, +1, seq.line});
    events.push_back(
        {seq.join + static_cast<int64_t>(seq.fed.size()), -1, seq.line});
  }
  std::sort(events.begin(), events.end(), [](const Event &a, const Event &b) {
    return a.step != b.step ? a.step < b.step
           : a.delta != b.delta ? a.delta < b.delta
                                : a.line < b.line;
  });
  int64_t inBatch = 0;
  for (const Event &event : events)
    if ((inBatch += event.delta) > manifest.maxBatch)
      return fail(schedulePath + ":" + std::to_string(event.line) +
                  ": at step " + std::to_string(event.step) + " the batch "
                  "would hold " + std::to_string(inBatch) +
                  " sequences, more than the package's max_batch (" +
                  std::to_string(manifest.maxBatch) + ")");
  size_t rows = sequences.back().firstRow + sequences.back().fed.size();
  uint64_t outBytes;
  if (__builtin_mul_overflow(static_cast<uint64_t>(rows),
                             static_cast<uint64_t>(vocab) * sizeof(float),
                             &outBytes) ||
      outBytes > (uint64_t(1) << 40))
    return fail(schedulePath + ": the logits of " + std::to_string(rows) +
                " fed tokens would take more than 2^40 bytes");
  uint64_t physical = hostPhysicalMemory();
  if (physical && outBytes > physical)
    return fail(schedulePath + ": the logits of " + std::to_string(rows) +
                " fed tokens would take " + formatBytes(outBytes) +
                ", more than this machine's " + formatBytes(physical) +
                " of memory");
  std::vector<float> out;
  try {
    out.resize(rows * static_cast<size_t>(vocab));
  } catch (const std::bad_alloc &) {
    return fail(schedulePath + ": out of memory for the logits of " +
                std::to_string(rows) + " fed tokens (" +
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
  std::vector<float> promptLogits(static_cast<size_t>(vocab));
  std::vector<float> stepLogits(model.maxBatch() * static_cast<size_t>(vocab));
  std::vector<int32_t> tokens(model.maxBatch());
  size_t finished = 0, steps = 0, largest = 0, fedRows = 0;
  double decodeSeconds = 0.0;
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
    // Joins: each prompt on its own state, then into the batch.
    for (; nextJoin < byJoin.size() &&
           sequences[byJoin[nextJoin]].join == step;
         ++nextJoin) {
      size_t i = byJoin[nextJoin];
      ScheduledSequence &seq = sequences[i];
      SequenceState state = model.newState();
      if (Error err = model.prefill(state, seq.prompt, promptLogits.data(),
                                    /*allLogits=*/false))
        return fail(err.message());
      if (Error err = model.join(batch, state, i))
        return fail(err.message());
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
                  out.data() + (seq.firstRow + seq.done) * vocab);
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
  return 0;
}

} // namespace retc::run
