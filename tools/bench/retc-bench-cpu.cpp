//===- retc-bench-cpu.cpp - CPU benchmark of compiled retention kernels ---===//
//
// A benchmark program, not a test. In one run it measures the machine's
// ceilings (OpenBLAS sgemm rate, STREAM-like memory bandwidth, all cores) and
// then times each given package's kernel through the runtime (RetcRuntime),
// printing, per case: median time, achieved GB/s and GFLOP/s, the floor
//   floor = max(bytes / bandwidth, 4 B T H K V / sgemm rate)
// and the ratio time / floor. `bytes` counts every kernel parameter once:
// q, k, v (and s0 when the kernel takes an initial state) read, o and the
// final state written. Each timed run starts with cold caches. The sgemm
// ceiling uses OpenBLAS's AVX-512 kernels where the CPU has them (see
// chooseBlasCore). docs/benchmarks.md explains the numbers.
//
//   retc-bench-cpu [options] [NAME=]PACKAGE.retpkg ...
//
// No MLIR or LLVM headers: only the runtime, OpenBLAS and OpenMP.
//
//===----------------------------------------------------------------------===//
#include "runtime/Runtime.h"
#include "tools/bench/Ceilings.h"

#include "tools/bench/BenchCli.h"
#include "tools/bench/Median.h"

#include <CLI/CLI.hpp>
#include <cblas.h>
#include <fcntl.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace retc;

using retc::bench::addCpuCeilingOptions;
using retc::bench::parseCommandLine;
using retc::bench::splitCase;
using retc::bench::median;

namespace {

/// Command-line options.
struct Options {
  int reps = 20;
  int warmup = 3;
  int threads = 0; ///< 0: omp_get_max_threads()
  int gemmN = 2048;
  int gemmReps = 5;
  size_t streamMiB = 512;
  int streamReps = 10;
  size_t flushMiB = 256; ///< 0: time back-to-back runs (warm caches)
  std::vector<std::pair<std::string, std::string>> cases; ///< name, path
};

/// The notes of --help below the options.
const char *kFooter = "With no package, only the ceilings are measured.";

/// Parses argv into `opts`. Returns -1 to go on, else the exit status: 0
/// after --help, 2 (after a one-line message) on a bad command line.
int parseArgs(int argc, char **argv, Options &opts) {
  CLI::App app("retc-bench-cpu: measure this machine's ceilings (OpenBLAS "
               "sgemm, memory bandwidth) and time compiled cpu packages "
               "against them.",
               "retc-bench-cpu");
  // As before CLI11: an option given twice keeps its last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::vector<std::string> packages;
  app.add_option("packages", packages,
                 "The packages to time; NAME labels the row (default: the "
                 "file name without .retpkg)")
      ->type_name("[NAME=]PACKAGE.retpkg");
  app.add_option("--reps", opts.reps,
                 "Timed runs per case; the median is reported (20)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  app.add_option("--warmup", opts.warmup, "Untimed runs before timing (3)")
      ->type_name("N")
      ->check(CLI::Range(0, 100000));
  app.add_option("--threads", opts.threads,
                 "Threads for the ceilings (default: OpenMP's, i.e. "
                 "OMP_NUM_THREADS or all cores; kernels use OpenMP too)")
      ->type_name("N")
      ->check(CLI::Range(1, 4096));
  // --blas-core is read by chooseBlasCore, before OpenBLAS ran.
  std::string blasCore;
  addCpuCeilingOptions(app, opts.gemmN, opts.streamMiB, blasCore,
                       "the sgemm ceiling");
  app.add_option("--flush-mib", opts.flushMiB,
                 "Before each timed run, write N MiB to evict the caches "
                 "(256); 0 times back-to-back runs instead")
      ->type_name("N")
      ->check(CLI::Range(0, 1 << 20));
  app.footer(kFooter);

  if (int status = parseCommandLine(app, argc, argv, "retc-bench-cpu");
      status >= 0)
    return status;
  for (const std::string &arg : packages)
    opts.cases.push_back(splitCase(arg));
  return -1;
}

/// One measured case.
struct CaseResult {
  std::string name;
  std::string form;
  std::string shape; ///< "B,T,H,K,V"
  std::string dtype;
  bool stateIn = false;
  double medianSec = 0, minSec = 0;
  double bytes = 0, flops = 0;
  bool finite = true;
};


/// Writes `floats` floats with all threads, so that the next kernel run
/// finds none of its data in the caches (what a layer of a real model sees:
/// the layers between two calls push its data out).
void evictCaches(std::vector<float> &buffer) {
  float *p = buffer.data();
  long n = static_cast<long>(buffer.size());
  static float value = 0;
  value += 1;
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i)
    p[i] = value;
}

/// Opens the package, fills its inputs with random data, warms up and times
/// it. Returns false (after a message) on any runtime failure.
bool runCase(const std::string &name, const std::string &path,
             const Options &opts, std::vector<float> &flushBuffer,
             CaseResult &out) {
  auto session = rt::Session::open(path);
  if (!session) {
    std::fprintf(stderr, "error: %s\n", session.message().c_str());
    return false;
  }
  rt::Session &s = **session;
  if (rt::Error err = s.load()) {
    std::fprintf(stderr, "error: %s\n", err.message().c_str());
    return false;
  }
  const rt::KernelDesc &k = s.kernel();
  out.name = name;
  out.form = rt::formName(k.form);
  if (k.form == rt::KernelForm::Chunkwise && k.chunkSize)
    out.form += "/" + std::to_string(*k.chunkSize);
  const rt::RetentionShape &sh = k.shape;
  out.shape = std::to_string(sh.B) + "," + std::to_string(sh.T) + "," +
              std::to_string(sh.H) + "," + std::to_string(sh.K) + "," +
              std::to_string(sh.V);
  out.dtype = rt::dtypeName(k.dtype);
  out.flops = 4.0 * double(sh.B) * sh.T * sh.H * sh.K * sh.V;

  std::mt19937 gen(20240601);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const rt::TensorParam &p : k.params) {
    out.bytes += double(p.byteSize()); // every parameter moved once
    if (p.role != rt::ParamRole::Input)
      continue;
    if (p.name == "s0")
      out.stateIn = true;
    std::vector<float> data(static_cast<size_t>(p.numElements()));
    for (float &x : data)
      x = dist(gen);
    if (rt::Error err = s.setInput(p.name, p.shape, data.data())) {
      std::fprintf(stderr, "error: %s\n", err.message().c_str());
      return false;
    }
  }

