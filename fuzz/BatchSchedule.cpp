//===- BatchSchedule.cpp - fuzzes retc-run --batch's schedule reader ------===//
//
// libFuzzer harness of parseSchedule and checkScheduleFits
// (tools/retc-run/BatchSchedule.h), what `retc-run --batch` reads before it
// opens a model. Oracle: besides the sanitizers, a schedule that reads has
// at least one sequence, every line number increasing, every join in
// [0, 999999999], every id in the vocabulary, each FED list non-empty and
// the output rows laid out back to back (a sequence's: its prompt's last
// token's, then one a FED token); a failure is one line naming the file.
//
//===----------------------------------------------------------------------===//
#include "tools/retc-run/BatchSchedule.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace retc::run;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const int64_t vocab = 1000;
  std::string text(reinterpret_cast<const char *>(data), size);
  auto read = parseSchedule(text, "s.txt", vocab);
  if (!read) {
    const std::string &message = read.message();
    if (message.rfind("s.txt", 0) != 0 ||
        message.find('\n') != std::string::npos)
      std::abort();
    return 0;
  }
  const std::vector<ScheduledSequence> &sequences = *read;
  if (sequences.empty())
    std::abort();
  size_t line = 0, rows = 0;
  for (const ScheduledSequence &seq : sequences) {
    if (seq.line <= line || seq.join < 0 || seq.join > 999999999 ||
        seq.prompt.empty() || seq.fed.empty() || seq.firstRow != rows)
      std::abort();
    for (const std::vector<int32_t> *ids : {&seq.prompt, &seq.fed})
      for (int32_t id : *ids)
        if (id < 0 || id >= vocab)
          std::abort();
    line = seq.line;
    rows += seq.logitRows();
  }
  for (int64_t maxBatch : {int64_t(1), int64_t(4)}) {
    retc::rt::Error fits = checkScheduleFits(sequences, maxBatch, "s.txt");
    if (fits && fits.message().rfind("s.txt:", 0) != 0)
      std::abort();
  }
  return 0;
}
