//===- BlasLinears.h - A model's linear layers through OpenBLAS -*- C++ -*-===//
//
// A reference for the whole-model benchmark: the same weight matrices the
// compiled model multiplies, run through OpenBLAS one after another (sgemv
// for one token, sgemm for a prompt), with nothing else in between. What a
// model built on OpenBLAS would spend in its linears, measured in the same
// run. No MLIR or LLVM headers.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_BLASLINEARS_H
#define RETC_TOOLS_BENCH_BLASLINEARS_H

#include <cstdint>
#include <vector>

namespace retc::bench {

/// One product y[tokens, rows] = x[tokens, cols] * w^T with a row-major
/// float32 weight w[rows, cols] (a Linear weight, [out, in]).
struct LinearCall {
  const float *weight = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t tokens = 1;
};

/// The best of `reps` passes over all `calls` in order.
struct LinearsTiming {
  double bestSeconds = 0;
  double weightBytes = 0; ///< 4 * sum of rows * cols
  double flops = 0;       ///< 2 * sum of tokens * rows * cols
};

/// Runs every call in order (cblas_sgemv where tokens == 1, else
/// cblas_sgemm with B transposed) on random activations, one untimed pass,
/// then `reps` timed passes; OpenBLAS uses `threads` threads.
LinearsTiming timeLinears(const std::vector<LinearCall> &calls, int reps,
                          int threads);

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_BLASLINEARS_H
