//===- Model.cpp - Run a compiled RetNet model ------------------*- C++ -*-===//
//
// See Model.h. Checks happen in this order, so that bad data is reported
// before any code is loaded: the package, its `model` section, the
// checkpoint's header, the tensors against the manifest, the host CPU, then
// the shared object and its entry symbols.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/Model.h"

#include "runtime/cpu/CpuKernel.h"
#include "runtime/cpu/CpuRunner.h"
#include "runtime/model/Safetensors.h"
#include "runtime/package/CompiledFor.h"

#include <dlfcn.h>

#include <limits>
#include <new>

namespace retc::rt {

Model::~Model() = default;

/// The package at `path`, which must hold a model.
static Expected<Package> readModelPackage(const std::string &path) {
  Expected<Package> package = readPackage(path);
  if (package && !package->manifest.model)
    return Error::atFile(path, "package has no 'model' section (a kernel "
                               "package: run its kernels with Session)");
  return package;
}

Expected<std::unique_ptr<Model>> Model::open(const std::string &packagePath,
                                             const std::string &weightsPath) {
  Expected<Package> package = readModelPackage(packagePath);
  if (!package)
    return package.error();
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::open(weightsPath);
  if (!file)
    return file.error();
  std::vector<WeightSource> sources;
  for (const SafetensorsTensor &tensor : (*file)->tensors())
    sources.push_back({tensor.name, tensor.dtype, tensor.shape, tensor.data});
  return openWith(package.take(), file.take(), sources, weightsPath);
}

Expected<std::unique_ptr<Model>> Model::open(const std::string &packagePath,
                                             const WeightMap &weights) {
  Expected<Package> package = readModelPackage(packagePath);
  if (!package)
    return package.error();
  std::vector<WeightSource> sources;
  for (const auto &[name, view] : weights) {
    if (!view.data)
      return Error::atFile("weights", "tensor '" + name + "' has no data");
    sources.push_back({name, view.dtype, view.shape, view.data});
  }
  return openWith(package.take(), nullptr, sources, "weights");
}

Expected<std::unique_ptr<Model>>
Model::openWith(Package package, std::unique_ptr<SafetensorsFile> file,
                const std::vector<WeightSource> &sources,
                const std::string &weightsName) {
  std::unique_ptr<Model> model(new Model());
  model->pkg = std::move(package);
  model->weightsFile = std::move(file);
  const ModelManifest &manifest = *model->pkg.manifest.model;
  try {
    Expected<BoundWeights> bound = bindWeights(manifest, sources, weightsName);
    if (!bound)
      return bound.error();
    model->weights = bound.take();
  } catch (const std::bad_alloc &) {
    return Error::atFile(weightsName,
                         "out of memory converting the weights to the "
                         "model's dtype");
  }

  const Package &pkg = model->pkg;
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
  for (const ModelEntryDesc &entry : manifest.entries) {
    ::dlerror();
    void *address = ::dlsym(*handle, entry.symbol.c_str());
    if (!address)
      return Error::failure(context + " does not export the entry symbol '" +
                            entry.symbol + "' (entry '" + entry.name + "')");
    model->entries.emplace(entry.name,
                           reinterpret_cast<retc_model_entry_fn>(address));
  }
  // The library stays loaded until the process exits, as CPU kernels do
  // (CpuKernel.cpp: OpenMP worker threads may outlive a dlclose).
  return model;
}

bool Model::hasEntry(std::string_view name) const {
  return entries.find(name) != entries.end();
}

Error Model::call(std::string_view name, SequenceState &state,
                  const int32_t *tokens, size_t count, float *logits,
                  bool allLogits) {
  std::string where = std::string(name) + ": ";
  auto entry = entries.find(name);
  if (entry == entries.end()) {
    std::string names;
    for (const auto &[known, fn] : entries)
      names += (names.empty() ? "" : ", ") + known;
    return Error::atFile(pkg.path, "the model has no '" + std::string(name) +
                                       "' entry (its entries: " + names + ")");
  }
  if (count == 0)
    return Error::atFile(pkg.path, where + "no tokens (need at least 1)");
  if (!tokens || !logits)
    return Error::atFile(pkg.path, where + "null token or logits buffer");
  if (state.shape() != stateShape())
    return Error::atFile(
        pkg.path, where + "the state has shape " + formatShape(state.shape()) +
                      " but the model's is " + formatShape(stateShape()));
  int64_t vocab = vocabSize();
  for (size_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= vocab)
      return Error::atFile(pkg.path, where + "token " + std::to_string(i) +
                                         " is " + std::to_string(tokens[i]) +
                                         ", outside the vocabulary [0, " +
                                         std::to_string(vocab) + ")");

  if (state.position() > std::numeric_limits<int64_t>::max() -
                             static_cast<int64_t>(count))
    return Error::atFile(pkg.path, where + "the sequence position " +
                                       std::to_string(state.position()) +
                                       " would overflow");

  retc_model_call args;
  args.weights = weights.pointers.data();
  args.tokens = tokens;
  args.num_tokens = static_cast<int64_t>(count);
  args.position = state.position();
  args.state = state.data();
  args.logits = logits;
  args.all_logits = allLogits ? 1 : 0;
  entry->second(&args);
  state.nextPosition += static_cast<int64_t>(count);
  return Error::success();
}

Error Model::prefill(SequenceState &state, const int32_t *tokens, size_t count,
                     float *logits, bool allLogits) {
  return call("prefill", state, tokens, count, logits, allLogits);
}

Error Model::decode(SequenceState &state, int32_t token, float *logits) {
  return call("decode", state, &token, 1, logits, false);
}

Error Model::forward(SequenceState &state, const int32_t *tokens, size_t count,
                     float *logits) {
  return call("forward", state, tokens, count, logits, true);
}

Error Model::logitsOfAll(SequenceState &state, const int32_t *tokens,
                         size_t count, float *logits) {
  if (count <= kParallelMaxTokens)
    return forward(state, tokens, count, logits);
  return prefill(state, tokens, count, logits, /*allLogits=*/true);
}

} // namespace retc::rt
