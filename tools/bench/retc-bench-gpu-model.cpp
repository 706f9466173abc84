//===- retc-bench-gpu-model.cpp - GPU benchmark of a whole compiled model -===//
//
// A benchmark program, not a test. It opens a GPU model package (retc MODEL
// --target=sm_80|sm_90|sm_90a) through `retc::rt::Model` with the weights of
// a safetensors file or random weights made in memory for exactly the
// tensors the manifest lists, measures the device's ceilings in the same
// run (device-to-device copy bandwidth, the cuBLAS matmul rate for the
// weights' dtype), then times
//
//   prefill  T tokens (--prefill, default 4096 and the package's
//            max_tokens) from a fresh state, the last token's logits; the
//            median wall time of Model::prefill over --prefill-reps runs;
//   decode   one sequence (B = 1), --decode steps after a --context token
//            prompt and --decode-warmup untimed steps; the median wall
//            time of Model::decode (all of it: the runtime's copies, the
//            host program's launches, the kernels);
//
// and prints, per phase, tokens/s, achieved GB/s and TFLOP/s, the floor and
// the ratio time / floor:
//
//   decode floor  = (every weight read once + the state read and written +
//                   the logits row) / copy bandwidth;
//   prefill floor = max((linear flops + retention flops) / matmul rate,
//                   bytes / copy bandwidth).
//
// GpuModelProbe.h splits a decode step into the runtime's copies, the host
// program's enqueueing, the wait for the GPU, and the GPU's own time for the
// kernels (measured with the kernels queued behind a gate, the GPU busy),
// whence the host-side share of a step. Reference rows time the model's
// linears through cuBLAS alone. docs/benchmarks.md explains the numbers.
//
//   retc-bench-gpu-model [options] PACKAGE.retpkg
//
// No MLIR or LLVM headers, no cuda.h, no cuBLAS headers, no OpenBLAS: the
// runtime and libdl, so it builds without a GPU and runs where the GPU is.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/DType.h"
#include "runtime/model/Model.h"
#include "tools/bench/BenchCli.h"
#include "tools/bench/GpuCeilings.h"
#include "tools/bench/GpuModelProbe.h"
#include "tools/bench/GpuTiming.h"
#include "tools/bench/Median.h"
#include "tools/bench/ModelCounts.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace retc;
using bench::median;
using bench::ModelCounts;
using bench::probeNow;
using rt::Error;
using rt::Expected;

