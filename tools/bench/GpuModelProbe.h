//===- GpuModelProbe.h - Where a GPU model call spends its time -*- C++ -*-===//
//
// retc-bench-gpu-model times `Model::decode` by the wall clock, which
// includes the runtime's copies (tokens and state in, logits and state
// out), the host program enqueueing every launch, and the GPU running them.
// The probe splits that time without changing the runtime: it replaces two
// entries of the process's driver table (CudaDriver::get(), the table every
// runtime object calls through; a heap object, so writing it is defined)
// with wrappers that note, for one armed model call,
//
//   - the host time of the call's first kernel launch and the end of its
//     last (the host program's enqueueing);
//   - the host time of the first stream wait after the launches (GpuModel
//     waits for the stream once the host program returns) and its end;
//   - the GPU time between an event recorded on the model's stream just
//     before the first launch and one recorded just before that wait: the
//     span of the call's kernels on the GPU, gaps included.
//
// With a gate (`arm(gateSeconds)`), a spin kernel of that many seconds
// (one thread reading %globaltimer) is launched on the model's stream
// before the first kernel and the start event after it: when the host
// enqueues every launch before the gate opens (`gateHeld`), the kernels run
// back to back, and the span is the GPU's own time for the call, with no
// wait for the host ("the GPU busy"). The wrappers pass everything else
// through, and restore the table when the probe is destroyed. Only the
// thread that calls the model may use the probe.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_GPUMODELPROBE_H
#define RETC_TOOLS_BENCH_GPUMODELPROBE_H

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/Status.h"

#include <memory>

namespace retc::bench {

/// Seconds on the host's steady clock (the probe's time base).
double probeNow();

/// One model call as the probe saw it. Host times in seconds on probeNow's
/// clock; 0 where the call did not get there.
struct ProbeRecord {
  int launches = 0;
  double firstLaunch = 0, lastLaunchEnd = 0;
  double waitStart = 0, waitEnd = 0;
  /// GPU seconds from the start event (after the gate, if any) to the end
  /// event.
  double gpuSeconds = 0;
  bool gated = false;
  /// Gated calls: every launch was enqueued within the gate's length of
  /// the first, so none waited for the host.
  bool gateHeld = false;
};

class GpuModelProbe {
public:
  /// Installs the probe on the process's driver table; `device` (which
  /// must outlive the probe) shares the primary context the model uses.
  /// Loads the spin kernel (PTX, JIT-compiled by the driver). At most one
  /// probe at a time.
  static rt::Expected<std::unique_ptr<GpuModelProbe>>
  install(const rt::CudaDevice &device);

  GpuModelProbe(const GpuModelProbe &) = delete;
  GpuModelProbe &operator=(const GpuModelProbe &) = delete;
  /// Restores the driver table and frees the events and the module.
  ~GpuModelProbe();

  /// Watches the next model call (until `collect`); `gateSeconds` > 0
  /// holds the model's stream that long before the call's first kernel.
  void arm(double gateSeconds = 0);
  /// After the call: its record (the events are complete once the model
  /// waited for its stream). Disarms. Fails if a probe call failed or the
  /// call launched nothing.
  rt::Expected<ProbeRecord> collect();

  struct State;

private:
  explicit GpuModelProbe(std::unique_ptr<State> state);
  std::unique_ptr<State> state;
};

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_GPUMODELPROBE_H
