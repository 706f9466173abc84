//===- ModelManifest.cpp - The manifest's model section ---------*- C++ -*-===//
//
// The `model` section of a manifest (docs/package-format.md, "Model
// packages"): parsing it with the field paths of ManifestReader.h, the
// semantic checks (config, weights, state, entries; for a cuda model its
// host target, kernel module, kernels, max tokens and arena), and writing it
// back as JSON.
//
//===----------------------------------------------------------------------===//
#include "runtime/KernelABI.h"
#include "runtime/package/ManifestReader.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <utility>

namespace retc::rt::manifest {

namespace {

/// A number array member (e.g. `decay`).
bool getNumbers(FieldReader &reader, const Json &object,
                const std::string &path, const char *key,
                std::vector<double> &out) {
  const Json *array = reader.getArray(object, path, key);
  if (!array)
    return false;
  std::string arrayPath = FieldReader::join(path, key);
  for (size_t i = 0; i < array->size(); ++i) {
    double value;
    if (!reader.asNumber((*array)[i], FieldReader::at(arrayPath, i), value))
      return false;
    out.push_back(value);
  }
  return true;
}

bool parseModelConfig(FieldReader &reader, const Json &value,
                      const std::string &path, ModelConfigDesc &config) {
  if (!reader.asObject(value, path))
    return false;
  if (const Json *name = reader.member(value, path, "name",
                                      /*required=*/false))
    if (!reader.asString(*name, FieldReader::join(path, "name"), config.name))
      return false;
  std::pair<const char *, int64_t *> sizes[] = {
      {"hidden_size", &config.hiddenSize},
      {"num_hidden_layers", &config.numLayers},
      {"num_heads", &config.numHeads},
      {"num_kv_heads", &config.numKVHeads},
      {"head_k_dim", &config.headKDim},
      {"head_v_dim", &config.headVDim},
      {"intermediate_size", &config.intermediateSize},
      {"vocab_size", &config.vocabSize}};
  for (auto [key, out] : sizes)
    if (!reader.getInt(value, path, key, *out))
      return false;
  std::pair<const char *, double *> numbers[] = {
      {"norm_eps", &config.normEps}, {"rotary_base", &config.rotaryBase}};
  for (auto [key, out] : numbers) {
    const Json *member = reader.member(value, path, key);
    if (!member ||
        !reader.asNumber(*member, FieldReader::join(path, key), *out))
      return false;
  }
  std::pair<const char *, bool *> flags[] = {
      {"tie_word_embeddings", &config.tieWordEmbeddings},
      {"use_output_gate", &config.useOutputGate}};
  for (auto [key, out] : flags) {
    const Json *member = reader.member(value, path, key);
    if (!member || !reader.asBool(*member, FieldReader::join(path, key), *out))
      return false;
  }
  if (const Json *layout =
          reader.member(value, path, "rotary_layout", /*required=*/false)) {
    std::string where = FieldReader::join(path, "rotary_layout");
    if (!reader.asString(*layout, where, config.rotaryLayout))
      return false;
    if (config.rotaryLayout != "rotate_half" &&
        config.rotaryLayout != "interleaved")
      return reader.fail("manifest field '" + where +
                         "' must be \"rotate_half\" or \"interleaved\", "
                         "not \"" + config.rotaryLayout + "\"");
  }
  return getNumbers(reader, value, path, "decay", config.decay);
}

bool parseModelEntry(FieldReader &reader, const Json &value,
                     const std::string &path, ModelEntryDesc &entry) {
  if (!reader.asObject(value, path) ||
      !reader.getString(value, path, "name", entry.name) ||
      !reader.getString(value, path, "symbol", entry.symbol))
    return false;
  return getFormAndChunk(reader, value, path, entry.form, entry.chunkSize);
}


/// The fields of a cuda model only.
constexpr const char *kCudaModelFields[] = {
    "host_target", "kernels_blob", "kernels", "max_tokens", "arena_bytes"};

/// A cuda model's host_target, kernels_blob, kernels, max_tokens and
/// arena_bytes, each required; a cpu model has none of them.
bool parseGpuModelFields(FieldReader &reader, const Json &value,
                         TargetKind target, ModelManifest &model) {
  const std::string path = "model";
  if (target != TargetKind::Cuda) {
    for (const char *key : kCudaModelFields)
      if (reader.member(value, path, key, /*required=*/false))
        return reader.fail("manifest field '" + FieldReader::join(path, key) +
                           "' is only valid for cuda models (this package "
                           "targets cpu)");
    return true;
  }
  // Present, else "missing ... (required for cuda models)".
  auto required = [&](const char *key) -> const Json * {
    const Json *member = reader.member(value, path, key, /*required=*/false);
    if (!member)
      reader.fail("manifest is missing field '" + FieldReader::join(path, key) +
                  "' (required for cuda models)");
    return member;
  };
  const Json *host = required("host_target");
  std::string hostPath = FieldReader::join(path, "host_target");
  if (!host || !reader.asObject(*host, hostPath))
    return false;
  model.hostTarget.emplace();
  if (!parseCpuTarget(reader, *host, hostPath, *model.hostTarget))
    return false;

  const Json *kernelsBlob = required("kernels_blob");
  if (!kernelsBlob ||
      !reader.asString(*kernelsBlob, FieldReader::join(path, "kernels_blob"),
                       model.kernelsBlob))
    return false;

  const Json *kernels = required("kernels");
  std::string kernelsPath = FieldReader::join(path, "kernels");
  if (!kernels || !reader.asArray(*kernels, kernelsPath))
    return false;
  for (size_t i = 0; i < kernels->size(); ++i) {
    const Json &item = (*kernels)[i];
    std::string itemPath = FieldReader::at(kernelsPath, i);
    ModelKernelDesc kernel;
    if (!reader.asObject(item, itemPath) ||
        !reader.getString(item, itemPath, "entry", kernel.entry) ||
        !reader.getInt(item, itemPath, "shared_bytes", kernel.sharedBytes))
      return false;
    model.kernels.push_back(std::move(kernel));
  }

  std::pair<const char *, int64_t *> sizes[] = {
      {"max_tokens", &model.maxTokens}, {"arena_bytes", &model.arenaBytes}};
  for (auto [key, out] : sizes) {
    const Json *member = required(key);
    if (!member || !reader.asInt(*member, FieldReader::join(path, key), *out))
      return false;
  }
  return true;
}

} // namespace

bool parseModel(FieldReader &reader, const Json &value, TargetKind target,
                ModelManifest &model) {
  const std::string path = "model";
  if (!reader.asObject(value, path) ||
      !reader.getString(value, path, "blob", model.blob))
    return false;
  const Json *config = reader.member(value, path, "config");
  if (!config ||
      !parseModelConfig(reader, *config, FieldReader::join(path, "config"),
                        model.config))
    return false;

  const Json *weights = reader.getArray(value, path, "weights");
  if (!weights)
    return false;
  std::string weightsPath = FieldReader::join(path, "weights");
  for (size_t i = 0; i < weights->size(); ++i) {
    const Json &item = (*weights)[i];
    std::string itemPath = FieldReader::at(weightsPath, i);
    WeightDesc weight;
    if (!reader.asObject(item, itemPath) ||
        !reader.getString(item, itemPath, "name", weight.name) ||
        !reader.getDType(item, itemPath, weight.dtype) ||
        !reader.getShape(item, itemPath, weight.shape))
      return false;
    model.weights.push_back(std::move(weight));
  }

  const Json *state = reader.getObject(value, path, "state");
  std::string statePath = FieldReader::join(path, "state");
  if (!state || !reader.getDType(*state, statePath, model.stateDType) ||
      !reader.getShape(*state, statePath, model.stateShape))
    return false;

  const Json *entries = reader.getArray(value, path, "entries");
  if (!entries)
    return false;
  std::string entriesPath = FieldReader::join(path, "entries");
  for (size_t i = 0; i < entries->size(); ++i) {
    ModelEntryDesc entry;
    if (!parseModelEntry(reader, (*entries)[i], FieldReader::at(entriesPath, i),
                         entry))
      return false;
    model.entries.push_back(std::move(entry));
  }
  // Optional: absent, no decode_batch entry.
  if (const Json *batch =
          reader.member(value, path, "max_batch", /*required=*/false))
    if (!reader.asInt(*batch, FieldReader::join(path, "max_batch"),
                      model.maxBatch))
      return false;
  return parseGpuModelFields(reader, value, target, model);
}

namespace {

/// A dimension list: every dimension positive, at most 2^40 elements.
bool verifyDims(FieldReader &reader, const std::vector<int64_t> &shape,
                const std::string &path) {
  int64_t elements = 1;
  for (int64_t dim : shape) {
    if (dim <= 0)
      return reader.fail(
          "manifest field '" + path +
          "' has a non-positive dimension: " + formatShape(shape));
    if (__builtin_mul_overflow(elements, dim, &elements) ||
        elements > kMaxElements)
      return reader.fail("manifest field '" + path + "' " + formatShape(shape) +
                         " has too many elements (at most 2^40)");
  }
  return true;
}

bool verifyModelConfig(FieldReader &reader, const ModelConfigDesc &config,
                       const std::string &path) {
  auto field = [&](const char *key) { return FieldReader::join(path, key); };
  std::pair<const char *, int64_t> sizes[] = {
      {"hidden_size", config.hiddenSize},
      {"num_hidden_layers", config.numLayers},
      {"num_heads", config.numHeads},
      {"num_kv_heads", config.numKVHeads},
      {"head_k_dim", config.headKDim},
      {"head_v_dim", config.headVDim},
      {"intermediate_size", config.intermediateSize},
      {"vocab_size", config.vocabSize}};
  for (auto [key, size] : sizes)
    if (size <= 0 || size > (int64_t(1) << 31))
      return reader.fail("manifest field '" + field(key) +
                         "' must be in [1, 2^31], not " + std::to_string(size));
  if (config.numHeads % config.numKVHeads != 0)
    return reader.fail("manifest field '" + field("num_kv_heads") + "' is " +
                       std::to_string(config.numKVHeads) +
                       ", which does not divide num_heads (" +
                       std::to_string(config.numHeads) + ")");
  if (config.headKDim % 2 != 0)
    return reader.fail("manifest field '" + field("head_k_dim") + "' is " +
                       std::to_string(config.headKDim) +
                       ", not even (rotary embeddings pair its halves)");
  std::pair<const char *, double> positives[] = {
      {"norm_eps", config.normEps}, {"rotary_base", config.rotaryBase}};
  for (auto [key, value] : positives)
    if (!(std::isfinite(value) && value > 0.0)) {
      char text[32];
      std::snprintf(text, sizeof(text), "%g", value);
      return reader.fail("manifest field '" + field(key) + "' is " + text +
                         ", expected a finite positive number");
    }
  if (static_cast<int64_t>(config.decay.size()) != config.numHeads)
    return reader.fail("manifest field '" + field("decay") + "' has " +
                       std::to_string(config.decay.size()) +
                       " values, expected one per head (num_heads = " +
                       std::to_string(config.numHeads) + ")");
  for (size_t h = 0; h < config.decay.size(); ++h)
    if (!(config.decay[h] > 0.0 && config.decay[h] < 1.0)) {
      char text[32];
      std::snprintf(text, sizeof(text), "%g", config.decay[h]);
      return reader.fail("manifest field '" +
                         FieldReader::at(field("decay"), h) + "' is " + text +
                         ", expected a value in (0, 1)");
    }
  return true;
}

/// A cuda model's own fields (every one required), or their absence from a
/// cpu model.
bool verifyGpuModelFields(FieldReader &reader, const Manifest &manifest,
                          const ModelManifest &model) {
  const std::string path = "model";
  auto field = [&](const char *key) { return FieldReader::join(path, key); };
  if (manifest.target.kind != TargetKind::Cuda) {
    std::pair<const char *, bool> given[] = {
        {"host_target", model.hostTarget.has_value()},
        {"kernels_blob", !model.kernelsBlob.empty()},
        {"kernels", !model.kernels.empty()},
        {"max_tokens", model.maxTokens != 0},
        {"arena_bytes", model.arenaBytes != 0}};
    for (auto [key, isGiven] : given)
      if (isGiven)
        return reader.fail("manifest field '" + field(key) +
                           "' is only valid for cuda models (this package "
                           "targets cpu)");
    return true;
  }
  auto missing = [&](const char *key) {
    return reader.fail("manifest is missing field '" + field(key) +
                       "' (required for cuda models)");
  };
  if (!model.hostTarget)
    return missing("host_target");
  if (model.hostTarget->triple.empty())
    return reader.fail("manifest field '" + field("host_target") +
                       ".triple' is empty");
  if (model.kernelsBlob.empty())
    return missing("kernels_blob");
  const BlobDesc *blob = manifest.findBlob(model.kernelsBlob);
  if (!blob)
    return reader.fail("manifest field '" + field("kernels_blob") +
                       "' names blob '" + model.kernelsBlob +
                       "', which the blob table does not list");
  if (blob->format == BlobFormat::ElfSharedObject) {
    size_t index = static_cast<size_t>(blob - manifest.blobs.data());
    return reader.fail("manifest field '" + FieldReader::at("blobs", index) +
                       ".format' is 'elf-shared-object' but the model's "
                       "kernels need ptx or cubin");
  }
  if (model.kernels.empty())
    return reader.fail("manifest field '" + field("kernels") + "' is empty");
  std::set<std::string> entries;
  for (size_t i = 0; i < model.kernels.size(); ++i) {
    const ModelKernelDesc &kernel = model.kernels[i];
    std::string at = FieldReader::at(field("kernels"), i);
    if (!isIdentifier(kernel.entry))
      return reader.fail("manifest field '" + at + ".entry' is '" +
                         kernel.entry + "', not a C identifier");
    if (!entries.insert(kernel.entry).second)
      return reader.fail("manifest field '" + at + ".entry' repeats kernel '" +
                         kernel.entry + "'");
    if (kernel.sharedBytes < 0 || kernel.sharedBytes > kMaxSharedBytes)
      return reader.fail("manifest field '" + at + ".shared_bytes' is " +
                         std::to_string(kernel.sharedBytes) +
                         ", expected 0 to " + std::to_string(kMaxSharedBytes) +
                         " (227 KiB, the sm_90 limit)");
  }
  if (model.maxTokens < 1 || model.maxTokens > (int64_t(1) << 31))
    return reader.fail("manifest field '" + field("max_tokens") +
                       "' must be in [1, 2^31], not " +
                       std::to_string(model.maxTokens));
  if (model.arenaBytes < 0 || model.arenaBytes > (int64_t(1) << 40))
    return reader.fail("manifest field '" + field("arena_bytes") + "' is " +
                       std::to_string(model.arenaBytes) +
                       ", expected 0 to 2^40");
  return true;
}

} // namespace

bool verifyModel(FieldReader &reader, const Manifest &manifest,
                 const ModelManifest &model) {
  const std::string path = "model";
  auto field = [&](const char *key) { return FieldReader::join(path, key); };
  bool cuda = manifest.target.kind == TargetKind::Cuda;
  const BlobDesc *blob = manifest.findBlob(model.blob);
  if (!blob)
    return reader.fail("manifest field '" + field("blob") + "' names blob '" +
                       model.blob + "', which the blob table does not list");
  if (blob->format != BlobFormat::ElfSharedObject) {
    size_t index = static_cast<size_t>(blob - manifest.blobs.data());
    return reader.fail("manifest field '" + FieldReader::at("blobs", index) +
                       ".format' is '" + blobFormatName(blob->format) +
                       "' but the model needs an elf-shared-object");
  }
  if (!verifyGpuModelFields(reader, manifest, model))
    return false;
  if (!verifyModelConfig(reader, model.config, field("config")))
    return false;
  const ModelConfigDesc &config = model.config;

  if (model.weights.empty())
    return reader.fail("manifest field '" + field("weights") + "' is empty");
  std::set<std::string> weightNames;
  for (size_t i = 0; i < model.weights.size(); ++i) {
    const WeightDesc &weight = model.weights[i];
    std::string weightPath = FieldReader::at(field("weights"), i);
    if (weight.name.empty())
      return reader.fail("manifest field '" + weightPath + ".name' is empty");
    if (!weightNames.insert(weight.name).second)
      return reader.fail("manifest field '" + weightPath +
                         ".name' repeats weight '" + weight.name + "'");
    if (!verifyDims(reader, weight.shape, weightPath + ".shape"))
      return false;
  }

  if (model.stateDType != DType::F32)
    return reader.fail("manifest field '" + field("state") + ".dtype' is '" +
                       dtypeName(model.stateDType) +
                       "' but states are always f32");
  std::vector<int64_t> wantState = {config.numLayers, config.numHeads,
                                    config.headKDim, config.headVDim};
  if (model.stateShape != wantState)
    return reader.fail("manifest field '" + field("state") + ".shape' is " +
                       formatShape(model.stateShape) +
                       " but the config makes the state [num_hidden_layers, "
                       "num_heads, head_k_dim, head_v_dim] = " +
                       formatShape(wantState));

  if (model.entries.empty())
    return reader.fail("manifest field '" + field("entries") + "' is empty");
  std::set<std::string> entryNames;
  for (size_t i = 0; i < model.entries.size(); ++i) {
    const ModelEntryDesc &entry = model.entries[i];
    std::string entryPath = FieldReader::at(field("entries"), i);
    auto entryField = [&](const char *key) {
      return FieldReader::join(entryPath, key);
    };
    bool known = false;
    for (const char *name : kModelEntryNames)
      known = known || entry.name == name;
    if (!known)
      return reader.fail("manifest field '" + entryField("name") + "' is '" +
                         entry.name +
                         "', not a model entry (prefill, decode, forward, "
                         "decode_batch, prefill_batch)");
    if (!entryNames.insert(entry.name).second)
      return reader.fail("manifest field '" + entryField("name") +
                         "' repeats entry '" + entry.name + "'");
    if (!isIdentifier(entry.symbol))
      return reader.fail("manifest field '" + entryField("symbol") + "' is '" +
                         entry.symbol + "', not a C identifier");
    // A cuda model's entries have another type (retc_gpu_model_entry_fn):
    // the name keeps a CPU model's symbol from being called as one.
    std::string gpuSymbol = RETC_GPU_MODEL_ENTRY_PREFIX + entry.name;
    if (cuda && entry.symbol != gpuSymbol)
      return reader.fail("manifest field '" + entryField("symbol") + "' is '" +
                         entry.symbol + "', expected '" + gpuSymbol +
                         "' (a cuda model's entries are "
                         "retc_gpu_model_entry_fn)");
    if (entry.chunkSize && *entry.chunkSize <= 0)
      return reader.fail("manifest field '" + entryField("chunk_size") +
                         "' must be positive, not " +
                         std::to_string(*entry.chunkSize));
    if (entry.form == KernelForm::Chunkwise && !entry.chunkSize)
      return reader.fail("manifest is missing field '" +
                         entryField("chunk_size") +
                         "' (required for the chunkwise form)");
  }
  if (model.maxBatch < 0 || model.maxBatch > kMaxModelBatch)
    return reader.fail("manifest field '" + field("max_batch") + "' is " +
                       std::to_string(model.maxBatch) + ", expected 0 to " +
                       std::to_string(kMaxModelBatch));
  bool batchEntry = model.findEntry("decode_batch") != nullptr;
  if (batchEntry != (model.maxBatch > 0))
    return reader.fail(
        batchEntry ? "manifest lists entry 'decode_batch' but no '" +
                         field("max_batch") + "' (its most sequences)"
                   : "manifest field '" + field("max_batch") + "' is " +
                         std::to_string(model.maxBatch) +
                         " but no entry 'decode_batch' takes them");
  if (model.findEntry("prefill_batch")) {
    if (!batchEntry)
      return reader.fail("manifest lists entry 'prefill_batch' but no "
                         "'decode_batch' (the batch its prompts join)");
    if (cuda)
      return reader.fail("manifest lists entry 'prefill_batch' for a cuda "
                         "model (packed prefill runs on cpu models only)");
  }
  return true;
}

Expected<OrderedJson> modelToJson(const ModelManifest &model,
                                  TargetKind target) {
    const ModelConfigDesc &c = model.config;
  if (!std::isfinite(c.normEps) || !std::isfinite(c.rotaryBase))
    return Error::failure("manifest: model.config has a non-finite number");
  for (double gamma : c.decay)
    if (!std::isfinite(gamma))
      return Error::failure("manifest: a model decay value is not finite");
  OrderedJson config;
  if (!c.name.empty())
    config["name"] = c.name;
  config["hidden_size"] = c.hiddenSize;
  config["num_hidden_layers"] = c.numLayers;
  config["num_heads"] = c.numHeads;
  config["num_kv_heads"] = c.numKVHeads;
  config["head_k_dim"] = c.headKDim;
  config["head_v_dim"] = c.headVDim;
  config["intermediate_size"] = c.intermediateSize;
  config["vocab_size"] = c.vocabSize;
  config["norm_eps"] = c.normEps;
  config["rotary_base"] = c.rotaryBase;
  config["rotary_layout"] = c.rotaryLayout;
  config["tie_word_embeddings"] = c.tieWordEmbeddings;
  config["use_output_gate"] = c.useOutputGate;
  config["decay"] = c.decay;
  OrderedJson weights = OrderedJson::array();
  for (const WeightDesc &weight : model.weights)
    weights.push_back({{"name", weight.name},
                       {"dtype", dtypeName(weight.dtype)},
                       {"shape", weight.shape}});
  OrderedJson entries = OrderedJson::array();
  for (const ModelEntryDesc &entry : model.entries) {
    OrderedJson e;
    e["name"] = entry.name;
    e["symbol"] = entry.symbol;
    e["form"] = formName(entry.form);
    if (entry.chunkSize)
      e["chunk_size"] = *entry.chunkSize;
    entries.push_back(std::move(e));
  }
  OrderedJson m;
  m["blob"] = model.blob;
  m["config"] = std::move(config);
  m["weights"] = std::move(weights);
  m["state"] = {{"dtype", dtypeName(model.stateDType)},
                {"shape", model.stateShape}};
  m["entries"] = std::move(entries);
  if (model.maxBatch > 0)
    m["max_batch"] = model.maxBatch;
  if (target == TargetKind::Cuda) {
  const TargetDesc host = model.hostTarget.value_or(TargetDesc());
  m["host_target"] = {{"triple", host.triple},
                      {"cpu", host.cpu},
                      {"features", host.features}};
  m["kernels_blob"] = model.kernelsBlob;
  OrderedJson kernels = OrderedJson::array();
  for (const ModelKernelDesc &kernel : model.kernels)
    kernels.push_back(
        {{"entry", kernel.entry}, {"shared_bytes", kernel.sharedBytes}});
  m["kernels"] = std::move(kernels);
  m["max_tokens"] = model.maxTokens;
  m["arena_bytes"] = model.arenaBytes;
}
return m;
}

} // namespace retc::rt::manifest
