//===- GpuTiming.cpp - CUDA event timing for retc-bench-gpu ---------------===//
//
// Implements GpuTiming.h.
//
//===----------------------------------------------------------------------===//
#include "tools/bench/GpuTiming.h"

#include <algorithm>

using namespace retc;
using rt::Error;
using rt::Expected;
using rt::cuda::CUdeviceptr;

namespace retc::bench {

std::vector<uint8_t> randomData(uint64_t count, rt::DType type, Rng &rng) {
  std::vector<uint8_t> out(count * rt::dtypeSize(type));
  constexpr uint64_t kBlock = 1 << 20;
  std::vector<float> block(std::min(count, kBlock));
  for (uint64_t done = 0; done < count; done += kBlock) {
    uint64_t n = std::min(kBlock, count - done);
    for (uint64_t i = 0; i < n; ++i)
      block[i] = rng.uniform();
    rt::convertFromF32(block.data(), out.data() + done * rt::dtypeSize(type),
                       n, type);
  }
  return out;
}

Error timeEach(const rt::CudaDevice &dev, Events &events, int count,
               const std::function<Error()> &step,
               std::vector<double> &seconds) {
  const rt::CudaDriver &drv = dev.driver();
  if (Error err = events.reserve(2 * static_cast<size_t>(count)))
    return err;
  for (int i = 0; i < count; ++i) {
    if (Error err = drv.check(drv.eventRecord(events[2 * i], dev.stream()),
                              "cuEventRecord"))
      return err;
    if (Error err = step())
      return err;
    if (Error err = drv.check(drv.eventRecord(events[2 * i + 1], dev.stream()),
                              "cuEventRecord"))
      return err;
  }
  if (Error err = drv.check(drv.eventSynchronize(events[2 * count - 1]),
                            "cuEventSynchronize"))
    return err;
  for (int i = 0; i < count; ++i) {
    float ms = 0;
    if (Error err = drv.check(
            drv.eventElapsedTime(&ms, events[2 * i], events[2 * i + 1]),
            "cuEventElapsedTime"))
      return err;
    seconds.push_back(ms * 1e-3);
  }
  return Error::success();
}

Expected<double> timeBackToBack(const rt::CudaDevice &dev, Events &events,
                                int count, const std::function<Error()> &step) {
  const rt::CudaDriver &drv = dev.driver();
  if (Error err = events.reserve(2))
    return err;
  if (Error err =
          drv.check(drv.eventRecord(events[0], dev.stream()), "cuEventRecord"))
    return err;
  for (int i = 0; i < count; ++i)
    if (Error err = step())
      return err;
  if (Error err =
          drv.check(drv.eventRecord(events[1], dev.stream()), "cuEventRecord"))
    return err;
  if (Error err =
          drv.check(drv.eventSynchronize(events[1]), "cuEventSynchronize"))
    return err;
  float ms = 0;
  if (Error err = drv.check(drv.eventElapsedTime(&ms, events[0], events[1]),
                            "cuEventElapsedTime"))
    return err;
  return ms * 1e-3 / count;
}

Error copyToDevice(const rt::CudaDevice &dev, CUdeviceptr dst,
                   const std::vector<uint8_t> &src) {
  const rt::CudaDriver &drv = dev.driver();
  return drv.check(
      drv.memcpyHtoDAsync(dst, src.data(), src.size(), dev.stream()),
      "cuMemcpyHtoDAsync");
}

} // namespace retc::bench
