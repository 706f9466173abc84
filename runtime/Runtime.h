//===- Runtime.h - Load a package and run one of its kernels ----*- C++ -*-===//
//
// The runtime's small C++ entry point. A `Session` reads a package, picks a
// kernel, owns one host buffer per parameter (in the parameter's element
// type), converts float32 inputs into them, runs the kernel on the package's
// target (the host CPU, or a CUDA GPU) and converts the outputs back to
// float32:
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

#include "runtime/KernelRunner.h"
#include "runtime/package/Package.h"
#include "runtime/Status.h"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace retc::rt {

/// What Session::open selects.
struct SessionOptions {
  /// The kernel to run, by manifest name; empty: the package's only kernel.
  std::string kernel;
  /// cuda: the device ordinal; -1: the environment variable RETC_DEVICE if
  /// set, else 0. Ignored for CPU packages.
  int device = -1;
};

/// One kernel of one package, with its parameter buffers.
class Session {
public:
  /// Reads and validates the package at `path` and selects the kernel named
  /// `kernelName` (empty: the package's only kernel). Allocates the host
  /// buffers; the kernel's code is loaded (and, for a CUDA package, the
  /// driver and device opened) by `load` or the first `run`.
  static Expected<std::unique_ptr<Session>>
  open(const std::string &path, const std::string &kernelName = "");
  /// As above, with the kernel and the CUDA device in `options`. Fails on a
  /// RETC_DEVICE that is not a non-negative integer.
  static Expected<std::unique_ptr<Session>> open(const std::string &path,
                                                 const SessionOptions &options);

  const Package &package() const { return pkg; }
  const KernelDesc &kernel() const { return *desc; }
  /// The CUDA device ordinal the session uses (0 for CPU packages).
  int device() const { return deviceOrdinal; }
  /// Where the kernel runs: "cpu", or "cuda device 0 (NVIDIA H200, sm_90)"
  /// once loaded.
  std::string where() const { return runner->where(); }

  /// Loads the kernel's code now (otherwise the first `run` does).
  Error load();

  /// Converts `data` (float32, row-major, `shape`) into input `name`. Fails
  /// if there is no such input or the shape differs from the parameter's.
  Error setInput(const std::string &name, const std::vector<int64_t> &shape,
                 const float *data);

  /// Runs the kernel `repeat` times (>= 1). Every input must have been set.
  /// Outputs are filled with NaN first, so anything the kernel fails to
  /// write shows. If `seconds` is given it receives each run's time.
  Error run(unsigned repeat = 1, std::vector<double> *seconds = nullptr);
  /// Runs as `options` says (KernelRunner.h): repeat count, CUDA graph
  /// replay. Times, if `seconds` is given, are wall times of each call on
  /// the CPU and CUDA-event times of each launch or graph replay on a GPU
  /// (after an untimed warm-up run when repeat > 1). Fails if `graph` is
  /// asked of a CPU package.
  Error run(const RunOptions &options, std::vector<double> *seconds = nullptr);

  /// Output `name` converted to float32.
  Expected<std::vector<float>> getOutput(const std::string &name) const;

  /// The host buffer of parameter `name` in its element type, or nullptr.
  /// For a CUDA package it holds the inputs as last set and the outputs of
  /// the last run.
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
  int deviceOrdinal = 0;
  std::vector<std::unique_ptr<void, Free>> buffers;
  std::vector<bool> inputSet;
  std::unique_ptr<KernelRunner> runner;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_RUNTIME_H
