//===- CpuModel.h - A model's entries on the host CPU -----------*- C++ -*-===//
//
// Internal to runtime/model: the ModelBackend of a cpu model package. It
// checks the host CPU's features, loads the shared object (as CPU kernels
// are loaded, CpuKernel.h), compares its record of what it was compiled
// for with the manifest's model section, looks up every entry's
// retc_model_<entry> symbol, and calls them on host buffers.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_CPUMODEL_H
#define RETC_RUNTIME_MODEL_CPUMODEL_H

#include "runtime/KernelABI.h"
#include "runtime/model/ModelBackend.h"
#include "runtime/model/ModelWeights.h"
#include "runtime/package/Package.h"

#include <functional>
#include <map>
#include <memory>

namespace retc::rt {

class CpuModel : public ModelBackend {
public:
  /// Loads the code of `package` (a cpu model) to run on `weights`; both
  /// must outlive the CpuModel.
  static Expected<std::unique_ptr<CpuModel>> load(const Package &package,
                                                  const BoundWeights &weights);

  bool hasEntry(std::string_view name) const override;
  int64_t maxTokens() const override { return 0; }
  Error run(std::string_view name, ModelStep &step) override;

private:
  CpuModel(const BoundWeights &weights, int64_t vocab)
      : weights(weights), vocab(vocab) {}

  const BoundWeights &weights;
  int64_t vocab;
  /// Entry name -> function.
  std::map<std::string, retc_model_entry_fn, std::less<>> entries;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_CPUMODEL_H
