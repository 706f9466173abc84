//===- retc-bench-model.cpp - CPU benchmark of a whole compiled model -----===//
//
// A benchmark program, not a test. It opens a model package (retc MODEL
// --target=cpu) with random f32 weights made in memory for exactly the
// tensors the manifest lists, measures the machine's ceilings in the same run
// (OpenBLAS sgemm rate, STREAM-like memory bandwidth), then times
//
//   prefill  a prompt of --prompt tokens from a fresh state (the last
//            token's logits), median of --repeat runs after one warm-up;
//   decode   --decode steps after that prompt, each fed the argmax of the
//            previous logits; median time per step;
//   prompts  with --prompts N > 1 (a package compiled with --max-batch >=
//            N): the same tokens as N prompts joining a batch together,
//            packed into one prefill_batch call (Model::joinPrompts), and
//            the same N prompts prefilled one at a time; median of
//            --repeat runs after one warm-up each;
//
// and prints, per phase, tokens/s, achieved GB/s and GFLOP/s, the floor and
// the ratio time / floor:
//
//   decode floor  = bytes per step / bandwidth; bytes = every weight the step
//                   reads once (all linears, the norms, lm_head or the tied
//                   embedding used as lm_head, one embedding row) + the state
//                   read and written + the logits row written;
//   prefill floor = max(flops / sgemm rate, bytes / bandwidth); flops =
//                   2 * linear params * T + 2 * lm_head params (one logits
//                   row) + 4 * T * layers * heads * K * V (retention).
//
// Two reference rows time the same weight matrices through OpenBLAS alone
// (sgemm for the prompt, sgemv for one token). docs/benchmarks.md explains
// the numbers.
//
//   retc-bench-model [options] PACKAGE.retpkg
//
// No MLIR or LLVM headers: only the runtime, OpenBLAS and OpenMP.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/Model.h"
#include "tools/bench/BenchCli.h"
#include "tools/bench/Median.h"
#include "tools/bench/BlasLinears.h"
#include "tools/bench/Ceilings.h"
#include "tools/bench/ModelCounts.h"

#include <CLI/CLI.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace retc;
using retc::bench::median;
using retc::bench::ModelCounts;
using retc::bench::WeightRole;

namespace {

/// Command-line options.
struct Options {
  std::string package;
  int prompt = 512;
  int prompts = 1;
  int decode = 64;
  int repeat = 5;
  int threads = 0; ///< 0: omp_get_max_threads()
  int gemmN = 2048;
  int gemmReps = 5;
  size_t streamMiB = 512;
  int streamReps = 10;
  int blasReps = 3;
  unsigned seed = 20240601;
};

/// Parses argv into `opts`. Returns -1 to go on, else the exit status: 0
/// after --help, 2 (after a one-line message) on a bad command line.
int parseArgs(int argc, char **argv, Options &opts) {
  CLI::App app("retc-bench-model: time a compiled model (random f32 weights) "
               "for prefill and decode against this machine's ceilings "
               "(OpenBLAS sgemm, memory bandwidth).",
               "retc-bench-model");
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("package", opts.package,
                 "The model package (retc MODEL --target=cpu -o PACKAGE)")
      ->type_name("PACKAGE.retpkg")
      ->required();
  app.add_option("--prompt", opts.prompt, "Prompt length in tokens (512)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--prompts", opts.prompts,
                 "Also time the --prompt tokens as N prompts joining a batch "
                 "together: packed into one prefill_batch call, and one "
                 "prefill a prompt (1: not timed; N needs a package compiled "
                 "with --max-batch >= N)")
      ->type_name("N")
      ->check(CLI::Range(1, 4096));
  app.add_option("--decode", opts.decode,
                 "Decode steps timed after the prompt (64)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--repeat", opts.repeat,
                 "Timed prefill runs, each from a fresh state; the median is "
                 "reported (5)")
      ->type_name("R")
      ->check(CLI::Range(1, 100000));
  app.add_option("--threads", opts.threads,
                 "Threads for the model (omp_set_num_threads), OpenBLAS and "
                 "the bandwidth sweep (default: OpenMP's, i.e. "
                 "OMP_NUM_THREADS or all cores)")
      ->type_name("N")
      ->check(CLI::Range(1, 4096));
  app.add_option("--blas-reps", opts.blasReps,
                 "Passes of the OpenBLAS reference rows, best reported (3); "
                 "0 leaves them out")
      ->type_name("N")
      ->check(CLI::Range(0, 100000));
  app.add_option("--seed", opts.seed, "Seed of the random weights and prompt")
      ->type_name("N");
  // --blas-core is read by chooseBlasCore, before OpenBLAS ran.
  std::string blasCore;
  retc::bench::addCpuCeilingOptions(app, opts.gemmN, opts.streamMiB, blasCore,
                                    "the ceilings");
  return retc::bench::parseCommandLine(app, argc, argv, "retc-bench-model");
}

/// The first line of /proc/loadavg, or "unknown".
std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  if (!std::getline(in, line))
    return "unknown";
  return line;
}

