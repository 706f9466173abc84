//===- GpuModelTests.cpp - Unit checks of GPU model packages ----*- C++ -*-===//
//
// What of a GPU model package can be checked without a GPU: the manifest's
// cuda model section (round trip; every missing, ill-typed or out-of-range
// field refused by name; a cpu model refusing the cuda-only fields), the
// records of what its two blobs were compiled for, the decoding of launch
// requests and the checks of copy requests (GpuHost.h), the memory plan
// the runtime allocates by (ModelMemory.h), and Model::open up to the point
// where the GPU is needed.
//
//===----------------------------------------------------------------------===//
#include "runtime/KernelABI.h"
#include "runtime/model/GpuHost.h"
#include "runtime/model/Model.h"
#include "runtime/model/ModelMemory.h"
#include "runtime/package/CompiledFor.h"
#include "runtime/package/Package.h"
#include "runtime/tests/Check.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace retc::rt;

namespace {

using test::contains;
using test::replaceOnce;

/// The small model of ModelTests.cpp as a GPU model: host program
/// model.so, kernels kernels.ptx (three kernels), 64 tokens a call.
Manifest gpuManifest() {
  Manifest m = test::modelManifest();
  m.target = TargetDesc();
  m.target.kind = TargetKind::Cuda;
  m.target.arch = "sm_90";
  ModelManifest &model = *m.model;
  TargetDesc host;
  host.triple = "x86_64-unknown-linux-gnu";
  host.cpu = "x86-64-v3";
  host.features = "+avx,+avx2";
  model.hostTarget = host;
  model.kernelsBlob = "kernels.ptx";
  model.kernels = {{"embed", 0}, {"rms_norm", 0}, {"gemm", 98304}};
  model.maxTokens = 64;
  model.arenaBytes = 1 << 20;
  for (ModelEntryDesc &entry : model.entries)
    entry.symbol = RETC_GPU_MODEL_ENTRY_PREFIX + entry.name;
  m.blobs = {{"kernels.ptx", 0, 0, {}, BlobFormat::Ptx},
             {"model.so", 0, 0, {}, BlobFormat::ElfSharedObject}};
  return m;
}

std::vector<uint8_t> bytesOf(const std::string &text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

BlobMap gpuBlobs(std::vector<uint8_t> hostProgram = {}) {
  if (hostProgram.empty())
    hostProgram = bytesOf("not a shared object");
  return {{"model.so", hostProgram},
          {"kernels.ptx", bytesOf("// not PTX either\n")}};
}

void testRoundTrip(const std::string &dir) {
  Manifest m = gpuManifest();
  std::string path = dir + "/gpu-model.retpkg";
  Error err = writePackage(path, m, gpuBlobs());
  CHECK(!err, "%s", err.message().c_str());
  Expected<Package> pkg = readPackage(path);
  CHECK(pkg, "%s", pkg.message().c_str());
  if (!pkg || !pkg->manifest.model)
    return;
  const ModelManifest &r = *pkg->manifest.model;
  CHECK(pkg->manifest.target.kind == TargetKind::Cuda &&
            pkg->manifest.target.arch == "sm_90",
        "target");
  CHECK(r.hostTarget && r.hostTarget->kind == TargetKind::Cpu &&
            r.hostTarget->triple == "x86_64-unknown-linux-gnu" &&
            r.hostTarget->cpu == "x86-64-v3" &&
            r.hostTarget->features == "+avx,+avx2",
        "host_target");
  CHECK(r.blob == "model.so" && r.kernelsBlob == "kernels.ptx", "blobs");
  CHECK(r.kernels.size() == 3 && r.kernels[0].entry == "embed" &&
            r.kernels[2].entry == "gemm" && r.kernels[2].sharedBytes == 98304,
        "kernels");
  CHECK(r.maxTokens == 64 && r.arenaBytes == (1 << 20), "sizes");
  CHECK(r.weights.size() == 25 && r.entries.size() == 3 &&
            r.entries[0].symbol == "retc_gpu_model_prefill",
        "weights and entries");
  const BlobDesc *so = pkg->manifest.findBlob("model.so");
  const BlobDesc *ptx = pkg->manifest.findBlob("kernels.ptx");
  CHECK(so && so->format == BlobFormat::ElfSharedObject && ptx &&
            ptx->format == BlobFormat::Ptx,
        "blob formats");
}

void expectBad(const std::string &dir, const char *label, const Manifest &m,
               const std::string &want) {
  Error err = writePackage(dir + "/bad-gpu-model.retpkg", m, gpuBlobs());
  CHECK(err && contains(err.message(), want), "%s: got '%s', want '%s'", label,
        err.message().c_str(), want.c_str());
}

void testBadFields(const std::string &dir) {
  const Manifest good = gpuManifest();
  Manifest m = good;
  m.model->hostTarget.reset();
  expectBad(dir, "nohost", m,
            "manifest is missing field 'model.host_target' (required for "
            "cuda models)");
  m = good;
  m.model->hostTarget->triple = "";
  expectBad(dir, "triple", m,
            "manifest field 'model.host_target.triple' is empty");
  m = good;
  m.model->kernelsBlob = "";
  expectBad(dir, "nokernelsblob", m,
            "manifest is missing field 'model.kernels_blob' (required for "
            "cuda models)");
  m = good;
  m.model->kernelsBlob = "other.ptx";
  expectBad(dir, "kernelsblob", m,
            "manifest field 'model.kernels_blob' names blob 'other.ptx', "
            "which the blob table does not list");
  m = good;
  m.model->kernelsBlob = "model.so";
  expectBad(dir, "kernelsformat", m,
            "manifest field 'blobs[1].format' is 'elf-shared-object' but the "
            "model's kernels need ptx or cubin");
  m = good;
  m.model->blob = "kernels.ptx";
  expectBad(dir, "hostformat", m,
            "manifest field 'blobs[0].format' is 'ptx' but the model needs "
            "an elf-shared-object");
  m = good;
  m.model->kernels.clear();
  expectBad(dir, "nokernels", m, "manifest field 'model.kernels' is empty");
  m = good;
  m.model->kernels[1].entry = "rms-norm";
  expectBad(dir, "entry", m,
            "manifest field 'model.kernels[1].entry' is 'rms-norm', not a C "
            "identifier");
  m = good;
  m.model->kernels[2].entry = "embed";
  expectBad(dir, "dupentry", m,
            "manifest field 'model.kernels[2].entry' repeats kernel 'embed'");
  m = good;
  m.model->kernels[0].sharedBytes = -1;
  expectBad(dir, "shared-1", m,
            "manifest field 'model.kernels[0].shared_bytes' is -1, expected "
            "0 to 232448");
  m = good;
  m.model->kernels[2].sharedBytes = kMaxSharedBytes + 1;
  expectBad(dir, "sharedbig", m,
            "manifest field 'model.kernels[2].shared_bytes' is 232449, "
            "expected 0 to 232448");
  m = good;
  m.model->maxTokens = 0;
  expectBad(dir, "maxtokens0", m,
            "manifest field 'model.max_tokens' must be in [1, 2^31], not 0");
  m = good;
  m.model->maxTokens = (int64_t(1) << 31) + 1;
  expectBad(dir, "maxtokensbig", m,
            "manifest field 'model.max_tokens' must be in [1, 2^31], not "
            "2147483649");
  m = good;
  m.model->arenaBytes = -1;
  expectBad(dir, "arena-1", m,
            "manifest field 'model.arena_bytes' is -1, expected 0 to 2^40");
  m = good;
  m.model->arenaBytes = (int64_t(1) << 40) + 1;
  expectBad(dir, "arenabig", m,
            "manifest field 'model.arena_bytes' is 1099511627777, expected 0 "
            "to 2^40");
  // decode_batch and max_batch come together.
  m = good;
  m.model->maxBatch = 4;
  expectBad(dir, "maxbatch-noentry", m,
            "manifest field 'model.max_batch' is 4 but no entry "
            "'decode_batch' takes them");
  m = good;
  m.model->entries.push_back({"decode_batch", "retc_gpu_model_decode_batch",
                              KernelForm::Recurrent, std::nullopt});
  expectBad(dir, "entry-nomaxbatch", m,
            "manifest lists entry 'decode_batch' but no 'model.max_batch' "
            "(its most sequences)");
  m.model->maxBatch = kMaxModelBatch + 1;
  expectBad(dir, "maxbatchbig", m,
            "manifest field 'model.max_batch' is 4097, expected 0 to 4096");
  m.model->maxBatch = 8;
  {
    Error ok = writePackage(dir + "/gpu-model-batch.retpkg", m, gpuBlobs());
    CHECK(!ok, "decode_batch: %s", ok.message().c_str());
    Expected<Package> read = readPackage(dir + "/gpu-model-batch.retpkg");
    CHECK(read && read->manifest.model->maxBatch == 8 &&
              read->manifest.model->findEntry("decode_batch"),
          "decode_batch round trip: %s", read ? "" : read.message().c_str());
  }
  m = good;
  m.model->entries[1].symbol = "retc_model_decode";
  expectBad(dir, "symbol", m,
            "manifest field 'model.entries[1].symbol' is 'retc_model_decode', "
            "expected 'retc_gpu_model_decode' (a cuda model's entries are "
            "retc_gpu_model_entry_fn)");
  // The model's own fields are checked as for a cpu model.
  m = good;
  m.model->stateShape = {2, 2, 4, 8};
  expectBad(dir, "state", m, "manifest field 'model.state.shape' is [2,2,4,8]");
  m = good;
  m.target.arch = "sm_75";
  expectBad(dir, "arch", m,
            "manifest field 'target.arch' is 'sm_75', expected sm_80, sm_90 "
            "or sm_90a");
  m = good;
  m.model->arenaBytes = 0;
  Error err = writePackage(dir + "/gpu-model-noarena.retpkg", m, gpuBlobs());
  CHECK(!err, "arena 0: %s", err.message().c_str());

  // A cpu model has none of the cuda fields.
  const Manifest cpu = test::modelManifest();
  std::pair<const char *, void (*)(ModelManifest &)> cudaOnly[] = {
      {"host_target",
       [](ModelManifest &model) { model.hostTarget = TargetDesc(); }},
      {"kernels_blob",
       [](ModelManifest &model) { model.kernelsBlob = "kernels.ptx"; }},
      {"kernels",
       [](ModelManifest &model) {
         model.kernels = {{"embed", 0}};
       }},
      {"max_tokens", [](ModelManifest &model) { model.maxTokens = 64; }},
      {"arena_bytes", [](ModelManifest &model) { model.arenaBytes = 256; }},
  };
  for (auto [key, set] : cudaOnly) {
    Manifest c = cpu;
    set(*c.model);
    Error err = writePackage(dir + "/bad-cpu-model.retpkg", c,
                             {{"model.so", bytesOf("x")}});
    std::string want = std::string("manifest field 'model.") + key +
                       "' is only valid for cuda models (this package "
                       "targets cpu)";
    CHECK(err && contains(err.message(), want), "cpu %s: got '%s'", key,
          err.message().c_str());
  }
}

void testJson() {
  Manifest m = gpuManifest();
  // The good text parses back.
  Expected<std::string> json = manifestToJson(m);
  CHECK(json, "%s", json.message().c_str());
  if (json) {
    Expected<Manifest> parsed = parseManifest(*json, "m.retpkg");
    CHECK(parsed, "%s", parsed.message().c_str());
  }
  // Each cuda field missing, by name.
  std::pair<const char *, const char *> keys[] = {
      {"\"host_target\": {", "host_target"},
      {"\"kernels_blob\": \"kernels.ptx\"", "kernels_blob"},
      {"\"kernels\": [\n", "kernels"},
      {"\"max_tokens\": 64", "max_tokens"},
      {"\"arena_bytes\": 1048576", "arena_bytes"}};
  for (auto [from, key] : keys) {
    std::string renamed = from;
    replaceOnce(renamed, key, std::string(key) + "_x");
    test::expectBadManifestJson(
        m, key, from, renamed,
        std::string("manifest is missing field 'model.") + key +
            "' (required for cuda models)");
  }
  // Ill-typed.
  test::expectBadManifestJson(
      m, "hosttype", "\"host_target\": {", "\"host_target\": [], \"x\": {",
      "manifest field 'model.host_target' must be an object, not "
      "an array");
  test::expectBadManifestJson(
      m, "triple", "\"triple\": ", "\"triple_x\": ",
      "manifest is missing field 'model.host_target.triple'");
  test::expectBadManifestJson(
      m, "features", "\"features\": \"+avx,+avx2\"", "\"features\": 1",
      "manifest field 'model.host_target.features' must be a "
      "string, not an integer");
  test::expectBadManifestJson(
      m, "kernelsblob", "\"kernels_blob\": \"kernels.ptx\"",
      "\"kernels_blob\": 3",
      "manifest field 'model.kernels_blob' must be a string, not "
      "an integer");
  test::expectBadManifestJson(
      m, "kernelstype", "\"kernels\": [\n", "\"kernels\": {}, \"k\": [\n",
      "manifest field 'model.kernels' must be an array, not an "
      "object");
  test::expectBadManifestJson(
      m, "kernelentry", "\"entry\": \"embed\"", "\"entry\": 5",
      "manifest field 'model.kernels[0].entry' must be a string, "
      "not an integer");
  test::expectBadManifestJson(
      m, "kernelnoentry", "\"entry\": \"embed\"", "\"entri\": \"embed\"",
      "manifest is missing field 'model.kernels[0].entry'");
  test::expectBadManifestJson(
      m, "kernelshared", "\"shared_bytes\": 0", "\"shared_bytes\": \"0\"",
      "manifest field 'model.kernels[0].shared_bytes' must be an "
      "integer, not a string");
  test::expectBadManifestJson(
      m, "maxtokens", "\"max_tokens\": 64", "\"max_tokens\": \"64\"",
      "manifest field 'model.max_tokens' must be an integer, not a "
      "string");
  test::expectBadManifestJson(
      m, "arena", "\"arena_bytes\": 1048576", "\"arena_bytes\": 1.5",
      "manifest field 'model.arena_bytes' must be an integer, not a "
      "fractional number");
  // A cpu model's manifest with a cuda field.
  Manifest cpu = test::modelManifest();
  cpu.blobs.push_back({"model.so", 64, 10, {}, BlobFormat::ElfSharedObject});
  const char *cudaKeys[] = {"host_target", "kernels_blob", "kernels",
                            "max_tokens", "arena_bytes"};
  for (const char *key : cudaKeys)
    test::expectBadManifestJson(
        cpu, key, "\"model\": {",
        std::string("\"model\": {\"") + key + "\": 1, ",
        std::string("manifest field 'model.") + key +
            "' is only valid for cuda models (this package targets "
            "cpu)");
}

/// The lines of `text` from line `first` (0-based) on.
std::string linesFrom(const std::string &text, size_t first) {
  size_t at = 0;
  for (size_t i = 0; i < first && at != std::string::npos; ++i) {
    at = text.find('\n', at);
    if (at != std::string::npos)
      ++at;
  }
  return at == std::string::npos ? "" : text.substr(at);
}

void testCompiledFor() {
  Manifest m = gpuManifest();
  // The CUDA module: the target and the kernels.
  CHECK(describeCompiledFor(m, "kernels.ptx") ==
            "retc-compiled-for 1\n"
            "target.kind cuda\n"
            "target.arch sm_90\n"
            "model.kernels[0] embed shared_bytes=0\n"
            "model.kernels[1] rms_norm shared_bytes=0\n"
            "model.kernels[2] gemm shared_bytes=98304\n",
        "kernels.ptx record:\n%s",
        describeCompiledFor(m, "kernels.ptx").c_str());

  // The host program: the target, the host target, the model's lines as a
  // cpu model's code records them, the kernels, max_tokens, arena_bytes,
  // and the version of the call its entries take.
  Manifest cpu = test::modelManifest();
  for (ModelEntryDesc &entry : cpu.model->entries)
    entry.symbol = RETC_GPU_MODEL_ENTRY_PREFIX + entry.name;
  std::string cpuText = describeCompiledFor(cpu, "model.so");
  CHECK(contains(cpuText, "\ntarget.features \nmodel.config.hidden_size 16\n"),
        "cpu record:\n%s", cpuText.c_str());
  std::string modelLines = linesFrom(cpuText, 5); // after version + target
  std::string want = "retc-compiled-for 1\n"
                     "target.kind cuda\n"
                     "target.arch sm_90\n"
                     "model.host_target.triple x86_64-unknown-linux-gnu\n"
                     "model.host_target.cpu x86-64-v3\n"
                     "model.host_target.features +avx,+avx2\n" +
                     modelLines +
                     "model.kernels[0] embed shared_bytes=0\n"
                     "model.kernels[1] rms_norm shared_bytes=0\n"
                     "model.kernels[2] gemm shared_bytes=98304\n"
                     "model.max_tokens 64\n"
                     "model.arena_bytes 1048576\n"
                     "model.call_version 2\n";
  std::string host = describeCompiledFor(m, "model.so");
  CHECK(host == want, "model.so record:\n%s\nwant:\n%s", host.c_str(),
        want.c_str());
  CHECK(contains(host, "model.entries[0] prefill retc_gpu_model_prefill "
                       "chunkwise chunk_size=64\n"),
        "entries in the host record");

  // A cpu model's record has none of the cuda lines.
  for (const char *key :
       {"host_target", "model.kernels", "max_tokens", "arena_bytes"})
    CHECK(
        !contains(describeCompiledFor(test::modelManifest(), "model.so"), key),
        "cpu record has %s", key);

  // A changed field is named.
  Manifest other = m;
  other.model->kernels[2].sharedBytes = 65536;
  Error err = checkCompiledFor(describeCompiledFor(other, "kernels.ptx"),
                               describeCompiledFor(m, "kernels.ptx"), "k");
  CHECK(err && contains(err.message(),
                        "manifest field 'model.kernels[2]' is \"gemm "
                        "shared_bytes=65536\" where the code has \"gemm "
                        "shared_bytes=98304\""),
        "%s", err.message().c_str());
  other = m;
  other.model->maxTokens = 128;
  err = checkCompiledFor(describeCompiledFor(other, "model.so"),
                         describeCompiledFor(m, "model.so"), "h");
  CHECK(err && contains(err.message(), "manifest field 'model.max_tokens' is "
                                       "\"128\" where the code has \"64\""),
        "%s", err.message().c_str());
}

/// A launch request for `kernel` with grid, block, shared bytes and params.
std::vector<int64_t> request(int64_t kernel, std::array<int64_t, 3> grid,
                             std::array<int64_t, 3> block, int64_t shared,
                             std::vector<int64_t> params) {
  std::vector<int64_t> words = {kernel,   grid[0],  grid[1],
                                grid[2],  block[0], block[1],
                                block[2], shared,   int64_t(params.size())};
  words.insert(words.end(), params.begin(), params.end());
  return words;
}

void expectBadRequest(const char *label, const std::vector<int64_t> &words,
                      const std::string &want) {
  Expected<GpuLaunch> decoded =
      decodeLaunchRequest(words.data(), gpuManifest().model->kernels);
  CHECK(!decoded && decoded.message() == want, "%s: got '%s', want '%s'", label,
        decoded ? "success" : decoded.message().c_str(), want.c_str());
}

void testLaunchRequests() {
  static_assert(RETC_GPU_LAUNCH_HEADER_WORDS == 9, "KernelABI.h layout");
  const std::vector<ModelKernelDesc> kernels = gpuManifest().model->kernels;
  std::vector<int64_t> good =
      request(2, {7, 16, 1}, {256, 1, 1}, 98304, {0x7f0000001000, 37, -1});
  Expected<GpuLaunch> decoded = decodeLaunchRequest(good.data(), kernels);
  CHECK(decoded, "%s", decoded.message().c_str());
  if (decoded) {
    CHECK(decoded->kernel == 2 && decoded->grid[0] == 7 &&
              decoded->grid[1] == 16 && decoded->grid[2] == 1 &&
              decoded->block[0] == 256 && decoded->block[1] == 1 &&
              decoded->sharedBytes == 98304 && decoded->numParams == 3 &&
              decoded->params == good.data() + 9 &&
              decoded->params[0] == 0x7f0000001000 && decoded->params[2] == -1,
          "decoded fields");
  }
  std::vector<int64_t> none = request(0, {1, 1, 1}, {1, 1, 1}, 0, {});
  decoded = decodeLaunchRequest(none.data(), kernels);
  CHECK(decoded && decoded->numParams == 0, "no parameters");

  expectBadRequest("index", request(3, {1, 1, 1}, {32, 1, 1}, 0, {}),
                   "launch request: kernel index 3, but the model has 3 "
                   "kernels");
  expectBadRequest("negindex", request(-1, {1, 1, 1}, {32, 1, 1}, 0, {}),
                   "launch request: kernel index -1, but the model has 3 "
                   "kernels");
  expectBadRequest("grid0", request(1, {0, 1, 1}, {32, 1, 1}, 0, {}),
                   "launch of kernel 'rms_norm' (model.kernels[1]): grid x "
                   "is 0, expected 1 to 2147483647");
  expectBadRequest("gridy", request(1, {1, 65536, 1}, {32, 1, 1}, 0, {}),
                   "launch of kernel 'rms_norm' (model.kernels[1]): grid y "
                   "is 65536, expected 1 to 65535");
  expectBadRequest("blockz", request(1, {1, 1, 1}, {1, 1, 65}, 0, {}),
                   "launch of kernel 'rms_norm' (model.kernels[1]): block z "
                   "is 65, expected 1 to 64");
  expectBadRequest("threads", request(1, {1, 1, 1}, {32, 32, 2}, 0, {}),
                   "launch of kernel 'rms_norm' (model.kernels[1]): block "
                   "[32,32,2] is 2048 threads, at most 1024");
  expectBadRequest("shared", request(1, {1, 1, 1}, {32, 1, 1}, 16, {}),
                   "launch of kernel 'rms_norm' (model.kernels[1]): 16 bytes "
                   "of dynamic shared memory, expected 0 to the kernel's "
                   "shared_bytes, 0");
  std::vector<int64_t> many = request(0, {1, 1, 1}, {32, 1, 1}, 0, {});
  many[8] = kMaxLaunchParams + 1;
  expectBadRequest("many", many,
                   "launch of kernel 'embed' (model.kernels[0]): 1025 "
                   "parameters, expected 0 to 1024");
  many[8] = -1;
  expectBadRequest("negparams", many,
                   "launch of kernel 'embed' (model.kernels[0]): -1 "
                   "parameters, expected 0 to 1024");
}

void testCopies() {
  std::vector<DeviceRange> ranges = {{0x10000, 0x1000, "the weights", false},
                                     {0x20000, 0x100, "the arena"},
                                     {0x30000, 0x100, "the logits"}};
  CHECK(!checkDeviceCopy(0x20000, 0x10f00, 0x100, ranges), "weights->arena");
  CHECK(!checkDeviceCopy(0x30000, 0x20000, 0x100, ranges), "arena->logits");
  CHECK(!checkDeviceCopy(0x20080, 0x20000, 0x80, ranges), "within the arena");
  CHECK(!checkDeviceCopy(0x20000, 0x20000, 0, ranges), "empty copy");
  struct {
    uint64_t dst, src;
    int64_t bytes;
    const char *want;
  } bad[] = {
      {0x20000, 0x10f01, 0x100,
       "copy of 256 bytes from 0x10f01 to 0x20000: the source is not inside "
       "one of the model's device buffers"},
      {0x20001, 0x10000, 0x100,
       "copy of 256 bytes from 0x10000 to 0x20001: the destination is not "
       "inside one of the model's device buffers"},
      {0x10000, 0x20000, 0x10,
       "copy of 16 bytes from 0x20000 to 0x10000: the destination is inside "
       "the weights, which the model only reads"},
      {0x20010, 0x20000, 0x20,
       "copy of 32 bytes from 0x20000 to 0x20010: the source and destination "
       "overlap"},
      {0x20000, 0x30000, -1,
       "copy of -1 bytes from 0x30000 to 0x20000: a negative size"},
      {0x20000, ~uint64_t(0) - 8, 0x10,
       "copy of 16 bytes from 0xfffffffffffffff7 to 0x20000: the source is "
       "not inside one of the model's device buffers"},
  };
  for (auto &[dst, src, bytes, want] : bad) {
    Error err = checkDeviceCopy(dst, src, bytes, ranges);
    CHECK(err && err.message() == want, "got '%s', want '%s'",
          err.message().c_str(), want);
  }
}

/// One f32 array per manifest weight, zero, kept alive by the caller.
WeightMap zeroWeights(const ModelManifest &model,
                      std::vector<std::vector<float>> &arrays) {
  WeightMap map;
  for (const WeightDesc &w : model.weights) {
    arrays.emplace_back(static_cast<size_t>(w.numElements()), 0.0f);
    map[w.name] = {DType::F32, w.shape, arrays.back().data()};
  }
  return map;
}

void testOpen(const std::string &dir) {
  Manifest m = gpuManifest();
  std::string path = dir + "/gpu-model-open.retpkg";
  Error err = writePackage(path, m, gpuBlobs());
  CHECK(!err, "%s", err.message().c_str());
  std::vector<std::vector<float>> arrays;
  arrays.reserve(m.model->weights.size());
  WeightMap weights = zeroWeights(*m.model, arrays);

  // The host program is loaded before the GPU is needed.
  Expected<std::unique_ptr<Model>> model = Model::open(path, weights);
  CHECK(!model && model.message() ==
                      path + ": blob 'model.so' of the model is not a shared "
                             "object (no ELF header)",
        "%s", model ? "opened" : model.message().c_str());

  // The weights are checked first, as for a cpu model.
  WeightMap partial = weights;
  partial.erase("model.norm.weight");
  model = Model::open(path, partial);
  CHECK(!model && model.message() == "weights: missing tensor "
                                     "'model.norm.weight' ([16] f32)",
        "%s", model ? "opened" : model.message().c_str());

  // The host CPU against host_target (not the cuda target).
  Manifest wide = m;
  wide.model->hostTarget->features = "+avx512f";
  std::string widePath = dir + "/gpu-model-wide.retpkg";
  err = writePackage(widePath, wide, gpuBlobs());
  CHECK(!err, "%s", err.message().c_str());
  ::setenv("RETC_CPU_FEATURES_OVERRIDE", "+sse2", 1);
  model = Model::open(widePath, weights);
  ::unsetenv("RETC_CPU_FEATURES_OVERRIDE");
  CHECK(!model && model.message() == widePath + ": compiled for a CPU with "
                                                "avx512f, which this CPU "
                                                "lacks",
        "%s", model ? "opened" : model.message().c_str());

  // The device choice, as Session makes it.
  ::setenv("RETC_DEVICE", "gpu1", 1);
  model = Model::open(path, weights);
  ::unsetenv("RETC_DEVICE");
  CHECK(!model && model.message() ==
                      path + ": RETC_DEVICE='gpu1' is not a device number",
        "%s", model ? "opened" : model.message().c_str());

#ifdef RETC_TEST_EMPTY_SO
  // A real shared object without a record: refused before any entry is
  // looked up and before the GPU is opened.
  std::ifstream in(RETC_TEST_EMPTY_SO, std::ios::binary);
  std::vector<uint8_t> so((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  std::string noRecord = dir + "/gpu-model-norecord.retpkg";
  err = writePackage(noRecord, m, gpuBlobs(so));
  CHECK(!err, "%s", err.message().c_str());
  model = Model::open(noRecord, weights);
  CHECK(!model && model.message() ==
                      noRecord + ": blob 'model.so' of the model does not "
                                 "record what it was compiled for (no symbol "
                                 "'retc_compiled_for': not code from this "
                                 "retc; compile the package again)",
        "%s", model ? "opened" : model.message().c_str());
#endif
}

/// The memory plan: every weight at a 256-byte boundary in one allocation
/// (f32 and bf16 sizes), the arena, tokens and logits from the manifest,
/// the state from the config; a CPU package has no device buffers; sizes
/// past 2^64 are an error naming the buffer.
void testMemoryPlan() {
  Package pkg;
  pkg.path = "m.retpkg";
  pkg.manifest = gpuManifest();
  ModelManifest &model = *pkg.manifest.model;
  model.weights[1].dtype = DType::BF16;
  Expected<ModelMemory> plan = planModelMemory(pkg);
  CHECK(plan, "%s", plan ? "" : plan.message().c_str());
  if (!plan)
    return;
  uint64_t expected = 0;
  for (size_t i = 0; i < model.weights.size(); ++i) {
    const WeightDesc &w = model.weights[i];
    expected = (expected + 255) / 256 * 256;
    CHECK(plan->weightOffsets[i] == expected, "weight %zu at %llu, not %llu",
          i, (unsigned long long)plan->weightOffsets[i],
          (unsigned long long)expected);
    expected += uint64_t(w.numElements()) * dtypeSize(w.dtype);
  }
  CHECK(plan->weightBytes == expected, "weights %llu, not %llu",
        (unsigned long long)plan->weightBytes, (unsigned long long)expected);
  CHECK(plan->arenaBytes == (1u << 20), "arena %llu",
        (unsigned long long)plan->arenaBytes);
  CHECK(plan->tokenBytes == 64 * 4, "tokens %llu",
        (unsigned long long)plan->tokenBytes);
  CHECK(plan->logitBytes == 64 * 50 * 4, "logits %llu",
        (unsigned long long)plan->logitBytes);
  CHECK(plan->stateBytes == 2 * 4 * 4 * 8 * 4, "state %llu",
        (unsigned long long)plan->stateBytes);
  CHECK(plan->positionBytes == 8, "position %llu",
        (unsigned long long)plan->positionBytes);
  CHECK(plan->loadBytes() == expected + (1u << 20) + 256 + 12800 + 8,
        "load %llu", (unsigned long long)plan->loadBytes());

  Package cpu;
  cpu.path = "c.retpkg";
  cpu.manifest = test::modelManifest();
  Expected<ModelMemory> cpuPlan = planModelMemory(cpu);
  CHECK(cpuPlan && cpuPlan->arenaBytes == 0 && cpuPlan->logitBytes == 0 &&
            cpuPlan->stateBytes == 2 * 4 * 4 * 8 * 4,
        "cpu plan");

  pkg.manifest.model->config.vocabSize = int64_t(1) << 62;
  Expected<ModelMemory> huge = planModelMemory(pkg);
  CHECK(!huge && contains(huge.message(), "m.retpkg: the logits (max_tokens "
                                          "x vocab_size floats) would take "
                                          "more than 2^64 bytes"),
        "%s", huge ? "planned" : huge.message().c_str());

  // decode_batch: the call's buffers for max(max_tokens, max_batch) rows,
  // max_batch positions, a batch's pool of max_batch states.
  pkg.manifest.model->config.vocabSize = 50;
  pkg.manifest.model->maxBatch = 100;
  Expected<ModelMemory> batched = planModelMemory(pkg);
  CHECK(batched && batched->tokenBytes == 100 * 4 &&
            batched->logitBytes == 100 * 50 * 4 &&
            batched->positionBytes == 100 * 8 &&
            batched->batchBytes == 100 * batched->stateBytes,
        "batch plan");

  CHECK(formatBytes(999) == "999 B" && formatBytes(1000) == "1.0 kB" &&
            formatBytes(2703679488ull) == "2.7 GB",
        "formatBytes: %s %s", formatBytes(1000).c_str(),
        formatBytes(2703679488ull).c_str());
}

} // namespace

namespace retc::rt::test {
void testGpuModel(const std::string &dir) {
  testMemoryPlan();
  testRoundTrip(dir);
  testBadFields(dir);
  testJson();
  testCompiledFor();
  testLaunchRequests();
  testCopies();
  testOpen(dir);
}
} // namespace retc::rt::test
