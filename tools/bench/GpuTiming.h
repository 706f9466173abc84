//===- GpuTiming.h - CUDA event timing for retc-bench-gpu -------*- C++ -*-===//
//
// What retc-bench-gpu's ceilings and cases share: timing steps enqueued on
// a device's stream between CUDA events, and random input data copied to the
// device. No MLIR or LLVM headers, no cuda.h: only the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_GPUTIMING_H
#define RETC_TOOLS_BENCH_GPUTIMING_H

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/DType.h"
#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace retc::bench {

/// A fast deterministic generator of uniform floats in [-1, 1).
class Rng {
public:
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  float uniform() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    uint64_t x = s * 0x2545F4914F6CDD1Dull;
    return static_cast<float>(static_cast<int64_t>(x) >> 40) * 0x1p-23f;
  }

private:
  uint64_t s;
};

/// `count` random values in [-1, 1) in element type `type`.
std::vector<uint8_t> randomData(uint64_t count, rt::DType type, Rng &rng);

/// CUDA events, created on demand, destroyed with the object.
class Events {
public:
  explicit Events(const rt::CudaDriver &driver) : drv(driver) {}
  Events(const Events &) = delete;
  Events &operator=(const Events &) = delete;
  ~Events() {
    for (rt::cuda::CUevent event : list)
      drv.eventDestroy(event);
  }
  /// Creates events until there are at least `count`.
  rt::Error reserve(size_t count) {
    while (list.size() < count) {
      rt::cuda::CUevent event = nullptr;
      if (rt::Error err =
              drv.check(drv.eventCreate(&event, rt::cuda::CU_EVENT_DEFAULT),
                        "cuEventCreate"))
        return err;
      list.push_back(event);
    }
    return rt::Error::success();
  }
  rt::cuda::CUevent operator[](size_t i) const { return list[i]; }

private:
  const rt::CudaDriver &drv;
  std::vector<rt::cuda::CUevent> list;
};

/// Enqueues `count` steps on the device's stream, each between two events
/// of its own, waits for them and appends each step's GPU time (seconds) to
/// `seconds`.
rt::Error timeEach(const rt::CudaDevice &dev, Events &events, int count,
                   const std::function<rt::Error()> &step,
                   std::vector<double> &seconds);

/// Enqueues `count` steps back to back between two events; returns the
/// mean GPU time per step in seconds.
rt::Expected<double> timeBackToBack(const rt::CudaDevice &dev, Events &events,
                                    int count,
                                    const std::function<rt::Error()> &step);

/// Enqueues a copy of `src` to `dst` on the device's stream; `src` must
/// live until the stream reaches it.
rt::Error copyToDevice(const rt::CudaDevice &dev, rt::cuda::CUdeviceptr dst,
                       const std::vector<uint8_t> &src);

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_GPUTIMING_H