namespace {

constexpr const char *kTool = "retc-bench-gpu-model";

enum : int {
  kAttrMultiprocessorCount = 16, // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
  kAttrL2CacheSize = 38,         // CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE
};

struct Options {
  std::string package;
  std::string weights; ///< empty: random
  int device = -1;
  std::string prefill = "4096,max";
  int prefillReps = 3;
  int context = 64;
  int decode = 100;
  int decodeWarmup = 10;
  std::string batches = "8,64,256";
  int batchSteps = 20;
  bool probe = true;
  long copyMiB = 2048;
  int ceilingReps = 10;
  int gemmN = 8192;
  bool useCublas = true;
  std::vector<std::string> cublasDirs;
  double matmulTflops = 0; ///< 0: not given
  int cublasReps = 10;
  unsigned seed = 20240601;
};

int parseArgs(int argc, char **argv, Options &opts) {
  CLI::App app("retc-bench-gpu-model: time a compiled GPU model (B = 1) for "
               "prefill and decode against the device's ceilings (copy "
               "bandwidth, cuBLAS matmul rate for the weights' dtype) "
               "measured in the same run.",
               kTool);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("package", opts.package,
                 "The model package (retc MODEL --target=sm_90a -o PACKAGE)")
      ->type_name("PACKAGE.retpkg")
      ->required();
  app.add_option("--weights", opts.weights,
                 "A safetensors checkpoint (default: random weights made in "
                 "memory, of the manifest's shapes)")
      ->type_name("FILE");
  app.add_option("--device", opts.device,
                 "CUDA device ordinal (default: RETC_DEVICE, else 0)")
      ->type_name("N")
      ->check(CLI::Range(0, 1023));
  app.add_option("--prefill", opts.prefill,
                 "Prompt lengths timed, comma-separated; `max` is the "
                 "package's max_tokens; longer prompts run as several calls "
                 "(4096,max)")
      ->type_name("T,...");
  app.add_option("--prefill-reps", opts.prefillReps,
                 "Timed prefill runs per length after one warm-up, each from "
                 "a fresh state; the median is reported (3)")
      ->type_name("R")
      ->check(CLI::Range(1, 10000));
  app.add_option("--context", opts.context,
                 "Tokens prefilled before the decode steps (64)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 24));
  app.add_option("--decode", opts.decode,
                 "Timed decode steps per pass; the median is reported (100)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--decode-warmup", opts.decodeWarmup,
                 "Untimed decode steps first (10)")
      ->type_name("N")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--batches", opts.batches,
                 "Sequence counts B of the batched decode rows (a package "
                 "compiled with --max-batch; those above its max_batch are "
                 "left out), comma-separated; empty: none (8,64,256)")
      ->type_name("B,...");
  app.add_option("--batch-steps", opts.batchSteps,
                 "Timed decode_batch steps per B, after 3 untimed; the "
                 "median is reported (20)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  app.add_flag_callback(
      "--no-probe", [&opts] { opts.probe = false; },
      "Do not split the decode step (no driver-table probe, no gated pass)");
  app.add_option("--copy-mib", opts.copyMiB,
                 "Size of the copy for the bandwidth ceiling (2048)")
      ->type_name("MIB")
      ->check(CLI::Range(1L, 1L << 20));
  app.add_option("--ceiling-reps", opts.ceilingReps,
                 "Timed calls per ceiling; the best is kept (10)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  app.add_option("--gemm-n", opts.gemmN,
                 "M = N = K of the matmul ceiling (8192)")
      ->type_name("N")
      ->check(CLI::Range(16, 65536));
  app.add_option("--cublas-dir", opts.cublasDirs,
                 "A folder to look for libcublas.so in (repeatable)")
      ->type_name("DIR")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag_callback(
      "--no-cublas", [&opts] { opts.useCublas = false; },
      "Do not use cuBLAS (no matmul ceiling, no reference rows)");
  app.add_option("--matmul-tflops", opts.matmulTflops,
                 "The matmul rate to use when cuBLAS is missing or fails "
                 "(TFLOP/s)")
      ->type_name("X")
      ->check(CLI::PositiveNumber);
  app.add_option("--cublas-reps", opts.cublasReps,
                 "Timed calls per linear of the cuBLAS reference rows; 0 "
                 "leaves them out (10)")
      ->type_name("N")
      ->check(CLI::Range(0, 100000));
  app.add_option("--seed", opts.seed, "Seed of the random weights and tokens")
      ->type_name("N");
  return bench::parseCommandLine(app, argc, argv, kTool);
}

/// One row of the table.
struct Row {
  std::string phase;
  double tokens = 0, seconds = 0, bytes = 0, flops = 0;
  double memFloor = 0, flopFloor = 0;
  std::string note;
};

void printRow(const Row &r, bool flopsKnown) {
  double floor = std::max(r.memFloor, r.flopFloor);
  // Decode's floor is the memory term by definition; a prefill row without
  // a matmul rate has only that term.
  bool decode = r.phase.rfind("decode", 0) == 0;
  const char *bound = r.memFloor >= r.flopFloor
                          ? (!decode && !flopsKnown ? "memory (only)"
                                                    : "memory")
                          : "compute";
  std::printf("| %s%s | %.0f | %.3f | %.1f | %.1f | %.2f | %.3f | %s | %.2f "
              "|\n",
              r.phase.c_str(), r.note.c_str(), r.tokens, r.seconds * 1e3,
              r.tokens / r.seconds, r.bytes / r.seconds / 1e9,
              r.flops / r.seconds / 1e12, floor * 1e3, bound,
              r.seconds / floor);
}

int fail(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: error: %s\n", kTool, message.c_str());
  return 1;
}

/// The model's calls for a prompt of `t` tokens (Model::prefill splits at
/// max_tokens): the token count of each.
std::vector<int64_t> callSizes(int64_t t, int64_t maxTokens) {
  std::vector<int64_t> sizes;
  for (int64_t done = 0; done < t; done += maxTokens)
    sizes.push_back(std::min(maxTokens, t - done));
  return sizes;
}

/// The linears of the model by shape [out, in], with how many of each.
std::map<std::pair<int64_t, int64_t>, int>
linearShapes(const rt::ModelManifest &m) {
  std::map<std::pair<int64_t, int64_t>, int> shapes;
  for (const rt::WeightDesc &w : m.weights)
    if (bench::roleOf(w) == bench::WeightRole::Linear)
      ++shapes[{w.shape[0], w.shape[1]}];
  return shapes;
}

/// cuBLAS alone on the model's linears for a prompt of `t` tokens: every
/// linear at the rows of each call, and lm_head (or the tied table) at one
/// row per call; the sum of the median time of each shape times its count.
/// Flops in `flops`.
Expected<double> cublasLinears(const rt::CudaDevice &dev, bench::Events &events,
                               const bench::Cublas &api,
                               const rt::ModelManifest &m, rt::DType dtype,
                               int64_t t, int reps, double &flops) {
  std::map<std::pair<int64_t, int64_t>, int> shapes = linearShapes(m);
  const int64_t hidden = m.config.hiddenSize, vocab = m.config.vocabSize;
  std::map<int64_t, int> rowsCount; // rows -> calls
  for (int64_t rows : callSizes(t, m.maxTokens))
    ++rowsCount[rows];
  const size_t esize = rt::dtypeSize(dtype);
  int64_t maxOut = vocab, maxIn = hidden;
  for (auto &[shape, count] : shapes) {
    maxOut = std::max(maxOut, shape.first);
    maxIn = std::max(maxIn, shape.second);
  }
  int64_t maxRows = rowsCount.rbegin()->first;
  auto alloc = [&](uint64_t elements) -> Expected<rt::DeviceBuffer> {
    Expected<rt::DeviceBuffer> b =
        rt::DeviceBuffer::allocate(dev, elements * esize);
    if (!b)
      return b.error();
    const rt::CudaDriver &drv = dev.driver();
    if (Error err = drv.check(drv.memsetD32Async(b->pointer(), 0x3c003c00u,
                                                 b->size() / 4, dev.stream()),
                              "cuMemsetD32Async"))
      return err;
    return b;
  };
  Expected<rt::DeviceBuffer> x = alloc(uint64_t(maxRows) * maxIn);
  if (!x)
    return x.error();
  Expected<rt::DeviceBuffer> y = alloc(uint64_t(maxRows) * maxOut);
  if (!y)
    return y.error();
  Expected<rt::DeviceBuffer> w = alloc(uint64_t(maxOut) * maxIn);
  if (!w)
    return w.error();
  std::vector<bench::LinearBuffers> sets{{x->pointer(), w->pointer(),
                                          y->pointer()}};
  double seconds = 0;
  flops = 0;
  for (auto &[rows, calls] : rowsCount) {
    for (auto &[shape, count] : shapes) {
      Expected<double> sec =
          bench::timeCublasLinear(dev, events, api, rows, shape.first,
                                  shape.second, dtype, false, sets, reps);
      if (!sec)
        return sec.error();
      seconds += *sec * count * calls;
      flops += 2.0 * rows * shape.first * shape.second * count * calls;
    }
    Expected<double> head = bench::timeCublasLinear(
        dev, events, api, 1, vocab, hidden, dtype, false, sets, reps);
    if (!head)
      return head.error();
    seconds += *head * calls;
    flops += 2.0 * vocab * hidden * calls;
  }
  if (Error err = dev.synchronize())
    return err;
  return seconds;
}

/// The decode step split by the probe, one entry per step.
struct StepParts {
  std::vector<double> in, enqueue, wait, out, wall, gpuSpan;
  std::vector<int> launches;
};

} // namespace

