//===- Runtime.h - Load a package and run one of its kernels ----*- C++ -*-===//
//
// The runtime's small C++ entry point. A `Session` reads a package, picks a
// kernel, owns one host buffer per parameter (in the parameter's element
// type), converts float32 inputs into them, runs the kernel and converts the
// outputs back to float32:
// \code
//   Expected<std::unique_ptr<Session>> session = Session::open("k.retpkg");
//   if (!session) { report(session.message()); return; }
//   (*session)->setInput("q", {2, 5, 3, 4}, q);   // ... k, v
//   if (Error err = (*session)->run()) ...
//   Expected<std::vector<float>> o = (*session)->getOutput("o");
// \endcode
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_RUNTIME_H
#define RETC_RUNTIME_RUNTIME_H

#include "runtime/CpuKernel.h"
#include "runtime/Package.h"
#include "runtime/Status.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace retc::rt {

/// One kernel of one package, with its parameter buffers.
class Session {
public:
  /// Reads and validates the package at `path` and selects the kernel named
  /// `kernelName` (empty: the package's only kernel). Allocates the buffers;
  /// the kernel's code is loaded by `load` or the first `run`. Fails if the
  /// package targets a device this runtime has no backend for.
  static Expected<std::unique_ptr<Session>>
  open(const std::string &path, const std::string &kernelName = "");

  const Package &package() const { return pkg; }
  const KernelDesc &kernel() const { return *desc; }

  /// Loads the kernel's code now (otherwise the first `run` does).
  Error load();

  /// Converts `data` (float32, row-major, `shape`) into input `name`. Fails
  /// if there is no such input or the shape differs from the parameter's.
  Error setInput(const std::string &name, const std::vector<int64_t> &shape,
                 const float *data);

  /// Runs the kernel `repeat` times (>= 1). Every input must have been set.
  /// Outputs are filled with NaN first, so anything the kernel fails to
  /// write shows. If `seconds` is given it receives each run's wall time.
  Error run(unsigned repeat = 1, std::vector<double> *seconds = nullptr);

  /// Output `name` converted to float32.
  Expected<std::vector<float>> getOutput(const std::string &name) const;

  /// The raw buffer of parameter `name` in its element type, or nullptr.
  void *buffer(const std::string &name);

private:
  struct Free {
    void operator()(void *p) const { std::free(p); }
  };
  Session() = default;
  /// Index of parameter `name` in the manifest, or -1.
  int paramIndex(const std::string &name) const;

  Package pkg;
  const KernelDesc *desc = nullptr;
  std::vector<std::unique_ptr<void, Free>> buffers;
  std::vector<bool> inputSet;
  std::unique_ptr<CpuKernel> cpuKernel;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_RUNTIME_H