  std::vector<double> seconds;
  if (opts.warmup > 0)
    if (rt::Error err = s.run(static_cast<unsigned>(opts.warmup))) {
      std::fprintf(stderr, "error: %s\n", err.message().c_str());
      return false;
    }
  for (int r = 0; r < opts.reps; ++r) {
    if (!flushBuffer.empty())
      evictCaches(flushBuffer);
    if (rt::Error err = s.run(1, &seconds)) {
      std::fprintf(stderr, "error: %s\n", err.message().c_str());
      return false;
    }
  }
  out.medianSec = median(seconds);
  out.minSec = *std::min_element(seconds.begin(), seconds.end());
  // A benchmark is not a test, but a kernel that writes garbage should not
  // get a good-looking row: flag non-finite outputs.
  for (const rt::TensorParam &p : k.params) {
    if (p.role != rt::ParamRole::Output)
      continue;
    auto data = s.getOutput(p.name);
    if (!data)
      return false;
    for (float x : *data)
      if (!std::isfinite(x)) {
        out.finite = false;
        break;
      }
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  bench::chooseBlasCore(argc, argv);
  Options opts;
  if (int status = parseArgs(argc, argv, opts); status >= 0)
    return status;
  int threads = opts.threads ? opts.threads : omp_get_max_threads();

  std::printf("retc-bench-cpu: %u hardware threads, ceilings with %d threads "
              "(OMP_NUM_THREADS=%s)\n",
              std::thread::hardware_concurrency(), threads,
              std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS")
                                             : "unset");
  std::fflush(stdout);

  bench::CpuCeilings ceilings = bench::measureAndPrintCpuCeilings(
      opts.gemmN, opts.gemmReps, opts.streamMiB, opts.streamReps, threads);
  const bench::GemmCeiling &gemm = ceilings.gemm;
  const bench::BandwidthCeiling &bw = ceilings.bandwidth;
  // Let OpenBLAS's and OpenMP's spinning workers go idle before timing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  if (opts.cases.empty())
    return 0;

  std::vector<CaseResult> results;
  std::vector<float> flushBuffer((opts.flushMiB << 20) / sizeof(float));
  bool failed = false;
  for (auto &[name, path] : opts.cases) {
    CaseResult r;
    if (!runCase(name, path, opts, flushBuffer, r)) {
      failed = true;
      continue;
    }
    results.push_back(r);
  }

  const double bwBytes = bw.bestGBs() * 1e9, gemmFlops = gemm.gflops * 1e9;
  std::printf("\nmedian of %d runs after %d warm-up, %s; flops = "
              "4*B*T*H*K*V; bytes = q,k,v read + o written + final state "
              "written (+ s0 read where 'state in' is yes)\n\n",
              opts.reps, opts.warmup,
              opts.flushMiB ? "caches evicted before each run"
                            : "back to back (warm caches)");
  std::printf("| case | form | B,T,H,K,V | dtype | state in | time (ms) | "
              "GB/s | GFLOP/s | floor (ms) | bound | time/floor |\n");
  std::printf("|---|---|---|---|---|---:|---:|---:|---:|---|---:|\n");
  for (const CaseResult &r : results) {
    double memFloor = r.bytes / bwBytes, flopFloor = r.flops / gemmFlops;
    double floor = std::max(memFloor, flopFloor);
    std::printf("| %s%s | %s | %s | %s | %s | %.3f | %.1f | %.1f | %.3f | %s | "
                "%.2f |\n",
                r.name.c_str(), r.finite ? "" : " (NON-FINITE OUTPUT)",
                r.form.c_str(), r.shape.c_str(), r.dtype.c_str(),
                r.stateIn ? "yes" : "no", r.medianSec * 1e3,
                r.bytes / r.medianSec / 1e9, r.flops / r.medianSec / 1e9,
                floor * 1e3, memFloor >= flopFloor ? "memory" : "compute",
                r.medianSec / floor);
  }
  return failed ? 1 : 0;
}
