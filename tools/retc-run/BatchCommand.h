//===- BatchCommand.h - retc-run --batch: sequences decoded together -*- C++ -*-===//
//
// `retc-run MODEL.retpkg --weights W --batch SCHEDULE --logits OUT.npy`
// runs a schedule of sequences the way a serving loop does, through
// Model::decodeBatch (a model package compiled with retc --max-batch=N).
// SCHEDULE holds one sequence a line (blank lines and lines starting with
// '#' are skipped):
//
//   JOIN: PROMPT | FED       e.g.   0: 5,17,3 | 8,9,10
//
// At step JOIN (0, 1, ...) the sequence's PROMPT is prefilled on its own
// state, which then joins the batch; each step feeds every sequence in the
// batch its next FED token in one decode_batch call; a sequence leaves
// (its state copied out) after its last FED token. OUT.npy receives
// float32 [sum of the FED lengths, vocab]: the logits after each FED
// token, the sequences in file order. docs/retc-run.md, "Batches".
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_RETC_RUN_BATCHCOMMAND_H
#define RETC_TOOLS_RETC_RUN_BATCHCOMMAND_H

#include "runtime/model/Model.h"

#include <string>

namespace retc::run {

/// Reads the schedule in file `schedulePath` and checks it against
/// `package` (the entry, the vocabulary, at most max_batch sequences at any
/// step) before opening the model with the checkpoint `weightsPath`; runs
/// it, writes the logits to `logitsPath` and prints a summary line.
/// Returns the exit status (errors through `fail`: "SCHEDULE:LINE: ..."
/// for the file's problems).
int runBatchSchedule(const rt::Package &package,
                     const std::string &weightsPath,
                     const rt::ModelOpenOptions &open,
                     const std::string &schedulePath,
                     const std::string &logitsPath);

} // namespace retc::run

#endif // RETC_TOOLS_RETC_RUN_BATCHCOMMAND_H
