//===- BlasLinears.cpp - A model's linear layers through OpenBLAS ---------===//
//
// Implements BlasLinears.h.
//
//===----------------------------------------------------------------------===//
#include "tools/bench/BlasLinears.h"
#include "tools/bench/Ceilings.h"

#include <cblas.h>

#include <algorithm>
#include <random>

// OpenBLAS extension; declared here too in case <cblas.h> is netlib's.
extern "C" void openblas_set_num_threads(int numThreads);

namespace retc::bench {

LinearsTiming timeLinears(const std::vector<LinearCall> &calls, int reps,
                          int threads) {
  openblas_set_num_threads(threads);
  LinearsTiming result;
  size_t inSize = 0, outSize = 0;
  for (const LinearCall &c : calls) {
    inSize = std::max(inSize, size_t(c.tokens * c.cols));
    outSize = std::max(outSize, size_t(c.tokens * c.rows));
    result.weightBytes += 4.0 * double(c.rows) * double(c.cols);
    result.flops += 2.0 * double(c.tokens) * double(c.rows) * double(c.cols);
  }
  std::vector<float> x(inSize), y(outSize);
  std::mt19937 gen(99);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (float &v : x)
    v = dist(gen);

  auto pass = [&] {
    for (const LinearCall &c : calls) {
      const int m = int(c.tokens), n = int(c.rows), k = int(c.cols);
      if (m == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, c.weight, k,
                    x.data(), 1, 0.0f, y.data(), 1);
      else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f,
                    x.data(), k, c.weight, k, 0.0f, y.data(), n);
    }
  };
  pass(); // untimed: OpenBLAS starts its threads
  result.bestSeconds = 1e30;
  for (int r = 0; r < reps; ++r) {
    double t0 = nowSeconds();
    pass();
    result.bestSeconds = std::min(result.bestSeconds, nowSeconds() - t0);
  }
  return result;
}

} // namespace retc::bench
