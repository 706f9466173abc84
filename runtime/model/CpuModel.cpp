//===- CpuModel.cpp - A model's entries on the host CPU ---------*- C++ -*-===//
//
// See CpuModel.h. The library stays loaded until the process exits, as CPU
// kernels do (CpuKernel.cpp: OpenMP worker threads may outlive a dlclose).
//
//===----------------------------------------------------------------------===//
#include "runtime/model/CpuModel.h"

#include "runtime/cpu/CpuKernel.h"
#include "runtime/cpu/CpuRunner.h"
#include "runtime/model/Model.h"
#include "runtime/model/ModelCode.h"

#include <cstdlib>
#include <malloc.h>


namespace retc::rt {

namespace {
/// The generated CPU code allocates each call's activations with malloc
/// (docs/runtime.md, "Memory"). Under glibc's defaults a buffer of a few
/// MB (a batched step's state slices, a prompt's rows) is a fresh mmap
/// each time, or heap the next free returns to the system: either way
/// every call faults its pages in again (a batched decode of 12 sequences
/// of the 1024x12 model spent half its time there, 193 ms a step against
/// 96). Once, when the first CPU model loads, raise the mmap threshold to
/// its maximum (32 MB) and keep freed heap (trim threshold 1 GB), unless
/// the process set them itself through glibc's environment variables.
void keepActivationMemory() {
  static const bool done = [] {
    if (!std::getenv("MALLOC_MMAP_THRESHOLD_"))
      mallopt(M_MMAP_THRESHOLD, 32 << 20);
    if (!std::getenv("MALLOC_TRIM_THRESHOLD_"))
      mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)done;
}
} // namespace

Expected<std::unique_ptr<CpuModel>>
CpuModel::load(const Package &pkg, const BoundWeights &weights) {
  keepActivationMemory();
  if (Error err = checkHostCpuFeatures(pkg))
    return err;
  Expected<std::vector<std::pair<std::string, void *>>> entries =
      loadModelEntries(pkg);
  if (!entries)
    return entries.error();
  std::unique_ptr<CpuModel> model(
      new CpuModel(weights, pkg.manifest.model->config.vocabSize));
  for (const auto &[name, address] : *entries)
    model->entries.emplace(name,
                           reinterpret_cast<retc_model_entry_fn>(address));
  return model;
}

bool CpuModel::hasEntry(std::string_view name) const {
  return entries.find(name) != entries.end();
}

Error CpuModel::run(std::string_view name, ModelStep &step) {
  // decode_batch and prefill_batch may be asked for the next tokens
  // alone: their logits then go to scratch memory, and the tokens are
  // chosen here from them.
  std::vector<float> scratch;
  float *logits = step.logits;
  if (!logits) {
    scratch.resize(static_cast<size_t>(step.logitRows()) *
                   static_cast<size_t>(vocab));
    logits = scratch.data();
  }
  retc_model_call args;
  args.weights = weights.pointers.data();
  args.tokens = step.tokens;
  args.num_tokens = step.count;
  args.position = step.position;
  args.state = step.state;
  args.logits = logits;
  args.all_logits = step.allLogits ? 1 : 0;
  args.positions = step.rowPositions;
  args.num_sequences = step.numSequences;
  args.sequence_offsets = step.sequenceOffsets;
  step.ran = true;
  entries.find(name)->second(&args);
  if (step.nextTokens)
    for (int64_t row = 0; row < step.logitRows(); ++row)
      step.nextTokens[row] = static_cast<int32_t>(
          nextTokenSkippingNaN(logits + row * vocab, vocab));
  return Error::success();
}

} // namespace retc::rt
