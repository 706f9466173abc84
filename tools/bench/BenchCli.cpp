//===- BenchCli.cpp - command-line pieces both benchmarks share -----------===//
//
// See BenchCli.h.
//
//===----------------------------------------------------------------------===//
#include "tools/bench/BenchCli.h"

#include <algorithm>
#include <cstdio>

std::pair<std::string, std::string>
retc::bench::splitCase(const std::string &arg) {
  size_t eq = arg.find('=');
  std::string path = eq == std::string::npos ? arg : arg.substr(eq + 1);
  std::string name;
  if (eq != std::string::npos) {
    name = arg.substr(0, eq);
  } else {
    size_t slash = path.find_last_of('/');
    name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.size() > 7 && name.substr(name.size() - 7) == ".retpkg")
      name.resize(name.size() - 7);
  }
  return {name, path};
}

void retc::bench::addCpuCeilingOptions(CLI::App &app, int &gemmN,
                                       size_t &streamMiB, std::string &blasCore,
                                       const std::string &blasCoreUse) {
  app.add_option("--gemm-n", gemmN, "sgemm size for the matmul ceiling (2048)")
      ->type_name("N")
      ->check(CLI::Range(64, 16384));
  app.add_option("--stream-mib", streamMiB,
                 "MiB per array for the bandwidth ceiling (512)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--blas-core", blasCore,
                 "OpenBLAS kernels for " + blasCoreUse +
                     ": auto (SkylakeX where the CPU has AVX-512), env "
                     "(OPENBLAS_CORETYPE as set), or an OpenBLAS core name "
                     "(auto)")
      ->type_name("NAME");
}

int retc::bench::parseCommandLine(CLI::App &app, int argc, char **argv,
                                  const char *tool) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::string what = e.what();
    std::replace(what.begin(), what.end(), '\n', ' ');
    std::fprintf(stderr, "%s: error: %s (see --help)\n", tool, what.c_str());
    return 2;
  }
  return -1;
}
