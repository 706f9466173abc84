//===- CpuModel.cpp - A model's entries on the host CPU ---------*- C++ -*-===//
//
// See CpuModel.h. The library stays loaded until the process exits, as CPU
// kernels do (CpuKernel.cpp: OpenMP worker threads may outlive a dlclose).
//
//===----------------------------------------------------------------------===//
#include "runtime/model/CpuModel.h"

#include "runtime/cpu/CpuKernel.h"
#include "runtime/cpu/CpuRunner.h"
#include "runtime/package/CompiledFor.h"

#include <dlfcn.h>

namespace retc::rt {

Expected<std::unique_ptr<CpuModel>>
CpuModel::load(const Package &pkg, const BoundWeights &weights) {
  const ModelManifest &manifest = *pkg.manifest.model;
  if (Error err = checkHostCpuFeatures(pkg))
    return err;
  const BlobDesc *blob = pkg.manifest.findBlob(manifest.blob);
  std::string context = pkg.path + ": blob '" + blob->name + "' of the model";
  Expected<void *> handle =
      loadSharedObject(pkg.blobData(*blob), blob->size, context);
  if (!handle)
    return handle.error();
  Expected<std::string> recorded = readCompiledFor(*handle, context);
  if (!recorded)
    return recorded.error();
  if (Error err = checkCompiledFor(
          describeCompiledFor(pkg.manifest, blob->name), *recorded, context))
    return err;
  std::unique_ptr<CpuModel> model(new CpuModel(weights));
  for (const ModelEntryDesc &entry : manifest.entries) {
    ::dlerror();
    void *address = ::dlsym(*handle, entry.symbol.c_str());
    if (!address)
      return Error::failure(context + " does not export the entry symbol '" +
                            entry.symbol + "' (entry '" + entry.name + "')");
    model->entries.emplace(entry.name,
                           reinterpret_cast<retc_model_entry_fn>(address));
  }
  return model;
}

bool CpuModel::hasEntry(std::string_view name) const {
  return entries.find(name) != entries.end();
}

Error CpuModel::run(std::string_view name, ModelStep &step) {
  retc_model_call args;
  args.weights = weights.pointers.data();
  args.tokens = step.tokens;
  args.num_tokens = step.count;
  args.position = step.position;
  args.state = step.state;
  args.logits = step.logits;
  args.all_logits = step.allLogits ? 1 : 0;
  step.ran = true;
  entries.find(name)->second(&args);
  return Error::success();
}

} // namespace retc::rt
