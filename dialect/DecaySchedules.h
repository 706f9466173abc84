//===- DecaySchedules.h - the named decay schedules -------------*- C++ -*-===//
//
// The per-head decays gamma_h of the named schedules (`retnet`, `paper`),
// shared by the dialect's DecayAttr and the model description
// (frontend/ModelConfig) so that a model and a kernel agree on every gamma
// to the bit. Plain C++ over LLVM's ADT, no MLIR: the model-description
// readers build without MLIR (and so do their fuzzers, fuzz/).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_DIALECT_DECAYSCHEDULES_H
#define RETC_DIALECT_DECAYSCHEDULES_H

#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir::retention {
/// The most heads the `retnet` schedule is defined for: gamma_49 =
/// 1 - 2^-54 rounds to 1 in double (and every later one is 1), where a decay
/// must be below 1; gamma_48 = 1 - 2^-53 is the last one that is not.
constexpr int64_t kMaxRetNetHeads = 49;
/// gamma_h = 1 - 2^(-5-h), h = 0..numHeads-1 (torchscale,
/// flash-linear-attention).
llvm::SmallVector<double> retnetGammas(int64_t numHeads);
/// gamma = 1 - exp(linspace(log 1/32, log 1/512, numHeads)) (the paper's runs).
llvm::SmallVector<double> paperGammas(int64_t numHeads);
} // namespace mlir::retention

#endif // RETC_DIALECT_DECAYSCHEDULES_H
