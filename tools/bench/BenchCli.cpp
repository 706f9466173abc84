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
