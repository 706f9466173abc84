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


namespace retc::rt {

Expected<std::unique_ptr<CpuModel>>
CpuModel::load(const Package &pkg, const BoundWeights &weights) {
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
  // decode_batch may be asked for the next tokens alone: its logits then
  // go to scratch memory, and the tokens are chosen here from them.
  std::vector<float> scratch;
  float *logits = step.logits;
  if (!logits) {
    scratch.resize(static_cast<size_t>(step.count) *
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
  step.ran = true;
  entries.find(name)->second(&args);
  if (step.nextTokens)
    for (int64_t row = 0; row < step.count; ++row)
      step.nextTokens[row] = static_cast<int32_t>(
          nextTokenSkippingNaN(logits + row * vocab, vocab));
  return Error::success();
}

} // namespace retc::rt
