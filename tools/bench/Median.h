//===- Median.h - the statistic the benchmarks report -----------*- C++ -*-===//
//
// Every benchmark reports the median of its timed runs.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_MEDIAN_H
#define RETC_TOOLS_BENCH_MEDIAN_H

#include <algorithm>
#include <vector>

namespace retc::bench {

/// The median of `v` (the mean of the middle two for an even count); `v`
/// must not be empty.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_MEDIAN_H
