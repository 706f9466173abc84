//===- KernelRunner.h - How a Session runs its kernel on a target -*- C++ -*-=//
//
// The target-specific half of a Session, behind one interface: the CPU
// runner calls the kernel on the Session's host buffers; the CUDA runner
// mirrors them in device memory. The Session owns the host buffers (one per
// parameter, in the parameter's element type) and the dtype conversions.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_KERNELRUNNER_H
#define RETC_RUNTIME_KERNELRUNNER_H

#include "runtime/Status.h"

#include <string>
#include <vector>

namespace retc::rt {

/// How Session::run runs the kernel.
struct RunOptions {
  /// Run the kernel this many times (>= 1); outputs come from the last run.
  unsigned repeat = 1;
  /// cuda only: capture one launch into a CUDA graph, instantiate it, and
  /// replay the graph instead of launching (what a decode loop does).
  bool graph = false;
};

/// Runs one kernel of one package on one device.
class KernelRunner {
public:
  virtual ~KernelRunner() = default;

  /// Prepares everything a run needs (loads the code; on a GPU also opens
  /// the device and allocates the buffers). Idempotent.
  virtual Error load() = 0;

  /// Runs the kernel over `host`, one buffer per manifest parameter in the
  /// parameter's element type: inputs are read from it, outputs are filled
  /// with NaN, then the kernel runs `options.repeat` times, then the outputs
  /// are in `host`. If `seconds` is given it receives one time per run: wall
  /// time of the call on the CPU, event-measured GPU time on CUDA (after one
  /// untimed warm-up run when repeat > 1).
  virtual Error run(const std::vector<void *> &host, const RunOptions &options,
                    std::vector<double> *seconds) = 0;

  /// Where the kernel runs, e.g. "cpu" or "cuda device 0 (NVIDIA H200,
  /// sm_90)"; complete only after `load`.
  virtual std::string where() const = 0;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_KERNELRUNNER_H
