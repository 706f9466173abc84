//===- CudaGraph.h - Capturing launches into a CUDA graph -------*- C++ -*-===//
//
// A decode step of a retention model at batch 1 runs for microseconds, about
// as long as launching it. Capturing the launch into a CUDA graph once and
// replaying the instantiated graph is how a decode loop pays that cost only
// once; `CudaGraph` does the capture (stream capture on the device's stream)
// and the replays.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CUDAGRAPH_H
#define RETC_RUNTIME_CUDAGRAPH_H

#include "runtime/cuda/CudaDevice.h"

#include <functional>
#include <memory>

namespace retc::rt {

/// An instantiated CUDA graph. Owns the graph and its executable form.
class CudaGraph {
public:
  /// Captures what `enqueue` puts on `device`'s stream (it must only
  /// enqueue: no synchronization, no copies to the host) and instantiates
  /// it. If `enqueue` fails, capture is ended and its error returned.
  static Expected<std::unique_ptr<CudaGraph>>
  capture(const CudaDevice &device, const std::function<Error()> &enqueue);

  CudaGraph(const CudaGraph &) = delete;
  CudaGraph &operator=(const CudaGraph &) = delete;
  ~CudaGraph();

  /// Enqueues one replay of the graph on the device's stream.
  Error replay() const;

private:
  explicit CudaGraph(const CudaDevice &device) : device(device) {}

  const CudaDevice &device;
  cuda::CUgraph graph = nullptr;
  cuda::CUgraphExec exec = nullptr;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_CUDAGRAPH_H
