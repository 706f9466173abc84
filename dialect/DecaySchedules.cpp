//===- DecaySchedules.cpp - the named decay schedules ---------------------===//
//
// See DecaySchedules.h.
//
//===----------------------------------------------------------------------===//
#include "dialect/DecaySchedules.h"

#include <cmath>

llvm::SmallVector<double> mlir::retention::retnetGammas(int64_t numHeads) {
  llvm::SmallVector<double> gammas;
  for (int64_t h = 0; h < numHeads; ++h)
    gammas.push_back(1.0 - std::exp2(-5.0 - double(h)));
  return gammas;
}

llvm::SmallVector<double> mlir::retention::paperGammas(int64_t numHeads) {
  // 1 - exp(linspace(log 1/32, log 1/512, H)); a single head takes the first.
  llvm::SmallVector<double> gammas;
  double lo = std::log(1.0 / 32.0), hi = std::log(1.0 / 512.0);
  for (int64_t h = 0; h < numHeads; ++h) {
    double t = numHeads == 1 ? 0.0 : double(h) / double(numHeads - 1);
    gammas.push_back(1.0 - std::exp(lo + t * (hi - lo)));
  }
  return gammas;
}