/// One row of the table.
struct Row {
  std::string phase;
  double tokens = 0;
  double seconds = 0;
  double bytes = 0, flops = 0;
  double memFloor = 0, flopFloor = 0; ///< seconds
  std::string note;
};

void printRow(const Row &r) {
  double floor = std::max(r.memFloor, r.flopFloor);
  std::printf("| %s%s | %.0f | %.3f | %.1f | %.1f | %.1f | %.3f | %s | %.2f "
              "|\n",
              r.phase.c_str(), r.note.c_str(), r.tokens, r.seconds * 1e3,
              r.tokens / r.seconds, r.bytes / r.seconds / 1e9,
              r.flops / r.seconds / 1e9, floor * 1e3,
              r.memFloor >= r.flopFloor ? "memory" : "compute",
              r.seconds / floor);
}

int fail(const std::string &message) {
  std::fprintf(stderr, "retc-bench-model: error: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  bench::chooseBlasCore(argc, argv);
  Options opts;
  if (int status = parseArgs(argc, argv, opts); status >= 0)
    return status;
  if (opts.threads)
    omp_set_num_threads(opts.threads);
  int threads = opts.threads ? opts.threads : omp_get_max_threads();

  auto pkg = rt::readPackage(opts.package);
  if (!pkg)
    return fail(pkg.message());
  if (!pkg->manifest.model)
    return fail(opts.package + ": not a model package (no `model` section; "
                               "compile a model with retc MODEL --target=cpu)");
  const rt::ModelManifest &manifest = *pkg->manifest.model;
  for (const char *entry : {"prefill", "decode"})
    if (!manifest.findEntry(entry))
      return fail(opts.package + ": the model has no `" + entry + "` entry");
  const rt::ModelConfigDesc &cfg = manifest.config;
  ModelCounts counts = bench::countModel(manifest);

  std::printf("retc-bench-model: %s\n", opts.package.c_str());
  std::printf("model    hidden %lld, %lld layers, %lld heads (%lld kv), head "
              "k %lld v %lld, ffn %lld, vocab %lld, %s embeddings; %.1f M "
              "parameters (%.1f MB f32)\n",
              (long long)cfg.hiddenSize, (long long)cfg.numLayers,
              (long long)cfg.numHeads, (long long)cfg.numKVHeads,
              (long long)cfg.headKDim, (long long)cfg.headVDim,
              (long long)cfg.intermediateSize, (long long)cfg.vocabSize,
              cfg.tieWordEmbeddings ? "tied" : "untied",
              counts.totalParams / 1e6, 4 * counts.totalParams / 1e6);
  std::printf("machine  %u hardware threads; model, OpenBLAS and bandwidth "
              "sweep on %d threads (OMP_NUM_THREADS=%s); load average "
              "(/proc/loadavg) at start: %s\n",
              std::thread::hardware_concurrency(), threads,
              std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS")
                                             : "unset",
              loadAverage().c_str());
  std::fflush(stdout);

  bench::CpuCeilings ceilings = bench::measureAndPrintCpuCeilings(
      opts.gemmN, opts.gemmReps, opts.streamMiB, opts.streamReps, threads);
  const bench::GemmCeiling &gemm = ceilings.gemm;
  const bench::BandwidthCeiling &bw = ceilings.bandwidth;

  double t0 = bench::nowSeconds();
  bench::RandomWeights weights =
      bench::makeRandomWeights(manifest, opts.seed, unsigned(threads));
  if (!weights.storage)
    return fail("cannot allocate the random weights");
  double madeIn = bench::nowSeconds() - t0;
  auto opened = rt::Model::open(opts.package, weights.map);
  if (!opened)
    return fail(opened.message());
  rt::Model &model = **opened;
  std::printf("weights  %zu tensors, random f32 (about N(0, 1/fan_in) for "
              "linears, N(0, 1) embeddings, N(1, 0.01) norms) made in %.1f s; %zu "
              "used in place, %zu copied\n",
              manifest.weights.size(), madeIn, model.weightsInPlace(),
              model.weightsCopied());

  const double T = opts.prompt;
  std::printf(
      "counts   decode step reads %.1f MB of weights: %lld linears %.1f MB "
      "+ %s %.1f MB + norms %.3f MB + 1 embedding row %.1f KB; state %.2f "
      "MB read + %.2f MB written; logits row %.3f MB written -> %.1f MB per "
      "step\n",
      counts.decodeWeightBytes() / 1e6, (long long)counts.linearCount,
      counts.linearBytes / 1e6,
      cfg.tieWordEmbeddings ? "tied embedding as lm_head" : "lm_head",
      counts.lmHeadBytes / 1e6, counts.otherBytes / 1e6,
      counts.embeddingRowBytes / 1e3, counts.stateBytes() / 1e6,
      counts.stateBytes() / 1e6, counts.logitsRowBytes() / 1e6,
      counts.callBytes(1) / 1e6);
  std::printf("counts   prefill of %d tokens: %.1f GFLOP (2 x %.1f M linear "
              "params x T + 2 x lm_head params for the last token's logits + "
              "4 x T x %.2f M state elements for retention); %.1f MB (as "
              "decode, with T embedding rows)\n",
              opts.prompt, counts.callFlops(T) / 1e9,
              counts.linearParams / 1e6, counts.stateFloats / 1e6,
              counts.callBytes(T) / 1e6);
  std::fflush(stdout);
  // Let OpenBLAS's and OpenMP's spinning workers go idle before timing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // Prefill: one warm-up, then `repeat` runs, each from a fresh state.
  std::mt19937 gen(opts.seed);
  std::uniform_int_distribution<int32_t> tokenDist(
      0, int32_t(cfg.vocabSize - 1));
  std::vector<int32_t> prompt(size_t(opts.prompt));
  for (int32_t &t : prompt)
    t = tokenDist(gen);
  std::vector<float> logits(size_t(cfg.vocabSize));
  rt::SequenceState state = model.newState();
  std::vector<double> prefillSec;
  for (int r = 0; r <= opts.repeat; ++r) {
    state.reset();
    double s0 = bench::nowSeconds();
    if (rt::Error err = model.prefill(state, prompt, logits.data(), false))
      return fail(err.message());
    if (r > 0)
      prefillSec.push_back(bench::nowSeconds() - s0);
  }
  bool finite = bench::allFinite(logits);

  // Decode: after the prompt, each step fed the argmax of the last logits.
  std::vector<double> decodeSec;
  for (int i = 0; i < opts.decode; ++i) {
    int32_t next = bench::argmax(logits);
    double s0 = bench::nowSeconds();
    if (rt::Error err = model.decode(state, next, logits.data()))
      return fail(err.message());
    decodeSec.push_back(bench::nowSeconds() - s0);
    finite = finite && bench::allFinite(logits);
  }
  // Prompts joining together: the prompt cut into N pieces.
  std::vector<double> packedSec, aloneSec;
  std::vector<size_t> lengths;
  if (opts.prompts > 1) {
    if (model.maxBatch() < size_t(opts.prompts) || !model.packsPrompts())
      return fail("--prompts " + std::to_string(opts.prompts) +
                  " needs a cpu package compiled with --max-batch >= " +
                  std::to_string(opts.prompts));
    if (opts.prompt < opts.prompts)
      return fail("--prompts is more than --prompt's tokens");
    for (int i = 0; i < opts.prompts; ++i)
      lengths.push_back(size_t(opts.prompt / opts.prompts +
                               (i < opts.prompt % opts.prompts ? 1 : 0)));
    std::vector<uint64_t> ids(lengths.size());
    std::vector<float> rows(lengths.size() * size_t(cfg.vocabSize));
    for (int r = 0; r <= opts.repeat; ++r) {
      auto batch = model.newBatch();
      if (!batch)
        return fail(batch.message());
      double s0 = bench::nowSeconds();
      if (rt::Error err = model.joinPrompts(*batch, prompt.data(),
                                            lengths.data(), ids.data(),
                                            lengths.size(), rows.data()))
        return fail(err.message());
      if (r > 0)
        packedSec.push_back(bench::nowSeconds() - s0);
      finite = finite && bench::allFinite(rows);
    }
    for (int r = 0; r <= opts.repeat; ++r) {
      double s0 = bench::nowSeconds();
      size_t at = 0;
      for (size_t len : lengths) {
        rt::SequenceState alone = model.newState();
        if (rt::Error err = model.prefill(alone, prompt.data() + at, len,
                                          logits.data(), false))
          return fail(err.message());
        at += len;
      }
      if (r > 0)
        aloneSec.push_back(bench::nowSeconds() - s0);
    }
  }
  std::string loadAfterModel = loadAverage();

  // The reference rows: the same matrices through OpenBLAS.
  std::vector<bench::LinearCall> prefillCalls, decodeCalls;
  for (size_t i = 0; i < manifest.weights.size(); ++i) {
    const rt::WeightDesc &w = manifest.weights[i];
    WeightRole role = bench::roleOf(w);
    bool isHead = role == WeightRole::LmHead ||
                  (role == WeightRole::Embedding && cfg.tieWordEmbeddings);
    if (role != WeightRole::Linear && !isHead)
      continue;
    bench::LinearCall call{weights.data[i], w.shape[0], w.shape[1], 1};
    decodeCalls.push_back(call);
    call.tokens = isHead ? 1 : opts.prompt;
    prefillCalls.push_back(call);
  }
  bench::LinearsTiming blasPrefill, blasDecode;
  if (opts.blasReps > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    blasPrefill = bench::timeLinears(prefillCalls, opts.blasReps, threads);
    blasDecode =
        bench::timeLinears(decodeCalls, std::max(opts.blasReps, 10), threads);
  }

  const double bwBytes = bw.bestGBs() * 1e9, gemmFlops = gemm.gflops * 1e9;
  std::printf("load     (/proc/loadavg) after the model runs: %s\n\n",
              loadAfterModel.c_str());
  std::printf("| phase | tokens | time (ms) | tokens/s | GB/s | GFLOP/s | "
              "floor (ms) | bound | time/floor |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---|---:|\n");
  const char *badNote = finite ? "" : " (NON-FINITE LOGITS)";
  Row prefill{"prefill", T, median(prefillSec), counts.callBytes(T),
              counts.callFlops(T), 0, 0, badNote};
  prefill.memFloor = prefill.bytes / bwBytes;
  prefill.flopFloor = prefill.flops / gemmFlops;
  printRow(prefill);
  Row decode{"decode (per step)", 1, median(decodeSec), counts.callBytes(1),
             counts.callFlops(1), 0, 0, badNote};
  decode.memFloor = decode.bytes / bwBytes;
  printRow(decode);
  if (opts.prompts > 1) {
    // N last-token logits rows and N states written instead of one.
    double n = opts.prompts;
    double extraFlops = (n - 1) * 2 * counts.lmHeadParams;
    double extraBytes = (n - 1) * (counts.stateBytes() + counts.logitsRowBytes());
    std::string what = std::to_string(opts.prompts) + " prompts, ";
    std::string packedName = what + "packed (prefill_batch)";
    std::string aloneName = what + "one prefill each";
    for (auto [name, sec] : {std::pair{packedName, &packedSec},
                             std::pair{aloneName, &aloneSec}}) {
      Row r{name, T, median(*sec), counts.callBytes(T) + extraBytes,
            counts.callFlops(T) + extraFlops, 0, 0, badNote};
      r.memFloor = r.bytes / bwBytes;
      r.flopFloor = r.flops / gemmFlops;
      printRow(r);
    }
  }
  if (opts.blasReps > 0) {
    Row r{"OpenBLAS sgemm, same linears", T, blasPrefill.bestSeconds,
          blasPrefill.weightBytes, blasPrefill.flops, 0, 0, ""};
    r.memFloor = r.bytes / bwBytes;
    r.flopFloor = r.flops / gemmFlops;
    printRow(r);
    Row d{"OpenBLAS sgemv, same linears", 1, blasDecode.bestSeconds,
          blasDecode.weightBytes, blasDecode.flops, 0, 0, ""};
    d.memFloor = d.bytes / bwBytes;
    printRow(d);
  }
  std::printf(
      "\n- prefill: %d tokens from a fresh state, last token's logits; "
      "median of %d runs after 1 warm-up (fastest %.3f ms).\n",
      opts.prompt, opts.repeat,
      *std::min_element(prefillSec.begin(), prefillSec.end()) * 1e3);
  std::printf("- decode: %d steps after the prompt, each fed the argmax of "
              "the previous logits; median step (fastest %.3f ms, slowest "
              "%.3f ms).\n",
              opts.decode,
              *std::min_element(decodeSec.begin(), decodeSec.end()) * 1e3,
              *std::max_element(decodeSec.begin(), decodeSec.end()) * 1e3);
  std::printf(
      "- bytes: every weight read once (linears, norms, %s; the embedding "
      "table only as the rows gathered) + state read and written + one "
      "logits row written. Activations between ops are not counted.\n",
      cfg.tieWordEmbeddings ? "the tied embedding table as lm_head"
                            : "lm_head");
  std::printf("- flops: 2 x linear params x tokens + 2 x lm_head params (one "
              "logits row) + 4 x tokens x layers x heads x K x V "
              "(retention's useful work, as retc-bench-cpu counts it).\n");
  std::printf("- floor: decode = bytes / bandwidth; prefill = max(flops / "
              "sgemm rate, bytes / bandwidth).\n");
  if (opts.blasReps > 0)
    std::printf("- OpenBLAS rows: the model's linear and lm_head weights "
                "through cblas_sgemm (T rows; lm_head 1 row) or cblas_sgemv "
                "(1 row), back to back, nothing else; best of %d and %d "
                "passes; bytes = those weights only.\n",
                opts.blasReps, std::max(opts.blasReps, 10));
  std::printf("- load average (/proc/loadavg) at the end: %s\n",
              loadAverage().c_str());
  return finite ? 0 : 1;
}
