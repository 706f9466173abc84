//===- CudaGraph.cpp - Capturing launches into a CUDA graph -----*- C++ -*-===//
//
// See CudaGraph.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaGraph.h"

namespace retc::rt {

using namespace cuda;

Expected<std::unique_ptr<CudaGraph>>
CudaGraph::capture(const CudaDevice &device,
                   const std::function<Error()> &enqueue) {
  const CudaDriver &drv = device.driver();
  std::unique_ptr<CudaGraph> result(new CudaGraph(device));
  // Thread-local mode: other threads' unsafe calls do not break the capture.
  if (Error err =
          drv.check(drv.streamBeginCapture(device.stream(),
                                           CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                    "cuStreamBeginCapture"))
    return err;
  Error enqueued = enqueue();
  // Always end the capture, so that the stream is usable again.
  CUresult ended = drv.streamEndCapture(device.stream(), &result->graph);
  if (enqueued)
    return Error::failure("while capturing a CUDA graph: " +
                          enqueued.message());
  if (Error err = drv.check(ended, "cuStreamEndCapture"))
    return err;
  if (Error err = drv.check(
          drv.graphInstantiateWithFlags(&result->exec, result->graph, 0),
          "cuGraphInstantiateWithFlags"))
    return err;
  return result;
}

CudaGraph::~CudaGraph() {
  const CudaDriver &drv = device.driver();
  if (exec)
    drv.graphExecDestroy(exec);
  if (graph)
    drv.graphDestroy(graph);
}

Error CudaGraph::replay() const {
  const CudaDriver &drv = device.driver();
  return drv.check(drv.graphLaunch(exec, device.stream()), "cuGraphLaunch");
}

} // namespace retc::rt
