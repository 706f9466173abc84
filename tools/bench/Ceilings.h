//===- Ceilings.h - Machine ceilings measured by the CPU benchmark -*- C++
//-*-===//
//
// The two numbers the CPU benchmark divides by: the matmul rate (OpenBLAS
// sgemm, all cores) and the memory bandwidth (a STREAM-like copy and triad over
// arrays much larger than the last-level cache, all cores). Both are measured
// in the same run as the kernels they judge. No MLIR or LLVM headers.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_CEILINGS_H
#define RETC_TOOLS_BENCH_CEILINGS_H

#include <cstddef>

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

/// Wall-clock seconds from a monotonic clock.
double nowSeconds();

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_CEILINGS_H
