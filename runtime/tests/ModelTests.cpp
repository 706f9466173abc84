//===- ModelTests.cpp - Unit checks of the runtime's model side -*- C++ -*-===//
//
// The safetensors reader (good F32/BF16/F16 files and every kind of
// corruption), the manifest `model` section (round trip and each bad field),
// weight binding (missing, extra, misnamed, misshapen tensors; dtype
// conversion; in-place use), Model::open up to the point where code would
// run (a package whose blob is not a shared object, one that exports no
// entry, a CPU it was not built for), SequenceState save/restore and corrupt
// state files, device states against a fake device in host memory (where
// the values are after each call, read and write; the transfers each
// makes; failures; moves between homes), and the C API's argument checks. No model code is ever run
// here: that needs a model compiled by retc.
//
//===----------------------------------------------------------------------===//
#include "runtime/DType.h"
#include "runtime/Runtime.h"
#include "runtime/Sha256.h"
#include "runtime/model/Model.h"
#include "runtime/model/ModelWeights.h"
#include "runtime/model/Safetensors.h"
#include "runtime/model/SequenceState.h"
#include "runtime/package/Package.h"
#include "runtime/retc.h"
#include "runtime/tests/Check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using namespace retc::rt;
using retc::rt::test::contractWeights;
using retc::rt::test::modelManifest;

/// The weight list of the model contract for `c`, every weight f32.
std::vector<WeightDesc> retc::rt::test::contractWeights(const ModelConfigDesc &c) {
  int64_t hid = c.hiddenSize, ffn = c.intermediateSize, H = c.numHeads,
          Hkv = c.numKVHeads, Dk = c.headKDim, Dv = c.headVDim,
          vocab = c.vocabSize;
  std::vector<WeightDesc> w;
  auto add = [&](std::string name, std::vector<int64_t> shape) {
    w.push_back({std::move(name), DType::F32, std::move(shape)});
  };
  add("model.embeddings.weight", {vocab, hid});
  for (int64_t l = 0; l < c.numLayers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", {hid});
    add(p + "attn.q_proj.weight", {H * Dk, hid});
    add(p + "attn.k_proj.weight", {Hkv * Dk, hid});
    add(p + "attn.v_proj.weight", {Hkv * Dv, hid});
    if (c.useOutputGate)
      add(p + "attn.g_proj.weight", {H * Dv, hid});
    add(p + "attn.o_proj.weight", {hid, H * Dv});
    add(p + (c.useOutputGate ? "attn.g_norm_swish_gate.weight"
                             : "attn.g_norm.weight"),
        {Dv});
    add(p + "mlp_norm.weight", {hid});
    add(p + "mlp.gate_proj.weight", {ffn, hid});
    add(p + "mlp.up_proj.weight", {ffn, hid});
    add(p + "mlp.down_proj.weight", {hid, ffn});
  }
  add("model.norm.weight", {hid});
  if (!c.tieWordEmbeddings)
    add("lm_head.weight", {vocab, hid});
  return w;
}

/// A small model package manifest (2 layers, hidden 16, vocab 50).
Manifest retc::rt::test::modelManifest() {
  Manifest m;
  m.producer = "retc-runtime-tests";
  m.target.triple = "x86_64-unknown-linux-gnu";
  ModelManifest model;
  model.blob = "model.so";
  ModelConfigDesc &c = model.config;
  c.hiddenSize = 16;
  c.numLayers = 2;
  c.numHeads = 4;
  c.numKVHeads = 2;
  c.headKDim = 4;
  c.headVDim = 8;
  c.intermediateSize = 32;
  c.vocabSize = 50;
  c.normEps = 1e-6;
  c.rotaryBase = 10000.0;
  c.decay = {0.96875, 0.984375, 0.9921875, 0.99609375};
  model.weights = contractWeights(c);
  model.stateShape = {2, 4, 4, 8};
  model.entries = {{"prefill", "retc_model_prefill", KernelForm::Chunkwise, 64},
                   {"decode", "retc_model_decode", KernelForm::Recurrent, {}},
                   {"forward", "retc_model_forward", KernelForm::Parallel, {}}};
  m.model = model;
  return m;
}

