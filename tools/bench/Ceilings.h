//===- Ceilings.h - CPU ceilings the benchmarks divide by -------*- C++ -*-===//
//
// The two numbers the CPU benchmarks (retc-bench-cpu, retc-bench-model)
// divide by: the matmul rate (OpenBLAS sgemm, all cores) and the memory
// bandwidth (a STREAM-like copy and triad over arrays much larger than the
// last-level cache, all cores). Both are measured in the same run as the code
// they judge. Also the choice of OpenBLAS's kernels both programs make before
// measuring. No MLIR or LLVM headers.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_CEILINGS_H
#define RETC_TOOLS_BENCH_CEILINGS_H

#include <cstddef>
#include <string>

namespace retc::bench {

/// The sgemm ceiling: the best of `reps` calls of cblas_sgemm on `n`x`n`
/// float32 matrices, counting 2 n^3 flops per call.
struct GemmCeiling {
  int n = 0;
  double bestSeconds = 0;
  double gflops = 0; ///< 2 n^3 / bestSeconds / 1e9
};

/// The memory-bandwidth ceiling: the best of `reps` sweeps of a copy
/// (c = a; 8 bytes per element moved) and a triad (a = b + s c; 12 bytes per
/// element moved) over float32 arrays of `bytesPerArray` bytes each, split
/// statically over all threads. Bytes count what is read plus what is written
/// (write-allocate traffic is not counted, as in STREAM).
struct BandwidthCeiling {
  size_t bytesPerArray = 0;
  int threads = 0;
  double copyGBs = 0;
  double triadGBs = 0;
  /// The larger of the two: the floor uses the best bandwidth seen.
  double bestGBs() const { return copyGBs > triadGBs ? copyGBs : triadGBs; }
};

/// Measures the sgemm ceiling (OpenBLAS, with its thread count set to
/// `threads`).
GemmCeiling measureGemm(int n, int reps, int threads);

/// Measures the bandwidth ceiling with `threads` OpenMP threads.
BandwidthCeiling measureBandwidth(size_t bytesPerArray, int reps, int threads);

/// Both CPU ceilings, measured with `threads` threads.
struct CpuCeilings {
  GemmCeiling gemm;
  BandwidthCeiling bandwidth;
};

/// Measures the sgemm ceiling (gemmN, best of gemmReps) and the bandwidth
/// ceiling (3 arrays of streamMiB MiB, best of streamReps), printing each as
/// a `ceiling  ...` line on stdout as soon as it is known.
CpuCeilings measureAndPrintCpuCeilings(int gemmN, int gemmReps,
                                       size_t streamMiB, int streamReps,
                                       int threads);

/// The ceiling must be what the machine can do, so the OpenBLAS kernels are
/// chosen here, not inherited: OpenBLAS 0.3.21 (Debian 12) does not know AMD
/// Zen 4/5 and runs its AVX2 (Haswell) kernels there, about half the AVX-512
/// rate, and some environments export OPENBLAS_CORETYPE=Haswell. OpenBLAS
/// reads OPENBLAS_CORETYPE when it loads, before main, so this re-runs the
/// program (execv of /proc/self/exe) with the chosen value; call it first in
/// main. It reads `--blas-core VALUE` from argv: `auto` (the default;
/// SkylakeX where the CPU has AVX-512, else OpenBLAS's own choice), `env`
/// (keep the environment's choice), or an OpenBLAS core name.
void chooseBlasCore(int argc, char **argv);

/// "OpenBLAS <core> kernels" and, when chooseBlasCore overrode an
/// OPENBLAS_CORETYPE of the environment, "; OPENBLAS_CORETYPE=<x> in the
/// environment overridden".
std::string blasCoreDescription();

/// Wall-clock seconds from a monotonic clock.
double nowSeconds();

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_CEILINGS_H
