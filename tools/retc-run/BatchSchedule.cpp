//===- BatchSchedule.cpp - retc-run --batch's schedule files --------------===//
//
// See BatchSchedule.h.
//
//===----------------------------------------------------------------------===//
#include "tools/retc-run/BatchSchedule.h"
#include "tools/retc-run/TokenList.h"

#include <algorithm>

namespace retc::run {

using namespace retc::rt;

namespace {

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

} // namespace

Expected<std::vector<ScheduledSequence>>
parseSchedule(const std::string &text, const std::string &path,
              int64_t vocab) {
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
    rows += 1 + seq.fed.size();
    sequences.push_back(std::move(seq));
  }
  if (sequences.empty())
    return Error::failure(path + ": no sequences (one 'JOIN: PROMPT | FED' "
                                 "a line)");
  return sequences;
}

Error checkScheduleFits(const std::vector<ScheduledSequence> &sequences,
                        int64_t maxBatch, const std::string &path) {
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
    if ((inBatch += event.delta) > maxBatch)
      return Error::failure(path + ":" + std::to_string(event.line) +
                  ": at step " + std::to_string(event.step) + " the batch "
                  "would hold " + std::to_string(inBatch) +
                  " sequences, more than the package's max_batch (" +
                  std::to_string(maxBatch) + ")");
  return Error::success();
}

} // namespace retc::run
