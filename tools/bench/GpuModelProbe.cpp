//===- GpuModelProbe.cpp - Where a GPU model call spends its time ---------===//
//
// Implements GpuModelProbe.h.
//
//===----------------------------------------------------------------------===//
#include "tools/bench/GpuModelProbe.h"

#include <chrono>
#include <cmath>
#include <cstdint>

using namespace retc;
using rt::CudaDriver;
using rt::Error;
using rt::Expected;
using namespace rt::cuda;

namespace retc::bench {

double probeNow() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

/// One thread spinning until %globaltimer (ns) has advanced by the
/// parameter. PTX ISA 7.0 for sm_70: every driver that runs retc's
/// packages JIT-compiles it for its device.
constexpr char kSpinPtx[] = R"(
.version 7.0
.target sm_70
.address_size 64

.visible .entry retc_bench_spin(
	.param .u64 retc_bench_spin_ns
)
{
	.reg .pred 	%p<2>;
	.reg .b64 	%rd<5>;

	ld.param.u64 	%rd1, [retc_bench_spin_ns];
	mov.u64 	%rd2, %globaltimer;
$L__spin:
	mov.u64 	%rd3, %globaltimer;
	sub.s64 	%rd4, %rd3, %rd2;
	setp.lt.u64 	%p1, %rd4, %rd1;
	@%p1 bra 	$L__spin;
	ret;
}
)";

} // namespace

struct GpuModelProbe::State {
  CudaDriver *table = nullptr;
  /// The table's entries before the probe.
  decltype(CudaDriver::launchKernel) launchKernel = nullptr;
  decltype(CudaDriver::streamSynchronize) streamSynchronize = nullptr;
  CUmodule module = nullptr;
  CUfunction spin = nullptr;
  CUevent start = nullptr, end = nullptr;

  bool armed = false;
  double gateSeconds = 0;
  CUstream stream = nullptr;
  bool waited = false;
  ProbeRecord record;
  Error error;

  void fail(Error err) {
    if (err && !error)
      error = std::move(err);
  }
};

namespace {

/// The probe the wrappers report to, and the table's entries before it
/// (kept after it goes, for a call that raced the restore).
GpuModelProbe::State *active = nullptr;
decltype(CudaDriver::launchKernel) originalLaunch = nullptr;
decltype(CudaDriver::streamSynchronize) originalSynchronize = nullptr;

CUresult probeLaunch(CUfunction function, unsigned gridX, unsigned gridY,
                     unsigned gridZ, unsigned blockX, unsigned blockY,
                     unsigned blockZ, unsigned sharedBytes, CUstream stream,
                     void **params, void **extra) {
  GpuModelProbe::State *p = active;
  if (!p || !p->armed || p->waited)
    return originalLaunch(function, gridX, gridY, gridZ, blockX, blockY,
                           blockZ, sharedBytes, stream, params, extra);
  const CudaDriver &drv = *p->table;
  if (p->record.launches == 0) {
    p->record.firstLaunch = probeNow();
    p->stream = stream;
    if (p->gateSeconds > 0) {
      uint64_t ns = uint64_t(std::llround(p->gateSeconds * 1e9));
      void *spinParams[] = {&ns};
      p->fail(drv.check(p->launchKernel(p->spin, 1, 1, 1, 1, 1, 1, 0, stream,
                                        spinParams, nullptr),
                        "cuLaunchKernel (probe gate)"));
      p->record.gated = true;
    }
    p->fail(drv.check(drv.eventRecord(p->start, stream), "cuEventRecord"));
  }
  CUresult result =
      p->launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                      sharedBytes, stream, params, extra);
  ++p->record.launches;
  p->record.lastLaunchEnd = probeNow();
  return result;
}

