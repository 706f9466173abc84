//===- ModelCommands.h - retc-run on a model package ------------*- C++ -*-===//
//
// What retc-run does with a package that has a `model` section: logits of a
// token sequence (prefill, decode, forward) written as .npy, or greedy /
// sampled generation with throughput (docs/retc-run.md, "Models").
// retc-run.cpp parses the command line; this file checks the model flags and
// runs them.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_RETC_RUN_MODELCOMMANDS_H
#define RETC_TOOLS_RETC_RUN_MODELCOMMANDS_H

#include "runtime/package/Package.h"
#include "tools/retc-run/TokenList.h"
#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retc::run {

/// The model flags as given on the command line; `has*` says whether a flag
/// appeared at all.
struct ModelOptions {
  std::string weights;
  std::string tokens;
  std::string logits;
  /// --batch: a schedule of sequences (BatchCommand.h).
  std::string batch;
  int64_t decodeFrom = 0;
  int64_t generate = 0;
  double temperature = 0.0;
  int64_t topK = 0;
  uint64_t seed = 0;
  bool hasWeights = false, hasTokens = false, hasLogits = false,
       hasDecodeFrom = false, hasGenerate = false, hasTemperature = false,
       hasTopK = false, hasSeed = false, hasBatch = false;
  /// --report-memory: print the model's memory plan and exit.
  bool reportMemory = false;

  /// The first model flag given ("--weights", ...), or nullptr if none.
  const char *firstGiven() const;
};


/// `--tokens @FILE`: replaces `options.tokens` by FILE's contents, the same
/// comma-separated ids, whitespace around them ignored. One command-line
/// argument holds at most 128 KiB on Linux, about 40,000 ids; a file holds
/// any number. Does nothing when the ids do not start with '@'.
rt::Error readTokensFile(ModelOptions &options);

/// The checks that need no package: combinations of the model flags
/// (--top-k and --seed only with --temperature > 0), the token list's
/// syntax, --decode-from within [1, T], --temperature finite and
/// non-negative.
rt::Error checkModelFlags(const ModelOptions &options);

/// Runs the model command on `package` (which has a `model` section) on
/// CUDA device `device` (a cuda model; -1: $RETC_DEVICE, else 0). Prints
/// its output; returns the process exit status (errors through `fail`).
int runModelCommand(const rt::Package &package, const ModelOptions &options,
                    int device, bool describe);

/// Prints every line of `message` as `retc-run: error: <line>`; returns 1.
int fail(const std::string &message);

} // namespace retc::run

#endif // RETC_TOOLS_RETC_RUN_MODELCOMMANDS_H