namespace {

using test::contains;
using test::replaceOnce;

void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/// A safetensors file: 8-byte length, `header` (padded with spaces to a
/// multiple of 8), `data`.
std::vector<uint8_t> safetensorsBytes(std::string header,
                                      const std::vector<uint8_t> &data,
                                      bool pad = true) {
  while (pad && header.size() % 8)
    header += ' ';
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 8; ++i)
    bytes.push_back(static_cast<uint8_t>(uint64_t(header.size()) >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

/// One tensor to write: dtype spelled as safetensors does, raw bytes.
struct FileTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};

std::string shapeJson(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

/// Writes `tensors` back to back (in order) with an optional metadata entry.
void writeSafetensors(const std::string &path,
                      const std::vector<FileTensor> &tensors,
                      const std::string &metadata = "") {
  std::string header = "{";
  if (!metadata.empty())
    header += "\"__metadata__\":" + metadata + ",";
  std::vector<uint8_t> data;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const FileTensor &t = tensors[i];
    uint64_t begin = data.size();
    data.insert(data.end(), t.bytes.begin(), t.bytes.end());
    header += (i ? "," : "") + std::string("\"") + t.name + "\":{\"dtype\":\"" +
              t.dtype + "\",\"shape\":" + shapeJson(t.shape) +
              ",\"data_offsets\":[" + std::to_string(begin) + "," +
              std::to_string(data.size()) + "]}";
  }
  header += "}";
  writeBytes(path, safetensorsBytes(header, data));
}

std::vector<uint8_t> f32Bytes(const std::vector<float> &values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<uint8_t> halfBytes(const std::vector<float> &values, DType type) {
  std::vector<uint8_t> bytes(values.size() * 2);
  convertFromF32(values.data(), bytes.data(), values.size(), type);
  return bytes;
}

std::vector<float> randomValues(size_t count, std::mt19937 &rng) {
  std::normal_distribution<float> normal;
  std::vector<float> values(count);
  for (float &x : values)
    x = normal(rng);
  return values;
}

//===----------------------------------------------------------------------===//
// Safetensors
//===----------------------------------------------------------------------===//

void testSafetensorsGood(const std::string &dir) {
  std::mt19937 rng(7);
  std::vector<float> a = randomValues(6, rng), b = randomValues(5, rng),
                     c = randomValues(4, rng);
  std::string path = dir + "/good.safetensors";
  writeSafetensors(path,
                   {{"a", "F32", {2, 3}, f32Bytes(a)},
                    {"b", "BF16", {5}, halfBytes(b, DType::BF16)},
                    {"c", "F16", {2, 2}, halfBytes(c, DType::F16)},
                    {"empty", "F32", {0, 3}, {}},
                    {"scalar", "F32", {}, f32Bytes({2.5f})}},
                   "{\"format\":\"pt\",\"note\":\"x\"}");
  Expected<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  CHECK(file, "%s", file.message().c_str());
  if (!file)
    return;
  const SafetensorsFile &f = **file;
  CHECK(f.tensors().size() == 5, "%zu tensors", f.tensors().size());
  CHECK(f.metadata().size() == 2 && f.metadata().at("format") == "pt",
        "metadata");
  const SafetensorsTensor *ta = f.find("a"), *tb = f.find("b"),
                          *tc = f.find("c"), *te = f.find("empty"),
                          *ts = f.find("scalar");
  CHECK(ta && tb && tc && te && ts && !f.find("d"), "find");
  if (!(ta && tb && tc && te && ts))
    return;
  CHECK(ta->dtype == DType::F32 && ta->shape == std::vector<int64_t>({2, 3}) &&
            ta->numElements == 6,
        "a");
  CHECK(std::memcmp(ta->data, a.data(), 24) == 0, "a data");
  std::vector<float> back(5);
  convertToF32(tb->data, back.data(), 5, DType::BF16);
  for (size_t i = 0; i < 5; ++i)
    CHECK(back[i] == bf16ToF32(f32ToBF16(b[i])), "b[%zu]", i);
  back.resize(4);
  convertToF32(tc->data, back.data(), 4, DType::F16);
  for (size_t i = 0; i < 4; ++i)
    CHECK(back[i] == f16ToF32(f32ToF16(c[i])), "c[%zu]", i);
  CHECK(te->numElements == 0 && te->begin == te->end, "empty tensor");
  CHECK(ts->shape.empty() && ts->numElements == 1, "scalar");
  // Tensors come in data order.
  CHECK(f.tensors()[0].name == "a", "order %s", f.tensors()[0].name.c_str());

  // No metadata, an unpadded header, an empty file body.
  writeBytes(dir + "/bare.safetensors", safetensorsBytes("{}", {}, false));
  Expected<std::unique_ptr<SafetensorsFile>> bare =
      SafetensorsFile::open(dir + "/bare.safetensors");
  CHECK(bare && (*bare)->tensors().empty() && (*bare)->metadata().empty(), "%s",
        bare ? "" : bare.message().c_str());
}

/// Expects opening a file holding `bytes` to fail with `want` in the
/// message (which must be one line starting with the path).
void expectBadFile(const std::string &dir, const char *label,
                   const std::vector<uint8_t> &bytes, const std::string &want) {
  std::string path = dir + "/bad-" + label + ".safetensors";
  writeBytes(path, bytes);
  Expected<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::open(path);
  CHECK(!file, "%s: opened", label);
  if (file)
    return;
  const std::string &message = file.message();
  CHECK(contains(message, want) && message.rfind(path + ": ", 0) == 0 &&
            !contains(message, "\n"),
        "%s: got '%s', want '%s'", label, message.c_str(), want.c_str());
}

/// A header of one tensor `t` with body `tensor` (the JSON object text).
std::vector<uint8_t> oneTensor(const std::string &tensor,
                               size_t dataBytes = 256) {
  return safetensorsBytes("{\"t\":" + tensor + "}",
                          std::vector<uint8_t>(dataBytes, 0));
}

void testSafetensorsBad(const std::string &dir) {
  std::string missing = dir + "/none.safetensors";
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::open(missing);
  CHECK(!file && contains(file.message(), "cannot open: No such file"), "%s",
        file ? "" : file.message().c_str());
  file = SafetensorsFile::open(dir);
  CHECK(!file && contains(file.message(), "is a directory"), "directory");

  expectBadFile(dir, "short", {1, 2, 3},
                "truncated: 3 bytes, too short for the 8-byte header length");
  expectBadFile(dir, "empty", {},
                "truncated: 0 bytes, too short for the 8-byte header length");
  std::vector<uint8_t> huge = {0, 0, 0, 0, 0, 1, 0, 0, '{', '}'};
  expectBadFile(dir, "huge", huge, "is more than 100 MB");
  std::vector<uint8_t> past = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
  expectBadFile(dir, "past", past,
                "truncated: header length 100 extends past the end of the "
                "file (10 bytes)");
  expectBadFile(dir, "json", safetensorsBytes("{\"a\": [1,", {}),
                "invalid JSON in header at byte");
  expectBadFile(dir, "array", safetensorsBytes("[1, 2]", {}),
                "header must be a JSON object, not an array");
  expectBadFile(dir, "meta", safetensorsBytes("{\"__metadata__\": 3}", {}),
                "'__metadata__' must be an object, not an integer");
  expectBadFile(dir, "metavalue",
                safetensorsBytes("{\"__metadata__\": {\"k\": 1}}", {}),
                "'__metadata__' entry 'k' must be a string, not an integer");
  expectBadFile(dir, "notobject", oneTensor("[]"),
                "tensor 't': must be an object, not an array");
  expectBadFile(dir, "nodtype",
                oneTensor("{\"shape\":[1],\"data_offsets\":[0,4]}"),
                "tensor 't': missing 'dtype'");
  expectBadFile(dir, "dtypetype",
                oneTensor("{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}"),
                "tensor 't': 'dtype' must be a string, not an integer");
  expectBadFile(
      dir, "f64",
      oneTensor("{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}"),
      "tensor 't': dtype 'F64' is not supported (expected F32, BF16 or F16)");
  expectBadFile(
      dir, "i64",
      oneTensor("{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}"),
      "tensor 't': dtype 'I64' is not supported");
  expectBadFile(
      dir, "unknowndtype",
      oneTensor("{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,8]}"),
      "tensor 't': unknown dtype 'Q7' is not supported");
  expectBadFile(dir, "noshape",
                oneTensor("{\"dtype\":\"F32\",\"data_offsets\":[0,4]}"),
                "tensor 't': missing 'shape'");
  expectBadFile(
      dir, "shapetype",
      oneTensor("{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,4]}"),
      "tensor 't': 'shape' must be an array, not an integer");
  expectBadFile(
      dir, "negdim",
      oneTensor("{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,4]}"),
      "tensor 't': shape[1] must be a non-negative integer, not -1");
  expectBadFile(
      dir, "fracdim",
      oneTensor("{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}"),
      "tensor 't': shape[0] must be a non-negative integer, not 1.5");
  expectBadFile(
      dir, "strdim",
      oneTensor(
          "{\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}"),
      "tensor 't': shape[0] must be a non-negative integer, not a string");
  expectBadFile(dir, "overflow",
                oneTensor("{\"dtype\":\"F32\",\"shape\":[4294967296,"
                          "4294967296],\"data_offsets\":[0,4]}"),
                "tensor 't': shape [4294967296,4294967296] has too many "
                "elements");
  expectBadFile(dir, "overflowbytes",
                oneTensor("{\"dtype\":\"F32\",\"shape\":[4611686018427387904]"
                          ",\"data_offsets\":[0,4]}"),
                "has too many elements");
  expectBadFile(dir, "nooffsets",
                oneTensor("{\"dtype\":\"F32\",\"shape\":[1]}"),
                "tensor 't': missing 'data_offsets'");
  expectBadFile(
      dir, "offsets3",
      oneTensor("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}"),
      "tensor 't': 'data_offsets' must be [begin, end], two non-negative "
      "integers, not [0,4,8]");
  expectBadFile(
      dir, "offsetsneg",
      oneTensor("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}"),
      "'data_offsets' must be [begin, end]");
  expectBadFile(
      dir, "reversed",
      oneTensor("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}"),
      "tensor 't': data_offsets [8, 4] end before they begin");
  expectBadFile(
      dir, "pastdata",
      oneTensor("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[254,258]}"),
      "tensor 't': data_offsets [254, 258] extend past the data section (256 "
      "bytes)");
  // The example of the specification, verbatim.
  expectBadFile(dir, "size",
                safetensorsBytes("{\"model.norm.weight\":{\"dtype\":\"F32\","
                                 "\"shape\":[64],\"data_offsets\":[0,12]}}",
                                 std::vector<uint8_t>(256)),
                "tensor 'model.norm.weight': data_offsets [0, 12] hold 12 "
                "bytes, but shape [64] of F32 needs 256");
  expectBadFile(
      dir, "sizebf16",
      oneTensor("{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[0,16]}"),
      "tensor 't': data_offsets [0, 16] hold 16 bytes, but shape [4] of BF16 "
      "needs 8");
  expectBadFile(
      dir, "overlap",
      safetensorsBytes("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],"
                       "\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F16\","
                       "\"shape\":[4],\"data_offsets\":[8,16]}}",
                       std::vector<uint8_t>(16)),
      "tensors 'a' (data_offsets [0, 16]) and 'b' (data_offsets [8, 16]) "
      "overlap");
  // A name with a newline stays one line in the message.
  expectBadFile(dir, "newline", safetensorsBytes("{\"a\\nb\": 3}", {}),
                "tensor 'a?b': must be an object");
}

//===----------------------------------------------------------------------===//
// The manifest's model section
//===----------------------------------------------------------------------===//

BlobMap modelBlobs(std::vector<uint8_t> bytes = {}) {
  if (bytes.empty()) {
    std::string text = "not a shared object";
    bytes.assign(text.begin(), text.end());
  }
  return {{"model.so", bytes}};
}

void testModelManifestRoundTrip(const std::string &dir) {
  Manifest m = modelManifest();
  std::string path = dir + "/model.retpkg";
  Error err = writePackage(path, m, modelBlobs());
  CHECK(!err, "%s", err.message().c_str());
  Expected<Package> pkg = readPackage(path);
  CHECK(pkg, "%s", pkg.message().c_str());
  if (!pkg)
    return;
  CHECK(pkg->manifest.kernels.empty(), "kernels");
  CHECK(pkg->manifest.model.has_value(), "model");
  if (!pkg->manifest.model)
    return;
  const ModelManifest &r = *pkg->manifest.model, &w = *m.model;
  CHECK(r.blob == "model.so", "blob");
  const ModelConfigDesc &rc = r.config, &wc = w.config;
  CHECK(rc.hiddenSize == wc.hiddenSize && rc.numLayers == wc.numLayers &&
            rc.numHeads == wc.numHeads && rc.numKVHeads == wc.numKVHeads &&
            rc.headKDim == wc.headKDim && rc.headVDim == wc.headVDim &&
            rc.intermediateSize == wc.intermediateSize &&
            rc.vocabSize == wc.vocabSize && rc.normEps == wc.normEps &&
            rc.rotaryBase == wc.rotaryBase &&
            rc.tieWordEmbeddings == wc.tieWordEmbeddings &&
            rc.useOutputGate == wc.useOutputGate && rc.decay == wc.decay,
        "config");
  CHECK(r.weights.size() == w.weights.size() && r.weights.size() == 25,
        "%zu weights", r.weights.size());
  for (size_t i = 0; i < r.weights.size() && i < w.weights.size(); ++i)
    CHECK(r.weights[i].name == w.weights[i].name &&
              r.weights[i].shape == w.weights[i].shape &&
              r.weights[i].dtype == w.weights[i].dtype,
          "weight %zu", i);
  CHECK(r.stateDType == DType::F32 && r.stateShape == w.stateShape, "state");
  CHECK(r.entries.size() == 3 && r.findEntry("prefill") &&
            r.findEntry("prefill")->chunkSize == 64 &&
            r.findEntry("decode")->form == KernelForm::Recurrent &&
            !r.findEntry("decode")->chunkSize &&
            r.findEntry("forward")->symbol == "retc_model_forward",
        "entries");
  CHECK(r.findWeight("lm_head.weight") &&
            r.findWeight("lm_head.weight")->numElements() == 50 * 16,
        "findWeight");

  // Session refuses a model package by name.
  Expected<std::unique_ptr<Session>> session = Session::open(path);
  CHECK(!session && contains(session.message(), "package holds a model, not "
                                                "kernels"),
        "%s", session ? "" : session.message().c_str());
}

/// Expects writePackage (which runs verifyManifest) to refuse `m` with `want`.
void expectBadModel(const std::string &dir, const char *label,
                    const Manifest &m, const std::string &want) {
  Error err = writePackage(dir + "/bad-model.retpkg", m, modelBlobs());
  CHECK(err && contains(err.message(), want), "%s: got '%s', want '%s'", label,
        err.message().c_str(), want.c_str());
}

void testModelManifestBad(const std::string &dir) {
  const Manifest good = modelManifest();
  Manifest m = good;
  m.model.reset();
  expectBadModel(dir, "nokernels", m,
                 "manifest field 'kernels' is empty (allowed only in a model "
                 "package, which has a 'model' section)");
  m = good;
  m.model->blob = "other.so";
  expectBadModel(dir, "blob", m,
                 "manifest field 'model.blob' names blob 'other.so', which "
                 "the blob table does not list");
  // A cuda target makes a GPU model, which needs its own fields
  // (GpuModelTests.cpp has each of them).
  m = good;
  m.target.kind = TargetKind::Cuda;
  m.target.arch = "sm_90";
  m.blobs.push_back({"model.so", 0, 0, {}, BlobFormat::ElfSharedObject});
  expectBadModel(dir, "cuda", m,
                 "manifest is missing field 'model.host_target' (required "
                 "for cuda models)");
  m = good;
  m.model->config.hiddenSize = 0;
  expectBadModel(dir, "hidden", m,
                 "manifest field 'model.config.hidden_size' must be in [1, "
                 "2^31], not 0");
  m = good;
  m.model->config.vocabSize = -3;
  expectBadModel(dir, "vocab", m,
                 "manifest field 'model.config.vocab_size' must be in [1, "
                 "2^31], not -3");
  m = good;
  m.model->config.numKVHeads = 3;
  expectBadModel(dir, "kvheads", m,
                 "manifest field 'model.config.num_kv_heads' is 3, which does "
                 "not divide num_heads (4)");
  m = good;
  m.model->config.headKDim = 5;
  expectBadModel(dir, "oddk", m,
                 "manifest field 'model.config.head_k_dim' is 5, not even");
  m = good;
  m.model->config.normEps = -1;
  expectBadModel(dir, "eps", m,
                 "manifest field 'model.config.norm_eps' is -1, expected a "
                 "finite positive number");
  m = good;
  m.model->config.rotaryBase = 0;
  expectBadModel(dir, "base", m, "manifest field 'model.config.rotary_base'");
  m = good;
  m.model->config.decay.pop_back();
  expectBadModel(dir, "decaycount", m,
                 "manifest field 'model.config.decay' has 3 values, expected "
                 "one per head (num_heads = 4)");
  m = good;
  m.model->config.decay[1] = 1.0;
  expectBadModel(dir, "decay", m,
                 "manifest field 'model.config.decay[1]' is 1, expected a "
                 "value in (0, 1)");
  m = good;
  m.model->weights.clear();
  expectBadModel(dir, "noweights", m,
                 "manifest field 'model.weights' is empty");
  m = good;
  m.model->weights[3].name = m.model->weights[2].name;
  expectBadModel(dir, "dupweight", m,
                 "manifest field 'model.weights[3].name' repeats weight "
                 "'model.layers.0.attn.q_proj.weight'");
  m = good;
  m.model->weights[3].name = "";
  expectBadModel(dir, "emptyname", m,
                 "manifest field 'model.weights[3].name' is empty");
  m = good;
  m.model->weights[3].shape = {8, 0};
  expectBadModel(dir, "zerodim", m,
                 "manifest field 'model.weights[3].shape' has a non-positive "
                 "dimension: [8,0]");
  m = good;
  m.model->weights[3].shape = {int64_t(1) << 30, int64_t(1) << 30};
  expectBadModel(dir, "bigweight", m,
                 "manifest field 'model.weights[3].shape' [1073741824,"
                 "1073741824] has too many elements (at most 2^40)");
  m = good;
  m.model->stateDType = DType::BF16;
  expectBadModel(dir, "statedtype", m,
                 "manifest field 'model.state.dtype' is 'bf16' but states are "
                 "always f32");
  m = good;
  m.model->stateShape = {2, 2, 4, 8};
  expectBadModel(dir, "stateshape", m,
                 "manifest field 'model.state.shape' is [2,2,4,8] but the "
                 "config makes the state [num_hidden_layers, num_heads, "
                 "head_k_dim, head_v_dim] = [2,4,4,8]");
  m = good;
  m.model->entries.clear();
  expectBadModel(dir, "noentries", m,
                 "manifest field 'model.entries' is empty");
  m = good;
  m.model->entries[1].name = "generate";
  expectBadModel(dir, "entryname", m,
                 "manifest field 'model.entries[1].name' is 'generate', not a "
                 "model entry (prefill, decode, forward, decode_batch, "
                 "prefill_batch)");
  m = good;
  m.model->entries[1].name = "prefill_batch";
  expectBadModel(dir, "packednobatch", m,
                 "manifest lists entry 'prefill_batch' but no "
                 "'decode_batch' (the batch its prompts join)");
  m = good;
  m.model->entries[1].name = "decode_batch";
  expectBadModel(dir, "batchnomax", m,
                 "manifest lists entry 'decode_batch' but no "
                 "'model.max_batch' (its most sequences)");
  m = good;
  m.model->entries[2].name = "decode";
  expectBadModel(dir, "dupentry", m,
                 "manifest field 'model.entries[2].name' repeats entry "
                 "'decode'");
  m = good;
  m.model->entries[0].symbol = "retc model";
  expectBadModel(dir, "symbol", m,
                 "manifest field 'model.entries[0].symbol' is 'retc model', "
                 "not a C identifier");
  m = good;
  m.model->entries[0].chunkSize.reset();
  expectBadModel(dir, "nochunk", m,
                 "manifest is missing field 'model.entries[0].chunk_size' "
                 "(required for the chunkwise form)");
  m = good;
  m.model->entries[0].chunkSize = 0;
  expectBadModel(dir, "chunk0", m,
                 "manifest field 'model.entries[0].chunk_size' must be "
                 "positive, not 0");
}


/// Expects the manifest JSON of the good model manifest, with `from`
/// replaced by `to`, to fail parsing with `want`.
void expectBadModelJson(const char *label, const std::string &from,
                        const std::string &to, const std::string &want) {
  Manifest m = modelManifest();
  m.blobs.push_back({"model.so", 64, 10, {}, BlobFormat::ElfSharedObject});
  test::expectBadManifestJson(m, label, from, to, want);
}

void testModelManifestJson() {
  expectBadModelJson("modeltype", "\"model\": {", "\"model\": 3, \"x\": {",
                     "manifest field 'model' must be an object, not an "
                     "integer");
  expectBadModelJson("configint", "\"hidden_size\": 16",
                     "\"hidden_size\": \"16\"",
                     "manifest field 'model.config.hidden_size' must be an "
                     "integer, not a string");
  expectBadModelJson("missing", "\"vocab_size\"", "\"vocab_sizes\"",
                     "manifest is missing field 'model.config.vocab_size'");
  expectBadModelJson("bool", "\"tie_word_embeddings\": false",
                     "\"tie_word_embeddings\": 0",
                     "manifest field 'model.config.tie_word_embeddings' must "
                     "be a boolean, not an integer");
  expectBadModelJson("eps", "\"norm_eps\": 1e-06", "\"norm_eps\": \"small\"",
                     "manifest field 'model.config.norm_eps' must be a "
                     "number, not a string");
  expectBadModelJson("decay", "\"decay\": [", "\"decay\": [\"x\", ",
                     "manifest field 'model.config.decay[0]' must be a "
                     "number, not a string");
  expectBadModelJson("wdtype", "\"dtype\": \"f32\"", "\"dtype\": \"f64\"",
                     "manifest field 'model.weights[0].dtype' has unknown "
                     "dtype 'f64' (expected f32, bf16 or f16)");
  expectBadModelJson("wshape", "\"shape\": [", "\"shape\": [\"a\", ",
                     "manifest field 'model.weights[0].shape[0]' must be an "
                     "integer, not a string");
  expectBadModelJson("weights", "\"weights\": [", "\"weights\": {}, \"w\": [",
                     "manifest field 'model.weights' must be an array, not "
                     "an object");
  expectBadModelJson("state", "\"state\": {", "\"state\": [], \"s\": {",
                     "manifest field 'model.state' must be an object, not an "
                     "array");
  expectBadModelJson("form", "\"form\": \"recurrent\"", "\"form\": \"loop\"",
                     "manifest field 'model.entries[1].form' has unknown form "
                     "'loop' (expected parallel, chunkwise or recurrent)");
  expectBadModelJson("symbol", "\"symbol\": \"retc_model_prefill\"",
                     "\"symbo\": \"retc_model_prefill\"",
                     "manifest is missing field 'model.entries[0].symbol'");
  expectBadModelJson("chunk", "\"chunk_size\": 64", "\"chunk_size\": 6.5",
                     "manifest field 'model.entries[0].chunk_size' must be an "
                     "integer, not a fractional number");
}

//===----------------------------------------------------------------------===//
// Weight binding and Model::open
//===----------------------------------------------------------------------===//

/// One f32 array per manifest weight, random, owned by the caller.
struct WeightSet {
  std::vector<std::vector<float>> arrays;
  WeightMap map;
};

WeightSet makeWeights(const ModelManifest &model, std::mt19937 &rng) {
  WeightSet set;
  for (const WeightDesc &w : model.weights)
    set.arrays.push_back(
        randomValues(static_cast<size_t>(w.numElements()), rng));
  for (size_t i = 0; i < model.weights.size(); ++i)
    set.map[model.weights[i].name] = {DType::F32, model.weights[i].shape,
                                      set.arrays[i].data()};
  return set;
}

std::vector<std::string> splitLines(const std::string &text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    if (end == std::string::npos)
      return lines;
    start = end + 1;
  }
}

void testBindWeights() {
  Manifest m = modelManifest();
  const ModelManifest &model = *m.model;
  std::mt19937 rng(11);
  std::vector<std::vector<float>> values;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<WeightSource> sources;
  // Alternate dtypes: f32 aligned, bf16, f16, f32 misaligned.
  std::vector<AlignedVector<uint8_t>> aligned;
  for (size_t i = 0; i < model.weights.size(); ++i) {
    const WeightDesc &w = model.weights[i];
    values.push_back(randomValues(static_cast<size_t>(w.numElements()), rng));
    const std::vector<float> &v = values.back();
    switch (i % 4) {
    case 0: {
      aligned.emplace_back(v.size() * 4);
      std::memcpy(aligned.back().data(), v.data(), v.size() * 4);
      sources.push_back({w.name, DType::F32, w.shape, aligned.back().data()});
      break;
    }
    case 1:
      storage.push_back(halfBytes(v, DType::BF16));
      sources.push_back({w.name, DType::BF16, w.shape, storage.back().data()});
      break;
    case 2:
      storage.push_back(halfBytes(v, DType::F16));
      sources.push_back({w.name, DType::F16, w.shape, storage.back().data()});
      break;
    default: {
      aligned.emplace_back(v.size() * 4 + 4);
      std::memcpy(aligned.back().data() + 4, v.data(), v.size() * 4);
      sources.push_back(
          {w.name, DType::F32, w.shape, aligned.back().data() + 4});
    }
    }
  }
  // `storage` and `aligned` reallocate as they grow: fix the pointers now.
  for (size_t i = 0, s = 0, a = 0; i < sources.size(); ++i) {
    if (i % 4 == 1 || i % 4 == 2)
      sources[i].data = storage[s++].data();
    else
      sources[i].data = aligned[a++].data() + (i % 4 == 3 ? 4 : 0);
  }
  Expected<BoundWeights> bound = bindWeights(model, sources, "w.safetensors");
  CHECK(bound, "%s", bound.message().c_str());
  if (!bound)
    return;
  size_t n = model.weights.size();
  CHECK(bound->pointers.size() == n, "pointers");
  CHECK(bound->inPlace == (n + 3) / 4 && bound->copied == n - (n + 3) / 4,
        "in place %zu, copied %zu", bound->inPlace, bound->copied);
  for (size_t i = 0; i < n; ++i) {
    const float *got = static_cast<const float *>(bound->pointers[i]);
    CHECK(reinterpret_cast<uintptr_t>(got) % 64 == 0, "weight %zu aligned", i);
    if (i % 4 == 0)
      CHECK(got == sources[i].data, "weight %zu used in place", i);
    bool same = true;
    for (size_t j = 0; j < values[i].size(); ++j) {
      float want = values[i][j];
      if (i % 4 == 1)
        want = bf16ToF32(f32ToBF16(want));
      else if (i % 4 == 2)
        want = f16ToF32(f32ToF16(want));
      same = same && got[j] == want;
    }
    CHECK(same, "weight %zu values", i);
  }

  // Every kind of problem, each on its own line.
  std::vector<WeightSource> bad = sources;
  // Missing: model.norm.weight.
  bad.erase(std::remove_if(bad.begin(), bad.end(),
                           [](const WeightSource &s) {
                             return s.name == "model.norm.weight";
                           }),
            bad.end());
  for (WeightSource &s : bad) {
    // Misnamed: the gate norm under its use_output_gate=false name.
    if (s.name == "model.layers.1.attn.g_norm_swish_gate.weight")
      s.name = "model.layers.1.attn.g_norm.weight";
    // Wrong shape: k_proj transposed.
    if (s.name == "model.layers.0.attn.k_proj.weight")
      s.shape = {16, 8};
  }
  // Extra: a tensor the model does not read.
  std::vector<float> extra(3);
  bad.push_back(
      {"model.layers.0.attn.rotary.inv_freq", DType::F32, {3}, extra.data()});
  Expected<BoundWeights> failed = bindWeights(model, bad, "w.safetensors");
  CHECK(!failed, "bad weights bound");
  if (failed)
    return;
  std::vector<std::string> lines = splitLines(failed.message());
  CHECK(lines.size() == 4, "%zu lines: %s", lines.size(),
        failed.message().c_str());
  auto hasLine = [&](const std::string &want) {
    for (const std::string &line : lines)
      if (line == want)
        return true;
    return false;
  };
  CHECK(hasLine("w.safetensors: tensor 'model.layers.1.attn.g_norm.weight' is "
                "not a weight of the model; did you mean "
                "'model.layers.1.attn.g_norm_swish_gate.weight' (missing, [8] "
                "f32)?"),
        "misnamed: %s", failed.message().c_str());
  CHECK(hasLine("w.safetensors: tensor 'model.layers.0.attn.rotary.inv_freq' "
                "([3] f32) is not a weight of the model"),
        "extra: %s", failed.message().c_str());
  CHECK(hasLine("w.safetensors: missing tensor 'model.norm.weight' ([16] "
                "f32)"),
        "missing: %s", failed.message().c_str());
  CHECK(hasLine("w.safetensors: tensor 'model.layers.0.attn.k_proj.weight' "
                "has shape [16,8], but the model needs [8,16]"),
        "shape: %s", failed.message().c_str());

  // A foreign checkpoint: the list stops at kMaxWeightProblems lines.
  std::vector<WeightSource> foreign;
  for (const WeightSource &s : sources)
    foreign.push_back({"transformer.h." + s.name, s.dtype, s.shape, s.data});
  failed = bindWeights(model, foreign, "w.safetensors");
  lines = splitLines(failed ? std::string() : failed.message());
  // (25 extra and 25 missing names, some paired by a suggestion.)
  CHECK(!failed && lines.size() == kMaxWeightProblems + 1 &&
            lines.back().rfind("w.safetensors: ... and ", 0) == 0 &&
            contains(lines.back(), " more problems"),
        "%zu lines, last '%s'", lines.size(), lines.back().c_str());

  CHECK(editDistance("kitten", "sitting") == 3 && editDistance("", "ab") == 2 &&
            editDistance("same", "same") == 0,
        "editDistance");
}

void testModelOpen(const std::string &dir) {
  Manifest m = modelManifest();
  std::string path = dir + "/model-open.retpkg";
  Error err = writePackage(path, m, modelBlobs());
  CHECK(!err, "%s", err.message().c_str());
  std::mt19937 rng(3);
  WeightSet weights = makeWeights(*m.model, rng);

  // Good weights from memory: binding passes, loading the blob fails.
  Expected<std::unique_ptr<Model>> model = Model::open(path, weights.map);
  CHECK(!model && contains(model.message(),
                           "blob 'model.so' of the model is not a shared "
                           "object (no ELF header)"),
        "%s", model ? "opened" : model.message().c_str());

  // The same from a bf16 safetensors file.
  std::vector<FileTensor> tensors;
  for (size_t i = 0; i < m.model->weights.size(); ++i)
    tensors.push_back({m.model->weights[i].name, "BF16",
                       m.model->weights[i].shape,
                       halfBytes(weights.arrays[i], DType::BF16)});
  std::string file = dir + "/model.safetensors";
  writeSafetensors(file, tensors);
  model = Model::open(path, file);
  CHECK(!model && contains(model.message(), "is not a shared object"), "%s",
        model ? "opened" : model.message().c_str());

  // Wrong weights are reported before any code is looked at.
  tensors.pop_back();
  writeSafetensors(file, tensors);
  model = Model::open(path, file);
  CHECK(!model && model.message() ==
                      file + ": missing tensor 'lm_head.weight' ([50,16] f32)",
        "%s", model ? "opened" : model.message().c_str());
  WeightMap partial = weights.map;
  partial.erase("model.embeddings.weight");
  model = Model::open(path, partial);
  CHECK(!model && model.message() == "weights: missing tensor "
                                     "'model.embeddings.weight' ([50,16] f32)",
        "%s", model ? "opened" : model.message().c_str());
  WeightMap nulled = weights.map;
  nulled["model.norm.weight"].data = nullptr;
  model = Model::open(path, nulled);
  CHECK(!model &&
            contains(model.message(), "tensor 'model.norm.weight' has no data"),
        "%s", model ? "opened" : model.message().c_str());

  // A missing package.
  model = Model::open(dir + "/no-such.retpkg", file);
  CHECK(!model && contains(model.message(), "cannot open"), "%s",
        model ? "opened" : model.message().c_str());

  // A CPU the package was not built for: refused before loading.
  Manifest wide = m;
  wide.target.features = "+avx512f";
  std::string widePath = dir + "/model-wide.retpkg";
  err = writePackage(widePath, wide, modelBlobs());
  CHECK(!err, "%s", err.message().c_str());
  ::setenv("RETC_CPU_FEATURES_OVERRIDE", "+sse2", 1);
  model = Model::open(widePath, weights.map);
  ::unsetenv("RETC_CPU_FEATURES_OVERRIDE");
  CHECK(!model && contains(model.message(),
                           "compiled for a CPU with avx512f, which this CPU "
                           "lacks"),
        "%s", model ? "opened" : model.message().c_str());

#ifdef RETC_TEST_EMPTY_SO
  // A real shared object that exports no model entry and does not record
  // what it was compiled for: refused for the record, before any entry is
  // looked up (test/retc-run/model-code-record.test has one with a record
  // and no entry).
  std::vector<uint8_t> so = readBytes(RETC_TEST_EMPTY_SO);
  CHECK(so.size() > 4, "cannot read %s", RETC_TEST_EMPTY_SO);
  std::string noEntryPath = dir + "/model-noentry.retpkg";
  err = writePackage(noEntryPath, m, modelBlobs(so));
  CHECK(!err, "%s", err.message().c_str());
  model = Model::open(noEntryPath, weights.map);
  CHECK(!model && model.message() ==
                      noEntryPath + ": blob 'model.so' of the model does not "
                                    "record what it was compiled for (no "
                                    "symbol 'retc_compiled_for': not code "
                                    "from this retc; compile the package "
                                    "again)",
        "%s", model ? "opened" : model.message().c_str());
#endif
}

//===----------------------------------------------------------------------===//
// SequenceState
//===----------------------------------------------------------------------===//

void testSequenceState(const std::string &dir) {
  SequenceState state({2, 3, 4, 5});
  CHECK(state.size() == 120 && state.position() == 0, "fresh");
  CHECK(reinterpret_cast<uintptr_t>(state.data()) % 64 == 0, "aligned");
  bool zero = true;
  for (size_t i = 0; i < state.size(); ++i)
    zero = zero && state.data()[i] == 0.0f;
  CHECK(zero, "zeroed");

  std::mt19937 rng(5);
  std::vector<float> values = randomValues(state.size(), rng);
  std::memcpy(state.data(), values.data(), values.size() * 4);
  // Position is private to the model; restore sets it from a file written
  // with a position, so build one by hand below. Save/restore at position 0.
  std::string path = dir + "/state.bin";
  Error err = state.save(path);
  CHECK(!err, "%s", err.message().c_str());

  CHECK(!state.onDevice() && !state.syncHost(), "a host state");
  Expected<SequenceState> cloned = state.clone();
  CHECK(cloned, "%s", cloned.message().c_str());
  SequenceState copy = cloned.take();
  CHECK(!copy.onDevice() && copy.data() != state.data() &&
            std::memcmp(copy.data(), values.data(), values.size() * 4) == 0,
        "clone");
  copy.data()[0] = 42.0f;
  CHECK(state.data()[0] == values[0], "clone is independent");
  // A host state's values stay at one address.
  const float *address = copy.data();
  copy.reset();
  CHECK(copy.data() == address && copy.data()[0] == 0.0f, "stable address");
  SequenceState moved = std::move(copy);
  CHECK(moved.data() == address && moved.size() == 120 && copy.size() == 0 &&
            copy.shape().empty(),
        "move");

  SequenceState back({2, 3, 4, 5});
  err = back.restore(path);
  CHECK(!err, "%s", err.message().c_str());
  CHECK(std::memcmp(back.data(), values.data(), values.size() * 4) == 0 &&
            back.position() == 0,
        "round trip");
  back.reset();
  CHECK(back.data()[7] == 0.0f && back.position() == 0, "reset");

  // The checksum covers the position: a flipped bit (position 3 read as
  // 515, continuing the sequence at the wrong place) is refused. The same
  // file with its checksum computed again is believed, which is what the
  // checksum is for. `reseal` recomputes it (SHA-256 of the 24 + 8 R header
  // bytes before it and of the data).
  auto reseal = [](std::vector<uint8_t> data) {
    size_t header = 24 + 8 * size_t(data[12]);
    Sha256 hash;
    hash.update(data.data(), header);
    hash.update(data.data() + header + 32, data.size() - header - 32);
    Sha256Digest digest = hash.digest();
    std::memcpy(data.data() + header, digest.data(), digest.size());
    return data;
  };
  std::vector<uint8_t> bytes = readBytes(path);
  bytes[16] = 3;
  bytes = reseal(bytes);
  writeBytes(dir + "/state3.bin", bytes);
  err = back.restore(dir + "/state3.bin");
  CHECK(!err && back.position() == 3, "position: %s", err.message().c_str());

  auto expectBad = [&](const char *label, const std::vector<uint8_t> &data,
                       const std::string &want) {
    std::string bad = dir + "/state-" + label + ".bin";
    writeBytes(bad, data);
    SequenceState target({2, 3, 4, 5});
    target.data()[0] = 9.0f;
    Error e = target.restore(bad);
    CHECK(e && contains(e.message(), want) &&
              e.message().rfind(bad + ": ", 0) == 0,
          "%s: got '%s', want '%s'", label, e.message().c_str(), want.c_str());
    CHECK(target.data()[0] == 9.0f && target.position() == 0,
          "%s: state changed", label);
  };
  const std::string corrupt =
      "the state file is corrupt (its SHA-256 does not match its header and "
      "data)";
  std::vector<uint8_t> b = bytes;
  b[17] ^= 0x02; // position 3 + 512
  expectBad("position515", b, corrupt);
  b = bytes;
  b[0] = 'X';
  expectBad("magic", b, "not a retc state file (bad magic)");
  expectBad("empty", {}, "not a retc state file (bad magic)");
  expectBad("short", std::vector<uint8_t>(bytes.begin(), bytes.begin() + 12),
            "truncated: 12 bytes, too short for the 24-byte state header");
  b = bytes;
  b[8] = 3;
  expectBad("version", b,
            "unsupported state file version 3 (this runtime reads version 2)");
  b = bytes;
  b[8] = 1;
  expectBad("version1", b,
            "unsupported state file version 1 (this runtime reads version 2, "
            "whose checksum also covers the position and shape)");
  b = bytes;
  b[12] = 0;
  expectBad("rank0", b, "state rank 0 is not in [1, 8]");
  b = bytes;
  b[12] = 200;
  expectBad("rank200", b, "state rank 200 is not in [1, 8]");
  b = bytes;
  b[23] = 0x80;
  expectBad("negpos", b, corrupt);
  expectBad("negpos-resealed", reseal(b), "negative position");
  expectBad("cuthead", std::vector<uint8_t>(bytes.begin(), bytes.begin() + 40),
            "truncated: 40 bytes, too short for the 88-byte header of a "
            "rank-4 state");
  b = bytes;
  b[24] = 3;
  expectBad("shape", b,
            "truncated: expected 720 bytes of state data, found 480");
  expectBad(
      "shape-resealed",
      [&] {
        std::vector<uint8_t> longer = b;
        longer.resize(longer.size() + 240);
        return reseal(longer);
      }(),
      "holds a state of shape [3,3,4,5] but this model's state is "
      "[2,3,4,5]");
  expectBad("cutdata", std::vector<uint8_t>(bytes.begin(), bytes.end() - 4),
            "truncated: expected 480 bytes of state data, found 476");
  b = bytes;
  b.push_back(0);
  expectBad("trailing", b,
            "trailing bytes: expected 480 bytes of state data, found 481");
  b = bytes;
  b[100] ^= 0x01;
  expectBad("data", b, corrupt);
  b = bytes;
  b[70] ^= 0x01;
  expectBad("checksum", b, corrupt);
  SequenceState other({1, 1, 1, 1});
  err = other.restore(dir + "/no-such-state.bin");
  CHECK(err && contains(err.message(), "cannot open: No such file"), "%s",
        err.message().c_str());
  err = state.save(dir + "/no-such-dir/state.bin");
  CHECK(err && contains(err.message(), "cannot open for writing"), "%s",
        err.message().c_str());
}

//===----------------------------------------------------------------------===//
// Device states (SequenceState.h), with a fake device in host memory
//===----------------------------------------------------------------------===//

/// What a FakeHome's storage did, by kind.
struct Transfers {
  int allocations = 0, zeroes = 0, uploads = 0, downloads = 0, copies = 0;
  /// Storage alive now.
  int live = 0;
  bool operator==(const Transfers &o) const {
    return allocations == o.allocations && zeroes == o.zeroes &&
           uploads == o.uploads && downloads == o.downloads &&
           copies == o.copies && live == o.live;
  }
  std::string str() const {
    return "alloc " + std::to_string(allocations) + " zero " +
           std::to_string(zeroes) + " up " + std::to_string(uploads) +
           " down " + std::to_string(downloads) + " copy " +
           std::to_string(copies) + " live " + std::to_string(live);
  }
};

/// A StateHome whose "device" buffers are host vectors, counting every
/// transfer; each kind of operation can be made to fail.
class FakeHome : public StateHome {
public:
  explicit FakeHome(std::string name) : name(std::move(name)) {}
  Transfers counts;
  bool failAllocate = false, failZero = false, failUpload = false,
       failDownload = false, failCopy = false;

  class Storage : public StateStorage {
  public:
    Storage(FakeHome &home, size_t count) : home(home), device(count, -1.0f) {
      ++home.counts.live;
    }
    ~Storage() override { --home.counts.live; }
    uint64_t address() const override {
      return reinterpret_cast<uint64_t>(device.data());
    }
    Error zero() override {
      if (home.failZero)
        return Error::failure("cuMemsetD32Async failed: fake");
      ++home.counts.zeroes;
      std::fill(device.begin(), device.end(), 0.0f);
      return Error::success();
    }
    Error upload(const float *host) override {
      if (home.failUpload)
        return Error::failure("cuMemcpyHtoDAsync failed: fake");
      ++home.counts.uploads;
      std::copy(host, host + device.size(), device.begin());
      return Error::success();
    }
    Error download(float *host) const override {
      if (home.failDownload)
        return Error::failure("cuMemcpyDtoHAsync failed: fake");
      ++home.counts.downloads;
      std::copy(device.begin(), device.end(), host);
      return Error::success();
    }
    Error copyFrom(const StateStorage &other) override {
      if (home.failCopy)
        return Error::failure("cuMemcpyDtoDAsync failed: fake");
      ++home.counts.copies;
      device = static_cast<const Storage &>(other).device;
      return Error::success();
    }
    Error copyRuns(const StateStorage &other, uint64_t fromOffset,
                   uint64_t fromStride, uint64_t toOffset, uint64_t toStride,
                   uint64_t bytes, uint64_t count) override {
      if (home.failCopy)
        return Error::failure("cuMemcpyDtoDAsync failed: fake");
      ++home.counts.copies;
      const auto &from = static_cast<const Storage &>(other).device;
      for (uint64_t i = 0; i < count; ++i)
        std::memcpy(reinterpret_cast<char *>(device.data()) + toOffset +
                        i * toStride,
                    reinterpret_cast<const char *>(from.data()) + fromOffset +
                        i * fromStride,
                    bytes);
      return Error::success();
    }
    FakeHome &home;
    std::vector<float> device;
  };

  Expected<std::unique_ptr<StateStorage>> allocate(size_t count) override {
    if (failAllocate)
      return Error::failure("cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out "
                            "of memory) allocating " +
                            std::to_string(4 * count) + " bytes on " + name);
    ++counts.allocations;
    return std::unique_ptr<StateStorage>(new Storage(*this, count));
  }
  std::string describe() const override { return name; }

private:
  std::string name;
};

/// The fake device values of `state` (which must have storage).
std::vector<float> &deviceValues(SequenceState &state) {
  return static_cast<FakeHome::Storage *>(state.deviceStorage())->device;
}

/// What Model::call does around a successful call of a cuda model: place
/// the state, "run" (add `delta` to every value on the device), mark it
/// written.
Error fakeCall(SequenceState &state, const std::shared_ptr<StateHome> &home,
               float delta) {
  if (Error err = state.placeFor(home))
    return err;
  if (home) {
    for (float &x : deviceValues(state))
      x += delta;
    state.deviceWritten();
  } else {
    for (size_t i = 0; i < state.size(); ++i)
      state.hostValues()[i] += delta;
  }
  return Error::success();
}

void testDeviceStates(const std::string &dir) {
  const std::vector<int64_t> shape = {2, 3, 4, 5};
  auto home = std::make_shared<FakeHome>("device 0 (Fake GPU)");
  std::shared_ptr<StateHome> homeBase = home;
  auto expectCounts = [&](const char *label, Transfers want) {
    CHECK(home->counts == want, "%s: %s, want %s", label,
          home->counts.str().c_str(), want.str().c_str());
  };

  // A fresh device state holds nothing anywhere; its first call allocates
  // and zeroes on the device, with no transfer.
  SequenceState state(shape, homeBase);
  CHECK(state.onDevice() && state.size() == 120 && state.position() == 0 &&
            !state.deviceStorage(),
        "fresh device state");
  Error err = fakeCall(state, homeBase, 1.0f);
  CHECK(!err, "%s", err.message().c_str());
  expectCounts("first call", {1, 1, 0, 0, 0, 1});
  CHECK(deviceValues(state)[0] == 1.0f, "first call ran on zeros");

  // The steady state: calls copy nothing.
  for (int i = 0; i < 10; ++i)
    err = fakeCall(state, homeBase, 1.0f);
  CHECK(!err, "%s", err.message().c_str());
  expectCounts("steady state", {1, 1, 0, 0, 0, 1});
  CHECK(deviceValues(state)[7] == 11.0f, "steady state values");

  // A host read downloads once, then reads the cache; a call after it
  // uploads nothing (the device copy is current).
  const SequenceState &view = state;
  const float *values = view.data();
  CHECK(values && values[0] == 11.0f && values[119] == 11.0f, "read");
  CHECK(reinterpret_cast<uintptr_t>(values) % 64 == 0, "host copy aligned");
  CHECK(view.data() == values, "second read");
  expectCounts("reads", {1, 1, 0, 1, 0, 1});
  err = fakeCall(state, homeBase, 1.0f);
  CHECK(!err, "%s", err.message().c_str());
  expectCounts("call after read", {1, 1, 0, 1, 0, 1});

  // A host write (non-const data) is uploaded by the next call, once.
  float *writable = state.data();
  CHECK(writable && writable[3] == 12.0f, "write view");
  expectCounts("write view", {1, 1, 0, 2, 0, 1});
  writable[3] = 100.0f;
  err = fakeCall(state, homeBase, 1.0f);
  CHECK(!err, "%s", err.message().c_str());
  err = fakeCall(state, homeBase, 1.0f);
  expectCounts("call after write", {1, 1, 1, 2, 0, 1});
  CHECK(deviceValues(state)[3] == 102.0f && deviceValues(state)[4] == 14.0f,
        "written value reached the device");

  // save reads through the host copy; restore writes it, uploaded by the
  // next call.
  std::string path = dir + "/device-state.bin";
  err = state.save(path);
  CHECK(!err, "%s", err.message().c_str());
  expectCounts("save", {1, 1, 1, 3, 0, 1});
  SequenceState host(shape);
  err = host.restore(path);
  CHECK(!err && host.data()[3] == 102.0f && host.data()[4] == 14.0f,
        "saved device state read as a host state: %s", err.message().c_str());
  err = fakeCall(state, homeBase, 1.0f);
  CHECK(!err, "%s", err.message().c_str());
  err = state.restore(path);
  CHECK(!err, "%s", err.message().c_str());
  expectCounts("restore", {1, 1, 1, 3, 0, 1});
  err = fakeCall(state, homeBase, 0.0f);
  CHECK(!err && deviceValues(state)[3] == 102.0f, "restore uploaded: %s",
        err.message().c_str());
  expectCounts("call after restore", {1, 1, 2, 3, 0, 1});

  // reset zeroes on the device at the next call: no transfer.
  state.reset();
  CHECK(state.position() == 0, "reset position");
  err = fakeCall(state, homeBase, 0.0f);
  CHECK(!err && deviceValues(state)[3] == 0.0f, "reset: %s",
        err.message().c_str());
  expectCounts("reset", {1, 2, 2, 3, 0, 1});
  // A read of a reset state needs no download either.
  state.reset();
  CHECK(view.data() && view.data()[5] == 0.0f, "read of a reset state");
  expectCounts("read of a reset state", {1, 2, 2, 3, 0, 1});
  err = fakeCall(state, homeBase, 2.0f);
  CHECK(!err, "%s", err.message().c_str());

  // clone: a device-to-device copy into a buffer of its own.
  Expected<SequenceState> copy = state.clone();
  CHECK(copy && copy->onDevice() && copy->deviceStorage() &&
            copy->deviceStorage() != state.deviceStorage(),
        "clone: %s", copy.message().c_str());
  if (!copy)
    return;
  expectCounts("clone", {2, 2, 3, 3, 1, 2});
  err = fakeCall(*copy, homeBase, 1.0f);
  CHECK(!err && deviceValues(*copy)[0] == 3.0f &&
            deviceValues(state)[0] == 2.0f,
        "clone is independent: %s", err.message().c_str());

  // Moves carry the device buffer; the moved-from state is empty.
  SequenceState moved = std::move(*copy);
  CHECK(moved.onDevice() && deviceValues(moved)[0] == 3.0f &&
            copy->size() == 0 && copy->shape().empty() && !copy->onDevice() &&
            !copy->deviceStorage(),
        "move");
  moved = SequenceState();
  expectCounts("moved-to state freed", {2, 2, 3, 3, 1, 1});

  // Failures name what failed and change nothing.
  SequenceState fresh(shape, homeBase);
  home->failAllocate = true;
  err = fresh.placeFor(homeBase);
  CHECK(err && err.message() ==
                   "the state: cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY "
                   "(out of memory) allocating 480 bytes on device 0 (Fake "
                   "GPU)",
        "%s", err.message().c_str());
  Expected<SequenceState> noCopy = state.clone();
  CHECK(!noCopy && noCopy.message() ==
                       "the state's copy: cuMemAlloc failed: "
                       "CUDA_ERROR_OUT_OF_MEMORY (out of memory) allocating "
                       "480 bytes on device 0 (Fake GPU)",
        "%s", noCopy.message().c_str());
  home->failAllocate = false;
  home->failZero = true;
  err = fresh.placeFor(homeBase);
  CHECK(err && err.message() == "zeroing the state on device 0 (Fake GPU): "
                                 "cuMemsetD32Async failed: fake",
        "%s", err.message().c_str());
  home->failZero = false;
  err = fresh.placeFor(homeBase);
  CHECK(!err && deviceValues(fresh)[0] == 0.0f, "zero after a failure: %s",
        err.message().c_str());

  home->failDownload = true;
  err = state.syncHost();
  CHECK(err && err.message() == "downloading the state from device 0 (Fake "
                                 "GPU): cuMemcpyDtoHAsync failed: fake",
        "%s", err.message().c_str());
  CHECK(!view.data() && !state.data(), "data() of a failed download");
  err = state.save(dir + "/never.bin");
  CHECK(err && err.message() == dir + "/never.bin: downloading the state "
                                      "from device 0 (Fake GPU): "
                                      "cuMemcpyDtoHAsync failed: fake",
        "%s", err.message().c_str());
  home->failDownload = false;
  CHECK(view.data() && view.data()[0] == 2.0f, "read after a failed download");

  float *write = state.data();
  write[0] = 5.0f;
  home->failUpload = true;
  err = state.placeFor(homeBase);
  CHECK(err && err.message() == "uploading the state to device 0 (Fake GPU): "
                                "cuMemcpyHtoDAsync failed: fake",
        "%s", err.message().c_str());
  home->failUpload = false;
  err = state.placeFor(homeBase);
  CHECK(!err && deviceValues(state)[0] == 5.0f, "upload after a failure: %s",
        err.message().c_str());
  state.deviceWritten();

  home->failCopy = true;
  noCopy = state.clone();
  CHECK(!noCopy && noCopy.message() == "copying the state on device 0 (Fake "
                                       "GPU): cuMemcpyDtoDAsync failed: fake",
        "%s", noCopy.message().c_str());
  home->failCopy = false;

  // Lost values (a call that failed after its entry started): every read,
  // call and clone fails, naming the call, until reset or restore.
  state.markLost("decode on device 0 (Fake GPU)");
  const std::string lost = "the state's values were lost when decode on "
                           "device 0 (Fake GPU) failed; reset or restore it";
  err = state.placeFor(homeBase);
  CHECK(err && err.message() == lost, "lost call: %s", err.message().c_str());
  err = state.syncHost();
  CHECK(err && err.message() == lost, "lost read: %s", err.message().c_str());
  CHECK(!state.data(), "lost data()");
  noCopy = state.clone();
  CHECK(!noCopy && noCopy.message() == lost, "lost clone: %s",
        noCopy.message().c_str());
  err = state.save(dir + "/never.bin");
  CHECK(err && err.message() == dir + "/never.bin: " + lost, "lost save: %s",
        err.message().c_str());
  err = state.placeFor(nullptr);
  CHECK(err && err.message() == lost, "lost move: %s", err.message().c_str());
  err = state.restore(path);
  CHECK(!err && !state.placeFor(homeBase) && deviceValues(state)[3] == 102.0f,
        "restore recovers: %s", err.message().c_str());
  state.markLost("prefill on device 0 (Fake GPU)");
  state.reset();
  CHECK(!state.placeFor(homeBase) && deviceValues(state)[3] == 0.0f,
        "reset recovers");

  // Moving between homes: a host state to a device uploads once; a device
  // state to another device downloads and uploads once and frees its old
  // buffer; a device state to the host (a cpu model) downloads once.
  auto other = std::make_shared<FakeHome>("device 1 (Fake GPU)");
  std::shared_ptr<StateHome> otherBase = other;
  Transfers before = home->counts;
  SequenceState cpu(shape);
  cpu.data()[9] = 9.0f;
  err = fakeCall(cpu, homeBase, 1.0f);
  CHECK(!err && cpu.onDevice() && deviceValues(cpu)[9] == 10.0f,
        "host state to a device: %s", err.message().c_str());
  Transfers want = before;
  ++want.allocations, ++want.uploads, ++want.live;
  expectCounts("host state moved to a device", want);
  err = fakeCall(cpu, homeBase, 1.0f);
  expectCounts("then in place", want);

  err = fakeCall(cpu, otherBase, 1.0f);
  CHECK(!err && deviceValues(cpu)[9] == 12.0f && deviceValues(cpu)[0] == 3.0f,
        "to another device: %s", err.message().c_str());
  ++want.downloads, --want.live;
  expectCounts("moved away", want);
  CHECK(other->counts == (Transfers{1, 0, 1, 0, 0, 1}), "moved in: %s",
        other->counts.str().c_str());

  err = fakeCall(cpu, nullptr, 1.0f);
  CHECK(!err && !cpu.onDevice() && !cpu.deviceStorage() &&
            cpu.hostValues()[9] == 13.0f,
        "to the host: %s", err.message().c_str());
  CHECK(other->counts == (Transfers{1, 0, 1, 1, 0, 0}), "moved out: %s",
        other->counts.str().c_str());
  CHECK(cpu.data() == cpu.hostValues() && cpu.data()[0] == 4.0f,
        "a host state again");

  // A zero state moves without any transfer.
  SequenceState zero(shape, otherBase);
  err = fakeCall(zero, homeBase, 0.0f);
  CHECK(!err && deviceValues(zero)[0] == 0.0f, "%s", err.message().c_str());
  ++want.allocations, ++want.zeroes, ++want.live;
  expectCounts("zero state moved", want);
  SequenceState zeroToHost(shape, homeBase);
  err = fakeCall(zeroToHost, nullptr, 1.0f);
  CHECK(!err && !zeroToHost.onDevice() && zeroToHost.data()[119] == 1.0f,
        "zero state to the host: %s", err.message().c_str());
  expectCounts("zero state to the host", want);

  // States keep their home alive: the model may go first.
  err = fakeCall(state, homeBase, 4.0f);
  std::weak_ptr<FakeHome> weak = home;
  home.reset();
  homeBase.reset();
  CHECK(!weak.expired() && state.data() && state.data()[3] == 4.0f,
        "state outlives its home's owner");
  state = SequenceState();
  fresh = SequenceState();
  CHECK(!weak.expired(), "a state of the home is left");
  zero = SequenceState();
  CHECK(weak.expired(), "the last state frees its home");
}

//===----------------------------------------------------------------------===//
// C API
//===----------------------------------------------------------------------===//

void testCApi(const std::string &dir) {
  retc_model *model = reinterpret_cast<retc_model *>(1);
  int code = retc_model_open((dir + "/no-such.retpkg").c_str(),
                             (dir + "/w.safetensors").c_str(), &model);
  CHECK(code == RETC_ERROR && model == nullptr &&
            contains(retc_last_error(), "cannot open"),
        "open: %d %s", code, retc_last_error());
  code = retc_model_open(nullptr, "w", &model);
  CHECK(code == RETC_ERROR_ARGUMENT &&
            contains(retc_last_error(), "retc_model_open: a required pointer "
                                        "is NULL"),
        "null: %d %s", code, retc_last_error());
  retc_state *state = nullptr;
  CHECK(retc_state_new(nullptr, &state) == RETC_ERROR_ARGUMENT, "state_new");
  CHECK(retc_model_vocab_size(nullptr) == 0, "vocab of NULL");
  CHECK(retc_state_position(nullptr) == -1, "position of NULL");
  CHECK(retc_state_reset(nullptr) == RETC_ERROR_ARGUMENT, "reset NULL");
  CHECK(retc_state_copy(nullptr, &state) == RETC_ERROR_ARGUMENT, "copy NULL");
  float logits[4];
  int32_t token = 0;
  CHECK(retc_prefill(nullptr, nullptr, &token, 1, logits, 4, 0) ==
            RETC_ERROR_ARGUMENT,
        "prefill NULL");
  CHECK(retc_decode(nullptr, nullptr, 0, logits, 4) == RETC_ERROR_ARGUMENT,
        "decode NULL");
  CHECK(retc_generate_greedy(nullptr, nullptr, 0, 1, &token, logits, 4) ==
                RETC_ERROR_ARGUMENT &&
            contains(retc_last_error(),
                     "retc_generate_greedy: a required pointer is NULL"),
        "generate NULL: %s", retc_last_error());
  retc_model_close(nullptr);
  retc_state_free(nullptr);
  // Batches: NULL and out-of-range arguments.
  retc_batch *batch = nullptr;
  CHECK(retc_model_max_batch(nullptr) == 0, "max_batch of NULL");
  CHECK(retc_batch_new(nullptr, &batch) == RETC_ERROR_ARGUMENT &&
            contains(retc_last_error(),
                     "retc_batch_new: a required pointer is NULL"),
        "batch_new NULL: %s", retc_last_error());
  CHECK(retc_batch_size(nullptr) == -1 && retc_batch_id(nullptr, 0) == -1 &&
            retc_batch_position(nullptr, 0) == -1,
        "batch queries of NULL");
  CHECK(retc_batch_join(nullptr, nullptr, nullptr, 0) == RETC_ERROR_ARGUMENT,
        "join NULL");
  CHECK(retc_batch_leave(nullptr, nullptr, 0, nullptr) ==
            RETC_ERROR_ARGUMENT,
        "leave NULL");
  int64_t one = 1;
  CHECK(retc_batch_join_prompts(nullptr, nullptr, &token, &one, &one, 1,
                                nullptr, 0, nullptr) == RETC_ERROR_ARGUMENT &&
            contains(retc_last_error(),
                     "retc_batch_join_prompts: a required pointer is NULL"),
        "join_prompts NULL: %s", retc_last_error());
  CHECK(retc_batch_decode(nullptr, nullptr, &token, nullptr, 0, nullptr) ==
            RETC_ERROR_ARGUMENT,
        "decode NULL");
  CHECK(retc_batch_generate_greedy(nullptr, nullptr, &token, 1, &token) ==
            RETC_ERROR_ARGUMENT,
        "batch generate NULL");
  retc_batch_free(nullptr);

  // A weights error reaches retc_last_error with one line per problem.
  Manifest m = modelManifest();
  std::string path = dir + "/capi.retpkg";
  Error err = writePackage(path, m, modelBlobs());
  CHECK(!err, "%s", err.message().c_str());
  std::string file = dir + "/capi.safetensors";
  writeSafetensors(
      file,
      {{"model.norm.weigth", "F32", {16}, f32Bytes(std::vector<float>(16))}});
  code = retc_model_open(path.c_str(), file.c_str(), &model);
  std::vector<std::string> lines = splitLines(retc_last_error());
  CHECK(code == RETC_ERROR && lines.size() == kMaxWeightProblems + 1 &&
            contains(lines[0], "tensor 'model.norm.weigth' is not a weight of "
                               "the model; did you mean 'model.norm.weight'"),
        "%d %zu lines: %s", code, lines.size(), retc_last_error());
}

} // namespace

namespace retc::rt::test {

void expectBadManifestJson(const Manifest &m, const char *label,
                           const std::string &from, const std::string &to,
                           const std::string &want) {
  Expected<std::string> json = manifestToJson(m);
  CHECK(json, "%s", json.message().c_str());
  if (!json)
    return;
  std::string text = json.take();
  CHECK(replaceOnce(text, from, to), "%s: '%s' not in the manifest", label,
        from.c_str());
  Expected<Manifest> parsed = parseManifest(text, "m.retpkg");
  CHECK(!parsed && contains(parsed.message(), want), "%s: got '%s', want '%s'",
        label, parsed ? "success" : parsed.message().c_str(), want.c_str());
}
void testModel(const std::string &dir) {
  testSafetensorsGood(dir);
  testSafetensorsBad(dir);
  testModelManifestRoundTrip(dir);
  testModelManifestBad(dir);
  testModelManifestJson();
  testBindWeights();
  testModelOpen(dir);
  testSequenceState(dir);
  testDeviceStates(dir);
  testCApi(dir);
}
} // namespace retc::rt::test