CUresult probeSynchronize(CUstream stream) {
  GpuModelProbe::State *p = active;
  if (!p || !p->armed || p->waited || p->record.launches == 0 ||
      stream != p->stream)
    return originalSynchronize(stream);
  const CudaDriver &drv = *p->table;
  p->fail(drv.check(drv.eventRecord(p->end, stream), "cuEventRecord"));
  p->record.waitStart = probeNow();
  CUresult result = p->streamSynchronize(stream);
  p->record.waitEnd = probeNow();
  p->waited = true;
  return result;
}

} // namespace

GpuModelProbe::GpuModelProbe(std::unique_ptr<State> s) : state(std::move(s)) {}

Expected<std::unique_ptr<GpuModelProbe>>
GpuModelProbe::install(const rt::CudaDevice &device) {
  if (active)
    return Error::failure("a GpuModelProbe is already installed");
  Expected<const CudaDriver *> driver = CudaDriver::get();
  if (!driver)
    return driver.error();
  if (*driver != &device.driver())
    return Error::failure("the probe's device does not use the process's "
                          "driver table");
  auto s = std::make_unique<State>();
  // CudaDriver::get's table is a heap object the process shares; only its
  // const view is handed out.
  s->table = const_cast<CudaDriver *>(*driver);
  const CudaDriver &drv = *s->table;
  if (Error err = device.makeCurrent())
    return err;
  if (Error err = drv.check(
          drv.moduleLoadDataEx(&s->module, kSpinPtx, 0, nullptr, nullptr),
          "cuModuleLoadDataEx (probe spin kernel)"))
    return err;
  if (Error err = drv.check(
          drv.moduleGetFunction(&s->spin, s->module, "retc_bench_spin"),
          "cuModuleGetFunction"))
    return err;
  if (Error err = drv.check(drv.eventCreate(&s->start, CU_EVENT_DEFAULT),
                            "cuEventCreate"))
    return err;
  if (Error err = drv.check(drv.eventCreate(&s->end, CU_EVENT_DEFAULT),
                            "cuEventCreate"))
    return err;
  s->launchKernel = s->table->launchKernel;
  s->streamSynchronize = s->table->streamSynchronize;
  originalLaunch = s->launchKernel;
  originalSynchronize = s->streamSynchronize;
  s->table->launchKernel = &probeLaunch;
  s->table->streamSynchronize = &probeSynchronize;
  active = s.get();
  return std::unique_ptr<GpuModelProbe>(new GpuModelProbe(std::move(s)));
}

GpuModelProbe::~GpuModelProbe() {
  State &s = *state;
  s.table->launchKernel = s.launchKernel;
  s.table->streamSynchronize = s.streamSynchronize;
  active = nullptr;
  if (s.start)
    s.table->eventDestroy(s.start);
  if (s.end)
    s.table->eventDestroy(s.end);
  if (s.module)
    s.table->moduleUnload(s.module);
}

void GpuModelProbe::arm(double gateSeconds) {
  State &s = *state;
  s.armed = true;
  s.gateSeconds = gateSeconds;
  s.stream = nullptr;
  s.waited = false;
  s.record = ProbeRecord();
  s.error = Error::success();
}

Expected<ProbeRecord> GpuModelProbe::collect() {
  State &s = *state;
  s.armed = false;
  if (s.error)
    return std::move(s.error);
  if (s.record.launches == 0 || !s.waited)
    return Error::failure("the probe saw no launch and wait of the model "
                          "call (does GpuModel still wait for its stream "
                          "after the host program?)");
  const CudaDriver &drv = *s.table;
  if (Error err =
          drv.check(drv.eventSynchronize(s.end), "cuEventSynchronize"))
    return err;
  float ms = 0;
  if (Error err = drv.check(drv.eventElapsedTime(&ms, s.start, s.end),
                            "cuEventElapsedTime"))
    return err;
  s.record.gpuSeconds = ms * 1e-3;
  if (s.record.gated)
    s.record.gateHeld =
        s.record.lastLaunchEnd - s.record.firstLaunch < s.gateSeconds;
  return s.record;
}

} // namespace retc::bench