int main(int argc, char **argv) {
  Options opts;
  if (int status = parseArgs(argc, argv, opts); status >= 0)
    return status;

  Expected<rt::Package> pkg = rt::readPackage(opts.package);
  if (!pkg)
    return fail(pkg.message());
  if (!pkg->manifest.model)
    return fail(opts.package + ": not a model package (no `model` section; "
                               "compile a model with retc MODEL "
                               "--target=sm_90a)");
  if (pkg->manifest.target.kind != rt::TargetKind::Cuda)
    return fail(opts.package + ": a cpu model package; retc-bench-model "
                               "times those (this program times models "
                               "compiled for a GPU target)");
  const rt::ModelManifest &manifest = *pkg->manifest.model;
  for (const char *entry : {"prefill", "decode"})
    if (!manifest.findEntry(entry))
      return fail(opts.package + ": the model has no `" + entry + "` entry");
  const rt::ModelConfigDesc &cfg = manifest.config;
  const ModelCounts counts = bench::countModel(manifest);
  const int64_t maxTokens = manifest.maxTokens;

  std::vector<int64_t> prefillLengths;
  std::vector<std::string> prefillList;
  for (size_t start = 0; start <= opts.prefill.size();) {
    size_t comma = std::min(opts.prefill.find(',', start), opts.prefill.size());
    prefillList.push_back(opts.prefill.substr(start, comma - start));
    start = comma + 1;
  }
  for (const std::string &p : prefillList) {
    if (p == "max") {
      prefillLengths.push_back(maxTokens);
      continue;
    }
    char *end = nullptr;
    long long v = std::strtoll(p.c_str(), &end, 10);
    if (p.empty() || *end || v < 1 || v > (1ll << 24))
      return fail("--prefill: '" + p + "' is not a token count in [1, 2^24] "
                  "or `max`");
    prefillLengths.push_back(v);
  }
  std::sort(prefillLengths.begin(), prefillLengths.end());
  prefillLengths.erase(
      std::unique(prefillLengths.begin(), prefillLengths.end()),
      prefillLengths.end());

  // The weights' dtype (of the linears): the matmul ceiling's.
  rt::DType weightType = rt::DType::F32;
  for (const rt::WeightDesc &w : manifest.weights)
    if (bench::roleOf(w) == bench::WeightRole::Linear)
      weightType = w.dtype;
  const char *weightTypeName = rt::dtypeName(weightType);

  std::printf("%s: %s\n", kTool, opts.package.c_str());
  std::printf("model    hidden %lld, %lld layers, %lld heads (%lld kv), head "
              "k %lld v %lld, ffn %lld, vocab %lld, %s embeddings; %.1f M "
              "parameters (%.1f MB, weights %s); state %.2f MB f32\n",
              (long long)cfg.hiddenSize, (long long)cfg.numLayers,
              (long long)cfg.numHeads, (long long)cfg.numKVHeads,
              (long long)cfg.headKDim, (long long)cfg.headVDim,
              (long long)cfg.intermediateSize, (long long)cfg.vocabSize,
              cfg.tieWordEmbeddings ? "tied" : "untied",
              counts.totalParams / 1e6, counts.totalBytes / 1e6,
              weightTypeName, counts.stateBytes() / 1e6);
  std::printf("package  target %s; max_tokens %lld; arena %.1f MB; %zu "
              "kernels\n",
              pkg->manifest.target.arch.c_str(), (long long)maxTokens,
              manifest.arenaBytes / 1e6, manifest.kernels.size());

  // The device, for the ceilings and the probe (the model opens its own
  // CudaDevice on the same primary context).
  Expected<int> ordinal = rt::chooseCudaDevice(opts.device);
  if (!ordinal)
    return fail(ordinal.message());
  Expected<const rt::CudaDriver *> driver = rt::CudaDriver::get();
  if (!driver)
    return fail(driver.message());
  const rt::CudaDriver &drv = **driver;
  Expected<std::unique_ptr<rt::CudaDevice>> opened =
      rt::CudaDevice::open(drv, *ordinal);
  if (!opened)
    return fail(opened.message());
  const rt::CudaDevice &dev = **opened;
  {
    int sms = 0, l2 = 0;
    rt::cuda::CUdevice handle = 0;
    size_t freeBytes = 0, totalBytes = 0;
    if (Error err = drv.check(drv.deviceGet(&handle, *ordinal), "cuDeviceGet"))
      return fail(err.message());
    if (Error err = drv.check(
            drv.deviceGetAttribute(&sms, kAttrMultiprocessorCount, handle),
            "cuDeviceGetAttribute"))
      return fail(err.message());
    if (Error err = drv.check(
            drv.deviceGetAttribute(&l2, kAttrL2CacheSize, handle),
            "cuDeviceGetAttribute"))
      return fail(err.message());
    if (Error err = drv.check(drv.memGetInfo(&freeBytes, &totalBytes),
                              "cuMemGetInfo"))
      return fail(err.message());
    std::printf("device   %s, sm_%d%d, %d SMs, L2 %.1f MiB, %.1f GiB memory "
                "(%.1f GiB free); host %u hardware threads\n",
                dev.describe().c_str(), dev.ccMajor(), dev.ccMinor(), sms,
                l2 / 1048576.0, totalBytes / 1073741824.0,
                freeBytes / 1073741824.0, std::thread::hardware_concurrency());
    std::fflush(stdout);
  }
  bench::Events events(drv);
  bool failed = false;

  // Ceiling 1: device copy bandwidth.
  Expected<double> copy = bench::measureCopy(
      dev, events, uint64_t(opts.copyMiB) << 20, opts.ceilingReps);
  if (!copy)
    return fail("copy ceiling: " + copy.message());
  const double bandwidth = *copy;
  std::printf("ceiling  device copy: cuMemcpyDtoDAsync of %ld MiB, best of "
              "%d, read+write bytes: %.3f TB/s\n",
              opts.copyMiB, opts.ceilingReps, bandwidth / 1e12);
  std::fflush(stdout);

  // Ceiling 2: the matmul rate for the weights' dtype.
  bench::MatmulCeilingOptions ceilingOptions;
  ceilingOptions.useCublas = opts.useCublas;
  ceilingOptions.cublasDirs = opts.cublasDirs;
  ceilingOptions.n = opts.gemmN;
  ceilingOptions.reps = opts.ceilingReps;
  ceilingOptions.givenTflops = opts.matmulTflops;
  ceilingOptions.dtype = weightType;
  ceilingOptions.tool = kTool;
  ceilingOptions.floorsWithoutRate = "the prefill floors below are";
  bench::MatmulCeiling ceiling =
      bench::measureMatmulCeiling(dev, events, ceilingOptions);
  double matmul = ceiling.flops;
  const std::string &matmulNote = ceiling.note;
  std::optional<bench::Cublas> &cublas = ceiling.cublas;
  if (ceiling.failed)
    failed = true;
  std::printf("ceiling  %s matmul (the weights' dtype): %s\n", weightTypeName,
              matmulNote.c_str());
  std::fflush(stdout);

  // The weights and the model.
  double t0 = probeNow();
  bench::RandomWeights random;
  Expected<std::unique_ptr<rt::Model>> model = Error::failure("not opened");
  rt::ModelOpenOptions openOptions;
  openOptions.device = *ordinal;
  std::string weightsNote;
  if (opts.weights.empty()) {
    random = bench::makeRandomWeights(manifest, opts.seed);
    if (!random.storage)
      return fail("cannot allocate " + std::to_string(counts.totalParams * 4) +
                  " bytes of random weights");
    double made = probeNow() - t0;
    t0 = probeNow();
    model = rt::Model::open(opts.package, random.map, openOptions);
    char line[256];
    std::snprintf(line, sizeof(line),
                  "random f32 (about N(0, 1/fan_in) linears, N(0, 1) "
                  "embeddings, N(1, 0.01) norms), made in %.1f s",
                  made);
    weightsNote = line;
  } else {
    model = rt::Model::open(opts.package, opts.weights, openOptions);
    weightsNote = opts.weights;
  }
  if (!model)
    return fail(model.message());
  double openSec = probeNow() - t0;
  random = bench::RandomWeights(); // on the device now
  rt::Model &m = **model;
  std::printf("weights  %zu tensors, %s; opened and uploaded in %.1f s\n",
              manifest.weights.size(), weightsNote.c_str(), openSec);

  const double decodeBytes = counts.callBytes(1);
  std::printf("counts   decode step reads %.1f MB of weights: %lld linears "
              "%.1f MB + %s %.1f MB + norms %.3f MB + 1 embedding row %.1f "
              "KB; state %.2f MB read + %.2f MB written; logits row %.3f MB "
              "-> %.1f MB per step\n",
              counts.decodeWeightBytes() / 1e6, (long long)counts.linearCount,
              counts.linearBytes / 1e6,
              cfg.tieWordEmbeddings ? "tied embedding as lm_head" : "lm_head",
              counts.lmHeadBytes / 1e6, counts.otherBytes / 1e6,
              counts.embeddingRowBytes / 1e3, counts.stateBytes() / 1e6,
              counts.stateBytes() / 1e6, counts.logitsRowBytes() / 1e6,
              decodeBytes / 1e6);
  std::printf("counts   prefill of T tokens: 2 x %.1f M linear params x T + "
              "2 x lm_head params per call (the last token's logits) + 4 x "
              "T x %.2f M state elements (retention's useful work)\n",
              counts.linearParams / 1e6, counts.stateFloats / 1e6);
  std::fflush(stdout);

  std::mt19937 gen(opts.seed);
  std::uniform_int_distribution<int32_t> tokenDist(
      0, int32_t(cfg.vocabSize - 1));
  std::vector<float> logits(size_t(cfg.vocabSize));
  rt::SequenceState state = m.newState();
  bool finite = true;
  std::vector<Row> rows;

  // Prefill: per length, one warm-up, then `prefillReps` runs, each from a
  // fresh state (reset outside the timing).
  struct PrefillResult {
    int64_t t;
    double median, fastest;
    size_t calls;
  };
  std::vector<PrefillResult> prefills;
  for (int64_t t : prefillLengths) {
    std::fprintf(stderr, "%s: prefill of %lld tokens\n", kTool,
                 (long long)t);
    std::vector<int32_t> prompt(static_cast<size_t>(t));
    for (int32_t &token : prompt)
      token = tokenDist(gen);
    std::vector<double> sec;
    for (int r = 0; r <= opts.prefillReps; ++r) {
      state.reset();
      double s0 = probeNow();
      if (Error err = m.prefill(state, prompt, logits.data(), false))
        return fail(err.message());
      if (r > 0)
        sec.push_back(probeNow() - s0);
    }
    finite = finite && bench::allFinite(logits);
    size_t calls = callSizes(t, maxTokens).size();
    prefills.push_back(
        {t, median(sec), *std::min_element(sec.begin(), sec.end()), calls});
    Row row{"prefill", double(t), median(sec), counts.callBytes(double(t)),
            counts.linearFlops(double(t), double(calls)) +
                counts.retentionFlops(double(t)),
            0, 0, ""};
    row.memFloor = row.bytes / bandwidth;
    row.flopFloor = matmul > 0 ? row.flops / matmul : 0;
    if (calls > 1)
      row.note = " (" + std::to_string(calls) + " calls)";
    rows.push_back(row);
  }

  // Decode: after a prompt of `context` tokens, `decodeWarmup` untimed
  // steps, then the passes, each step fed the argmax of the last logits.
  std::vector<int32_t> contextTokens(static_cast<size_t>(opts.context));
  for (int32_t &token : contextTokens)
    token = tokenDist(gen);
  state.reset();
  if (Error err = m.prefill(state, contextTokens, logits.data(), false))
    return fail(err.message());
  auto step = [&]() -> Error {
    return m.decode(state, bench::argmax(logits), logits.data());
  };
  for (int i = 0; i < opts.decodeWarmup; ++i)
    if (Error err = step())
      return fail(err.message());

  // Pass 1: the wall time of each step, nothing else running.
  std::fprintf(stderr, "%s: %d decode steps\n", kTool, opts.decode);
  std::vector<double> decodeSec;
  for (int i = 0; i < opts.decode; ++i) {
    double s0 = probeNow();
    if (Error err = step())
      return fail(err.message());
    decodeSec.push_back(probeNow() - s0);
    finite = finite && bench::allFinite(logits);
  }

  // Passes 2 and 3: the probe's split of a step (GPU idle while the host
  // works), then the kernels behind a gate (the GPU busy).
  StepParts parts;
  std::vector<double> busy;
  int held = 0, gatedSteps = 0;
  double gateSeconds = 0;
  std::string probeNote;
  if (opts.probe) {
    Expected<std::unique_ptr<bench::GpuModelProbe>> probe =
        bench::GpuModelProbe::install(dev);
    if (!probe) {
      probeNote = "probe not installed: " + probe.message();
      failed = true;
    } else {
      std::fprintf(stderr, "%s: %d decode steps, probed\n", kTool,
                   opts.decode);
      double longestEnqueue = 0;
      for (int i = 0; i < opts.decode; ++i) {
        (*probe)->arm();
        double s0 = probeNow();
        Error err = step();
        double s1 = probeNow();
        Expected<bench::ProbeRecord> rec = (*probe)->collect();
        if (err)
          return fail(err.message());
        if (!rec)
          return fail("probe: " + rec.message());
        parts.in.push_back(rec->firstLaunch - s0);
        parts.enqueue.push_back(rec->lastLaunchEnd - rec->firstLaunch);
        parts.wait.push_back(rec->waitEnd - rec->lastLaunchEnd);
        parts.out.push_back(s1 - rec->waitEnd);
        parts.wall.push_back(s1 - s0);
        parts.gpuSpan.push_back(rec->gpuSeconds);
        parts.launches.push_back(rec->launches);
        longestEnqueue =
            std::max(longestEnqueue, rec->lastLaunchEnd - rec->firstLaunch);
      }
      // The gate: twice the longest enqueueing seen, at least 1 ms.
      gateSeconds = std::max(2 * longestEnqueue, 1e-3);
      std::fprintf(stderr, "%s: %d decode steps, gated (%.3f ms)\n", kTool,
                   opts.decode, gateSeconds * 1e3);
      for (int i = 0; i < opts.decode; ++i) {
        (*probe)->arm(gateSeconds);
        Error err = step();
        Expected<bench::ProbeRecord> rec = (*probe)->collect();
        if (err)
          return fail(err.message());
        if (!rec)
          return fail("probe: " + rec.message());
        ++gatedSteps;
        if (rec->gateHeld) {
          ++held;
          busy.push_back(rec->gpuSeconds);
        }
      }
    }
  }

  // Pass 4: greedy generation as the runtime does it on a GPU, decode
  // replayed as one CUDA graph and each token chosen on the device: the
  // wall time of `decode` steps in one call over their number, the median
  // of 3 calls after one that captures the graph.
  std::vector<double> graphSec;
  if (m.choosesTokens()) {
    std::fprintf(stderr, "%s: %d decode steps as a CUDA graph, 3 times\n",
                 kTool, opts.decode);
    std::vector<int32_t> generated(static_cast<size_t>(opts.decode));
    for (int rep = 0; rep < 4; ++rep) {
      double s0 = probeNow();
      if (Error err = m.generateGreedy(state, bench::argmax(logits),
                                       generated.size(), generated.data(),
                                       logits.data()))
        return fail(err.message());
      if (rep > 0)
        graphSec.push_back((probeNow() - s0) / opts.decode);
      finite = finite && bench::allFinite(logits);
    }
  }

  // Pass 5: batched decode, B sequences a step (decode_batch), each the
  // prompt's state joined B times; the next tokens chosen on the device
  // and copied out, the logits left there (a serving loop's step).
  std::vector<Row> batchRows;
  if (m.maxBatch() > 0) {
    std::vector<int64_t> sizes;
    for (size_t start = 0; start < opts.batches.size();) {
      size_t comma = opts.batches.find(',', start);
      std::string item = opts.batches.substr(
          start, comma == std::string::npos ? std::string::npos
                                            : comma - start);
      char *end = nullptr;
      long long b = std::strtoll(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || b < 1)
        return fail("--batches: '" + item + "' is not a positive integer");
      if (static_cast<size_t>(b) <= m.maxBatch())
        sizes.push_back(b);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    for (int64_t b : sizes) {
      std::fprintf(stderr, "%s: decode_batch of %lld sequences, %d steps\n",
                   kTool, (long long)b, opts.batchSteps);
      rt::SequenceState joined = m.newState();
      if (Error err = m.prefill(joined, contextTokens, logits.data(), false))
        return fail(err.message());
      Expected<rt::SequenceBatch> batch = m.newBatch();
      if (!batch)
        return fail(batch.message());
      for (int64_t i = 0; i < b; ++i)
        if (Error err = m.join(*batch, joined, static_cast<uint64_t>(i)))
          return fail(err.message());
      std::vector<int32_t> tokens(static_cast<size_t>(b),
                                  bench::argmax(logits)),
          next(static_cast<size_t>(b));
      std::vector<double> sec;
      for (int i = 0; i < 3 + opts.batchSteps; ++i) {
        double s0 = probeNow();
        if (Error err = m.decodeBatch(*batch, tokens.data(), nullptr,
                                      next.data()))
          return fail(err.message());
        if (i >= 3)
          sec.push_back(probeNow() - s0);
        tokens = next;
      }
      Row r{"decode_batch B = " + std::to_string(b) + " (per step, wall)",
            double(b), median(sec), counts.batchStepBytes(double(b)),
            counts.batchStepFlops(double(b)), 0, 0, ""};
      r.memFloor = r.bytes / bandwidth;
      r.flopFloor = matmul > 0 ? r.flops / matmul : 0;
      batchRows.push_back(r);
      // The same steps as one CUDA graph replay each (generateBatchGreedy):
      // the wall time of batchSteps steps in one call over their number,
      // the median of 3 calls after one that captures the graph.
      std::vector<int32_t> generated(static_cast<size_t>(b) *
                                     static_cast<size_t>(opts.batchSteps));
      std::vector<double> graphSec;
      for (int rep = 0; rep < 4; ++rep) {
        double s0 = probeNow();
        if (Error err = m.generateBatchGreedy(
                *batch, tokens.data(), static_cast<size_t>(opts.batchSteps),
                generated.data()))
          return fail(err.message());
        if (rep > 0)
          graphSec.push_back((probeNow() - s0) / opts.batchSteps);
        std::copy(generated.end() - b, generated.end(), tokens.begin());
      }
      Row g = r;
      g.phase = "decode_batch B = " + std::to_string(b) +
                " as one CUDA graph (per step, wall)";
      g.seconds = median(graphSec);
      batchRows.push_back(g);
    }
  }

  Row decode{"decode (per step, wall)", 1, median(decodeSec), decodeBytes,
             counts.callFlops(1), 0, 0, ""};
  decode.memFloor = decodeBytes / bandwidth;
  rows.push_back(decode);
  if (!graphSec.empty()) {
    Row graph{"decode as one CUDA graph (per step, wall)", 1,
              median(graphSec), decodeBytes, counts.callFlops(1), 0, 0, ""};
    graph.memFloor = decodeBytes / bandwidth;
    rows.push_back(graph);
  }
  if (!busy.empty()) {
    Row kernels{"decode kernels alone (GPU busy)", 1, median(busy),
                decodeBytes, counts.callFlops(1), 0, 0, ""};
    kernels.memFloor = decodeBytes / bandwidth;
    rows.push_back(kernels);
  }

  rows.insert(rows.end(), batchRows.begin(), batchRows.end());

  // Reference rows: the model's linears through cuBLAS alone.
  if (cublas && opts.cublasReps > 0) {
    std::fprintf(stderr, "%s: cuBLAS reference rows\n", kTool);
    for (const PrefillResult &p : prefills) {
      double flops = 0;
      Expected<double> sec =
          cublasLinears(dev, events, *cublas, manifest, weightType, p.t,
                        opts.cublasReps, flops);
      if (!sec) {
        std::fprintf(stderr, "%s: error: cuBLAS reference: %s\n", kTool,
                     sec.message().c_str());
        failed = true;
        break;
      }
      double weightBytes = counts.linearBytes + counts.lmHeadBytes;
      Row r{std::string("cuBLAS ") + weightTypeName + ", same linears",
            double(p.t), *sec, weightBytes, flops, 0, 0, ""};
      r.memFloor = weightBytes / bandwidth;
      r.flopFloor = matmul > 0 ? flops / matmul : 0;
      rows.push_back(r);
    }
  }

  std::printf("\n| phase | tokens | time (ms) | tokens/s | GB/s | TFLOP/s | "
              "floor (ms) | bound | time/floor |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
  const char *badNote = finite ? "" : " (NON-FINITE LOGITS)";
  for (Row &r : rows) {
    if (r.phase.rfind("cuBLAS", 0) != 0)
      r.note += badNote;
    printRow(r, matmul > 0);
  }

  std::printf("\n");
  for (const PrefillResult &p : prefills)
    std::printf("- prefill %lld: from a fresh state, the last token's "
                "logits, %zu call(s) of at most max_tokens = %lld; median "
                "of %d runs after 1 warm-up (fastest %.3f ms); the state "
                "stays on the device.\n",
                (long long)p.t, p.calls, (long long)maxTokens,
                opts.prefillReps, p.fastest * 1e3);
  std::printf("- decode: B = 1, %d steps after a %d-token prompt and %d "
              "untimed steps, each fed the argmax of the previous logits; "
              "median wall time of Model::decode (fastest %.3f ms, slowest "
              "%.3f ms), the runtime's copies and the host program "
              "included. As one CUDA graph: Model::generateGreedy of as many "
              "steps (each token chosen on the device and copied to the host "
              "after its step, the host waiting once), its wall time over the "
              "steps, median of 3 calls after one that captures the graph.\n",
              opts.decode, opts.context, opts.decodeWarmup,
              *std::min_element(decodeSec.begin(), decodeSec.end()) * 1e3,
              *std::max_element(decodeSec.begin(), decodeSec.end()) * 1e3);
  std::printf("- bytes: every weight read once (linears, norms, %s; the "
              "embedding table only as the rows gathered) + the state (f32) "
              "read and written + one logits row per call. Activations are "
              "not counted.\n",
              cfg.tieWordEmbeddings ? "the tied embedding table as lm_head"
                                    : "lm_head");
  std::printf("- flops: 2 x linear params x T + 2 x lm_head params per call "
              "+ 4 x T x layers x heads x K x V (retention's useful work, "
              "as retc-bench-gpu counts it; the chunkwise form's intra-chunk "
              "work is not counted).\n");
  std::printf("- floor: decode = bytes / copy bandwidth; prefill = "
              "max(flops / %s matmul rate, bytes / copy bandwidth): the "
              "retention flops are charged at the matmul rate too.\n",
              weightTypeName);
  if (cublas && opts.cublasReps > 0)
    std::printf("- cuBLAS rows: each distinct linear shape of the model "
                "through cublasGemmEx (%s, fp32 compute) at the rows of each "
                "call, lm_head at 1 row per call, median of %d calls, times "
                "how many the model has; bytes = those weights once.\n",
                weightTypeName, opts.cublasReps);

  if (opts.probe && !parts.wall.empty()) {
    double wall = median(parts.wall);
    auto line = [&](const char *what, double sec) {
      std::printf("| %s | %.3f | %.0f%% |\n", what, sec * 1e3,
                  100 * sec / wall);
    };
    std::printf("\nDecode step, split by the probe (medians of %d steps; "
                "%d launches a step):\n\n",
                int(parts.wall.size()), int(median(std::vector<double>(
                                            parts.launches.begin(),
                                            parts.launches.end()))));
    std::printf("| part | ms | share of the step |\n|---|---:|---:|\n");
    line("tokens in (host to device)", median(parts.in));
    line("host program enqueueing the launches", median(parts.enqueue));
    line("waiting for the GPU after the last launch", median(parts.wait));
    line("logits out (device to host)", median(parts.out));
    line("whole step (probed)", wall);
    line("GPU: first kernel to wait, gaps included", median(parts.gpuSpan));
    if (!busy.empty())
      line("GPU: the kernels alone (queued behind the gate)", median(busy));
    std::printf("\n- the gate: a %.3f ms spin kernel before each step's "
                "first kernel; %d of %d gated steps enqueued every launch "
                "within it (only those count).\n",
                gateSeconds * 1e3, held, gatedSteps);
    if (!busy.empty())
      std::printf("- host-side share of a step: 1 - kernels alone / wall = "
                  "%.0f%% (the copies in and out %.0f%%).\n",
                  100 * (1 - median(busy) / median(decodeSec)),
                  100 * (median(parts.in) + median(parts.out)) / wall);
  } else if (!probeNote.empty()) {
    std::printf("\n- %s\n", probeNote.c_str());
  }
  if (!finite)
    return 1;
  return failed ? 1 : 0;
}
