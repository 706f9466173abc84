//===- CpuFeatures.h - Does this CPU have what a package needs? -*- C++ -*-===//
//
// A CPU package records the LLVM target features its code was compiled with
// ("+avx2,+fma,+avx512f,..."). Before a kernel is loaded the runtime checks
// that the host has every instruction-set extension among them that it can
// detect (cpuid and the OS-enabled register state, on x86-64), so that a
// package built for a wider machine fails with a message instead of SIGILL.
// Features it cannot detect (tuning flags, other architectures) are skipped.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CPUFEATURES_H
#define RETC_RUNTIME_CPUFEATURES_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retc::rt {

/// Whether this CPU has feature `name` (LLVM spelling, without '+', e.g.
/// "avx512f", "amx-tile", "sse4.2"); std::nullopt if the runtime cannot tell.
/// The environment variable RETC_CPU_FEATURES_OVERRIDE, if set, replaces the
/// detected set (for tests): a comma-separated list such as "+avx,+avx2"
/// names the features the host is taken to have; every other detectable
/// feature counts as absent.
std::optional<bool> hostHasCpuFeature(std::string_view name);

/// The features enabled ('+') in `features` (LLVM syntax, comma-separated)
/// that this CPU lacks, in the order given; features the runtime cannot
/// detect and disabled ('-') ones are skipped.
std::vector<std::string> missingCpuFeatures(std::string_view features);

} // namespace retc::rt

#endif // RETC_RUNTIME_CPUFEATURES_H
