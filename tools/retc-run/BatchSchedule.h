//===- BatchSchedule.h - retc-run --batch's schedule files ------*- C++ -*-===//
//
// The schedule of `retc-run --batch` (BatchCommand.h): one sequence a line,
// `JOIN: PROMPT | FED` (lines end in "\n", "\r\n" or "\r"; blank lines
// and lines starting with '#' are skipped). Read apart from running it so
// that the fuzzer (fuzz/BatchSchedule.cpp) reads it as retc-run does.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_RETC_RUN_BATCHSCHEDULE_H
#define RETC_TOOLS_RETC_RUN_BATCHSCHEDULE_H

#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace retc::run {

/// One line of the schedule.
struct ScheduledSequence {
  size_t line = 0;
  int64_t join = 0; ///< in [0, 999999999]
  std::vector<int32_t> prompt, fed; ///< each at least one id
  /// Where its first logits row (its prompt's last token's) goes in the
  /// output: 1 + the FED length of each line before.
  size_t firstRow = 0;
  /// Its rows of logits: the prompt's last token's, then a FED token's
  /// each.
  size_t logitRows() const { return 1 + fed.size(); }
  size_t done = 0; ///< FED tokens fed so far (while running)
};

/// The sequences of schedule `text` (of file `path`, for messages), every
/// id in [0, vocab); at least one. Each problem is one line "PATH:LINE:
/// ..." showing at most 60 characters of the line.
rt::Expected<std::vector<ScheduledSequence>>
parseSchedule(const std::string &text, const std::string &path,
              int64_t vocab);

/// Fails with "PATH:LINE: at step S the batch would hold N sequences, more
/// than the package's max_batch (M)" where some step has more than
/// `maxBatch` sequences in the batch (sequence i is there in steps [join,
/// join + |FED|)).
rt::Error checkScheduleFits(const std::vector<ScheduledSequence> &sequences,
                            int64_t maxBatch, const std::string &path);

} // namespace retc::run

#endif // RETC_TOOLS_RETC_RUN_BATCHSCHEDULE_H
