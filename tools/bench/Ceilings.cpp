//===- Ceilings.cpp - sgemm rate and memory bandwidth, measured -----------===//
//
// Implements Ceilings.h: OpenBLAS sgemm for the matmul rate, an OpenMP
// STREAM-like copy and triad for the memory bandwidth, the choice of
// OpenBLAS's kernels.
//
//===----------------------------------------------------------------------===//
#include "tools/bench/Ceilings.h"

#include <cblas.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

// OpenBLAS extensions; declared here too in case <cblas.h> is netlib's.
extern "C" void openblas_set_num_threads(int numThreads);
extern "C" char *openblas_get_corename(void);

namespace retc::bench {

double nowSeconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

void chooseBlasCore(int argc, char **argv) {
  if (std::getenv("RETC_BENCH_REEXEC"))
    return; // already re-run
  std::string want = "auto";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--blas-core" && i + 1 < argc)
      want = argv[i + 1];
    else if (arg.rfind("--blas-core=", 0) == 0) // CLI11 takes this form too
      want = arg.substr(12);
  }
  if (want == "env")
    return;
  if (want == "auto") {
    if (!__builtin_cpu_supports("avx512f"))
      return;
    want = "SkylakeX";
  }
  const char *have = std::getenv("OPENBLAS_CORETYPE");
  if (have && want == have)
    return;
  if (have)
    ::setenv("RETC_BENCH_ENV_CORETYPE", have, 1);
  ::setenv("OPENBLAS_CORETYPE", want.c_str(), 1);
  ::setenv("RETC_BENCH_REEXEC", "1", 1);
  ::execv("/proc/self/exe", argv);
  // execv failed: carry on with the detected core.
}

std::string blasCoreDescription() {
  std::string text = std::string("OpenBLAS ") + openblas_get_corename() +
                     " kernels";
  if (const char *envCore = std::getenv("RETC_BENCH_ENV_CORETYPE"))
    text += std::string("; OPENBLAS_CORETYPE=") + envCore +
            " in the environment overridden";
  return text;
}

namespace {
/// 64-byte aligned float storage, freed with std::free.
struct AlignedFree {
  void operator()(float *p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<float[], AlignedFree>;

AlignedBuffer allocFloats(size_t count) {
  size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
  return AlignedBuffer(static_cast<float *>(std::aligned_alloc(64, bytes)));
}
} // namespace

GemmCeiling measureGemm(int n, int reps, int threads) {
  openblas_set_num_threads(threads);
  size_t count = static_cast<size_t>(n) * n;
  std::vector<float> a(count), b(count), c(count, 0.0f);
  std::mt19937 gen(1234);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t i = 0; i < count; ++i) {
    a[i] = dist(gen);
    b[i] = dist(gen);
  }
  GemmCeiling result;
  result.n = n;
  result.bestSeconds = 1e30;
  // One untimed call: OpenBLAS starts its threads and touches the pages.
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
              a.data(), n, b.data(), n, 0.0f, c.data(), n);
  for (int r = 0; r < reps; ++r) {
    double t0 = nowSeconds();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                a.data(), n, b.data(), n, 0.0f, c.data(), n);
    result.bestSeconds = std::min(result.bestSeconds, nowSeconds() - t0);
  }
  result.gflops = 2.0 * n * double(n) * n / result.bestSeconds / 1e9;
  return result;
}

BandwidthCeiling measureBandwidth(size_t bytesPerArray, int reps, int threads) {
  const size_t n = bytesPerArray / sizeof(float);
  AlignedBuffer a = allocFloats(n), b = allocFloats(n), c = allocFloats(n);
  float *pa = a.get(), *pb = b.get(), *pc = c.get();
  // First touch by the threads that will sweep each part (NUMA placement).
#pragma omp parallel for schedule(static) num_threads(threads)
  for (size_t i = 0; i < n; ++i) {
    pa[i] = 1.0f;
    pb[i] = 2.0f;
    pc[i] = 0.5f;
  }
  double bestCopy = 1e30, bestTriad = 1e30;
  const float s = 3.0f;
  for (int r = 0; r < reps + 1; ++r) {
    double t0 = nowSeconds();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < n; ++i)
      pc[i] = pa[i];
    double t1 = nowSeconds();
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < n; ++i)
      pa[i] = pb[i] + s * pc[i];
    double t2 = nowSeconds();
    if (r == 0)
      continue; // warm-up sweep
    bestCopy = std::min(bestCopy, t1 - t0);
    bestTriad = std::min(bestTriad, t2 - t1);
  }
  // Keep the compiler from dropping the sweeps.
  volatile float sink = pa[n / 2] + pc[n / 3];
  (void)sink;
  BandwidthCeiling result;
  result.bytesPerArray = n * sizeof(float);
  result.threads = threads;
  result.copyGBs = 2.0 * n * sizeof(float) / bestCopy / 1e9;
  result.triadGBs = 3.0 * n * sizeof(float) / bestTriad / 1e9;
  return result;
}

CpuCeilings measureAndPrintCpuCeilings(int gemmN, int gemmReps,
                                       size_t streamMiB, int streamReps,
                                       int threads) {
  CpuCeilings c;
  c.gemm = measureGemm(gemmN, gemmReps, threads);
  std::printf("ceiling  sgemm %dx%dx%d (%s, best of %d): %.1f GFLOP/s\n",
              c.gemm.n, c.gemm.n, c.gemm.n, blasCoreDescription().c_str(),
              gemmReps, c.gemm.gflops);
  std::fflush(stdout);
  c.bandwidth = measureBandwidth(streamMiB << 20, streamReps, threads);
  std::printf(
      "ceiling  memory bandwidth (3 x %zu MiB arrays, best of %d, "
      "read+write bytes): copy %.1f GB/s, triad %.1f GB/s -> %.1f GB/s\n",
      streamMiB, streamReps, c.bandwidth.copyGBs, c.bandwidth.triadGBs,
      c.bandwidth.bestGBs());
  std::fflush(stdout);
  return c;
}

} // namespace retc::bench
