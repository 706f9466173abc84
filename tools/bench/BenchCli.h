//===- BenchCli.h - command-line pieces both benchmarks share ---*- C++ -*-===//
//
// The `[NAME=]PACKAGE.retpkg` case arguments, the CPU ceilings' options and
// the CLI11 parse with the benchmarks' error convention (one line, exit
// status 2).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_BENCHCLI_H
#define RETC_TOOLS_BENCH_BENCHCLI_H

#include <CLI/CLI.hpp>

#include <cstddef>
#include <string>
#include <utility>

namespace retc::bench {

/// Splits a case argument, [NAME=]PACKAGE.retpkg, into (name, path); the
/// name defaults to the file name without .retpkg.
std::pair<std::string, std::string> splitCase(const std::string &arg);

/// The options of the CPU ceilings (Ceilings.h) both CPU benchmarks take:
/// --gemm-n, --stream-mib, and --blas-core (read by chooseBlasCore before
/// the parse; declared for --help and kept in `blasCore`), whose OpenBLAS
/// kernels serve `blasCoreUse` ("the sgemm ceiling", "the ceilings").
void addCpuCeilingOptions(CLI::App &app, int &gemmN, size_t &streamMiB,
                          std::string &blasCore, const std::string &blasCoreUse);

/// Parses the command line. Returns -1 to go on, else the exit status: 0
/// after --help, 2 after printing `<tool>: error: <what> (see --help)`.
int parseCommandLine(CLI::App &app, int argc, char **argv, const char *tool);

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_BENCHCLI_H
