//===- retc-bench-gpu.cpp - GPU benchmark of compiled retention kernels ---===//
//
// A benchmark program, not a test. In one run, on one CUDA device, it
// measures the device's ceilings (device-to-device copy bandwidth with
// cuMemcpyDtoDAsync; the bf16 matmul rate with cuBLAS's cublasGemmEx, opened
// with dlopen) and then times each given CUDA package's kernel, printing, per
// case: median time, achieved GB/s and TFLOP/s, the floor
//   floor = max(bytes / copy bandwidth, 4 B T H K V / matmul rate)
// and the ratio time / floor; for decode cases (T = 1) also the time of one
// launch replayed from a CUDA graph. docs/benchmarks.md explains the numbers.
//
//   retc-bench-gpu [options] [NAME=]PACKAGE.retpkg ...
//
// The packages are compiled beforehand by retc on the build machine
// (tools/bench/run-gpu-bench.sh --compile-only). No MLIR or LLVM headers, no
// cuda.h nor cuBLAS headers: only the runtime (which opens libcuda.so.1 with
// dlopen) and libdl, so the binary runs on the GPU machine as built here.
// The ceilings are measured in GpuCeilings.cpp, with GpuTiming.h's timing.
//
//===----------------------------------------------------------------------===//
#include "runtime/DType.h"
#include "runtime/cuda/CudaArch.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/cuda/CudaGraph.h"
#include "runtime/cuda/CudaKernel.h"
#include "runtime/package/CompiledFor.h"
#include "runtime/package/Package.h"
#include "tools/bench/GpuCeilings.h"
#include "tools/bench/GpuTiming.h"

#include "tools/bench/BenchCli.h"
#include "tools/bench/Median.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace retc;
using namespace retc::bench;
using rt::Error;
using rt::Expected;
using rt::cuda::CUdeviceptr;

namespace {

/// Driver attributes this program reads besides CudaDriver.h's (values of
/// cuda.h's CUdevice_attribute).
enum : int {
  kAttrMultiprocessorCount = 16, // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
  kAttrL2CacheSize = 38,         // CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE
};

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

/// Which cases get the CUDA graph measurement.
enum class GraphMode { Decode, All, None };

struct Options {
  int device = 0;
  int reps = 50;
  int warmup = 5;
  int graphReps = 200;
  GraphMode graph = GraphMode::Decode;
  /// Buffer sets per case: enough that they span this many MB.
  long setMB = 200;
  long copyMiB = 2048;
  int ceilingReps = 10;
  int gemmN = 8192;
  bool useCublas = true;
  std::vector<std::string> cublasDirs;
  double matmulTflops = 0; ///< 0: not given
  std::vector<std::pair<std::string, std::string>> cases; ///< name, path
};

/// The notes of --help below the options.
const char *kFooter =
    "cuBLAS is looked for in $RETC_CUBLAS (a ':'-separated list of files or\n"
    "folders), then as libcublas.so.13, .so.12, .so, then in the CUDA "
    "toolkit\n"
    "and Python (pip nvidia-*) folders and the --cublas-dir folders.\n"
    "With no package, only the ceilings are measured.";

/// Parses argv into `opts`. Returns -1 to go on, else the exit status: 0
/// after --help, 2 (after a one-line message) on a bad command line.
int parseArgs(int argc, char **argv, Options &opts) {
  CLI::App app("retc-bench-gpu: measure a CUDA device's ceilings (copy "
               "bandwidth, cuBLAS bf16 matmul) and time compiled cuda "
               "packages against them.",
               "retc-bench-gpu");
  // As before CLI11: an option given twice keeps its last value.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::vector<std::string> packages;
  app.add_option("packages", packages,
                 "The packages to time; NAME labels the row (default: the "
                 "file name without .retpkg)")
      ->type_name("[NAME=]PACKAGE.retpkg")
      ->check(CLI::Validator(
          [](std::string &arg) {
            auto [name, path] = splitCase(arg);
            return name.empty() || path.empty()
                       ? "bad case '" + arg + "' (want NAME=PATH)"
                       : std::string();
          },
          ""));
  app.add_option("--device", opts.device, "CUDA device ordinal (0)")
      ->type_name("N")
      ->check(CLI::Range(0, 1023));
  app.add_option("--reps", opts.reps,
                 "Timed launches per case; the median is reported (50)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  app.add_option("--warmup", opts.warmup,
                 "Untimed launches before timing (5)")
      ->type_name("N")
      ->check(CLI::Range(0, 100000));
  app.add_option("--graph-reps", opts.graphReps,
                 "Timed CUDA graph replays (200)")
      ->type_name("N")
      ->check(CLI::Range(1, 100000));
  // The later of --graph-all and --no-graph wins: their callbacks run as
  // they are parsed, in command-line order.
  app.add_flag_callback(
         "--graph-all", [&opts] { opts.graph = GraphMode::All; },
         "Graph measurement for every case (default: T = 1 only)")
      ->trigger_on_parse();
  app.add_flag_callback(
         "--no-graph", [&opts] { opts.graph = GraphMode::None; },
         "No graph measurement")
      ->trigger_on_parse();
  app.add_option("--set-mb", opts.setMB,
                 "Launch i uses buffer set i mod R, R sets spanning at least "
                 "N MB (200), so no launch finds its data in L2")
      ->type_name("N")
      ->check(CLI::Range(0, 1 << 20));
  app.add_option("--copy-mib", opts.copyMiB,
                 "Size of the copy for the bandwidth ceiling (2048)")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--ceiling-reps", opts.ceilingReps,
                 "Timed calls per ceiling; the best is kept (10)")
      ->type_name("N")
      ->check(CLI::Range(1, 10000));
  app.add_option("--gemm-n", opts.gemmN,
                 "M = N = K of the bf16 matmul ceiling (8192)")
      ->type_name("N")
      ->check(CLI::Range(256, 65536));
  app.add_option("--cublas-dir", opts.cublasDirs,
                 "Also look for libcublas in DIR (repeatable)")
      ->type_name("DIR")
      // One folder per --cublas-dir: the packages that follow are not folders.
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag_callback(
      "--no-cublas", [&opts] { opts.useCublas = false; },
      "Do not measure the matmul ceiling");
  app.add_option("--matmul-tflops", opts.matmulTflops,
                 "Matmul rate to use when cuBLAS is not available")
      ->type_name("X")
      ->check(CLI::Validator(
          [](std::string &text) {
            char *end = nullptr;
            double v = std::strtod(text.c_str(), &end);
            return end == text.c_str() || *end || !(v > 0) ||
                           !std::isfinite(v)
                       ? "needs a positive number, not '" + text + "'"
                       : std::string();
          },
          "POSITIVE"));
  app.footer(kFooter);

  if (int status = parseCommandLine(app, argc, argv, "retc-bench-gpu");
      status >= 0)
    return status;
  for (const std::string &arg : packages)
    opts.cases.push_back(splitCase(arg));
  return -1;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//


/// A number with about three significant digits, for the table.
std::string fmt(double v) {
  char buf[64];
  double a = std::fabs(v);
  const char *f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

//===----------------------------------------------------------------------===//
// Cases
//===----------------------------------------------------------------------===//

struct CaseResult {
  std::string name, form, shape, dtype;
  bool decode = false; ///< T == 1
  int sets = 0;
  double setBytes = 0;
  double medianSec = 0, minSec = 0;
  double graphSec = -1, graphB2BSec = -1; ///< < 0: not measured
  double bytes = 0, flops = 0;
  bool finite = true;
  bool linear = false;    ///< a linear (GEMM) kernel: shape is M,N,K
  double cublasSec = -1;  ///< linear: cuBLAS on the same problem (< 0: not measured)
};

/// Copies output `param` of one buffer set back and checks that it is all
/// finite.
Expected<bool> outputFinite(const rt::CudaDevice &dev, CUdeviceptr ptr,
                            const rt::TensorParam &param) {
  const rt::CudaDriver &drv = dev.driver();
  std::vector<uint8_t> host(param.byteSize());
  if (Error err = drv.check(
          drv.memcpyDtoHAsync(host.data(), ptr, host.size(), dev.stream()),
          "cuMemcpyDtoHAsync"))
    return err;
  if (Error err = dev.synchronize())
    return err;
  uint64_t count = static_cast<uint64_t>(param.numElements());
  size_t width = rt::dtypeSize(param.dtype);
  constexpr uint64_t kBlock = 1 << 20;
  std::vector<float> block(std::min(count, kBlock));
  for (uint64_t done = 0; done < count; done += kBlock) {
    uint64_t n = std::min(kBlock, count - done);
    rt::convertToF32(host.data() + done * width, block.data(), n, param.dtype);
    for (uint64_t i = 0; i < n; ++i)
      if (!std::isfinite(block[i]))
        return false;
  }
  return true;
}

/// Loads the package's kernel, gives it R buffer sets of random inputs and
/// times it. Every failure is one line naming the case.
Error runCase(const rt::CudaDevice &dev, Events &events, const Options &opts,
              const Cublas *cublas, const std::string &name,
              const std::string &path, CaseResult &out) {
  const rt::CudaDriver &drv = dev.driver();
  auto fail = [&](const std::string &problem) {
    return Error::failure(name + " (" + path + "): " + problem);
  };
  Expected<rt::Package> pkg = rt::readPackage(path);
  if (!pkg)
    return Error::failure(name + ": " + pkg.message());
  const rt::Manifest &manifest = pkg->manifest;
  if (manifest.target.kind != rt::TargetKind::Cuda)
    return fail(std::string("the package targets ") +
                rt::targetKindName(manifest.target.kind) +
                ", not cuda (compile it with retc --target=sm_90)");
  if (manifest.kernels.size() != 1)
    return fail("the package has " + std::to_string(manifest.kernels.size()) +
                " kernels; the benchmark times packages with one");
  const rt::KernelDesc &k = manifest.kernels.front();
  const rt::BlobDesc *blob = manifest.findBlob(k.blob);
  if (!blob || k.launchSequence().empty())
    return fail("kernel '" + k.name + "' has no blob or no launch "
                "configuration");
  if (Error err = rt::checkCudaArch(manifest.target.arch, blob->format,
                                    dev.ccMajor(), dev.ccMinor(),
                                    dev.describe()))
    return fail(err.message());
  Expected<std::unique_ptr<rt::CudaKernel>> kernel = rt::CudaKernel::load(
      dev, pkg->blobData(*blob), blob->size, blob->format, k.launchSequence(),
      k.params.size() + (k.workspaceBytes > 0 ? 1 : 0),
      rt::describeCompiledFor(manifest, blob->name),
      path + ": blob '" + blob->name + "' of kernel '" + k.name + "'");
  if (!kernel)
    return fail(kernel.message());

  out.name = name;
  out.dtype = rt::dtypeName(k.dtype);
  if (k.kind == rt::KernelKind::Linear) {
    const rt::LinearShape &ls = k.linear;
    out.linear = true;
    out.form = k.findParam("residual") ? "linear+residual" : "linear";
    out.shape = std::to_string(ls.M) + "," + std::to_string(ls.N) + "," +
                std::to_string(ls.K);
    out.decode = ls.M <= 16;
    out.flops = 2.0 * double(ls.M) * double(ls.N) * double(ls.K);
  } else {
    const rt::RetentionShape &sh = k.shape;
    out.form = rt::formName(k.form);
    if (k.form == rt::KernelForm::Chunkwise && k.chunkSize)
      out.form += "/" + std::to_string(*k.chunkSize);
    if (k.findParam("s0"))
      out.form += "+s0";
    out.shape = std::to_string(sh.B) + "," + std::to_string(sh.T) + "," +
                std::to_string(sh.H) + "," + std::to_string(sh.K) + "," +
                std::to_string(sh.V);
    out.decode = sh.T == 1;
    out.flops = 4.0 * double(sh.B) * double(sh.T) * double(sh.H) *
                double(sh.K) * double(sh.V);
  }

  // Buffer sets: enough that consecutive launches find nothing in L2.
  constexpr uint64_t align = 256; // DeviceBuffer's rounding
  uint64_t setBytes = 0;
  for (const rt::TensorParam &p : k.params) {
    out.bytes += double(p.byteSize()); // every parameter moved once
    setBytes += (std::max<uint64_t>(p.byteSize(), 1) + align - 1) / align * align;
  }
  uint64_t want = std::max<uint64_t>(
      2, (uint64_t(opts.setMB) * 1000000 + setBytes - 1) / setBytes);
  size_t freeBytes = 0, totalBytes = 0;
  if (Error err =
          drv.check(drv.memGetInfo(&freeBytes, &totalBytes), "cuMemGetInfo"))
    return fail(err.message());
  // Leave room for the driver and other users of the device.
  uint64_t reserve = std::min<uint64_t>(
      std::max<uint64_t>(1ull << 30, totalBytes / 50), freeBytes / 10);
  uint64_t usable = freeBytes > reserve ? freeBytes - reserve : 0;
  uint64_t fit = usable / setBytes;
  uint64_t sets = std::min<uint64_t>({want, fit, 4096});
  if (sets < 1)
    return fail("one buffer set needs " + std::to_string(setBytes) +
                " bytes; " + dev.describe() + " has " +
                std::to_string(freeBytes) + " bytes free, of which the "
                "benchmark leaves " + std::to_string(reserve) + " unused");
  out.sets = static_cast<int>(sets);
  out.setBytes = double(setBytes);

  std::vector<std::vector<rt::DeviceBuffer>> buffers(sets);
  std::vector<std::vector<CUdeviceptr>> args(sets);
  for (uint64_t s = 0; s < sets; ++s)
    for (const rt::TensorParam &p : k.params) {
      Expected<rt::DeviceBuffer> buffer =
          rt::DeviceBuffer::allocate(dev, p.byteSize());
      if (!buffer)
        return fail("parameter '" + p.name + "': " + buffer.message());
      args[s].push_back(buffer->pointer());
      buffers[s].push_back(buffer.take());
    }
  // One workspace serves every set: launches run one after another.
  rt::DeviceBuffer workspace;
  if (k.workspaceBytes > 0) {
    Expected<rt::DeviceBuffer> buffer = rt::DeviceBuffer::allocate(
        dev, static_cast<uint64_t>(k.workspaceBytes));
    if (!buffer)
      return fail("workspace: " + buffer.message());
    workspace = buffer.take();
    for (uint64_t s = 0; s < sets; ++s)
      args[s].push_back(workspace.pointer());
  }
  // Inputs: random values in the parameter's type, the same in every set.
  Rng rng(20240601);
  for (size_t i = 0; i < k.params.size(); ++i) {
    const rt::TensorParam &p = k.params[i];
    if (p.role != rt::ParamRole::Input) {
      for (uint64_t s = 0; s < sets; ++s)
        if (Error err = drv.check(
                drv.memsetD32Async(args[s][i], 0, buffers[s][i].size() / 4,
                                   dev.stream()),
                "cuMemsetD32Async"))
          return fail(err.message());
      continue;
    }
    std::vector<uint8_t> host =
        randomData(static_cast<uint64_t>(p.numElements()), p.dtype, rng);
    for (uint64_t s = 0; s < sets; ++s)
      if (Error err = copyToDevice(dev, args[s][i], host))
        return fail(err.message());
    if (Error err = dev.synchronize()) // `host` dies here
      return fail(err.message());
  }

  // Launch i goes to set i mod R, warm-up included.
  uint64_t next = 0;
  auto step = [&] { return (*kernel)->launch(args[next++ % sets]); };
  for (int w = 0; w < opts.warmup; ++w)
    if (Error err = step())
      return fail(err.message());
  std::vector<double> seconds;
  if (Error err = timeEach(dev, events, opts.reps, step, seconds))
    return fail(err.message());
  if (Error err = dev.synchronize())
    return fail(err.message());
  out.medianSec = median(seconds);
  out.minSec = *std::min_element(seconds.begin(), seconds.end());

  // A benchmark is not a test, but a kernel that writes garbage should not
  // get a good-looking row: flag non-finite outputs of the last set run.
  uint64_t last = (next - 1) % sets;
  for (size_t i = 0; i < k.params.size() && out.finite; ++i)
    if (k.params[i].role == rt::ParamRole::Output) {
      Expected<bool> finite = outputFinite(dev, args[last][i], k.params[i]);
      if (!finite)
        return fail(finite.message());
      out.finite = *finite;
    }

  // A linear kernel's problem through cuBLAS, on the same buffer sets.
  if (out.linear && cublas) {
    auto indexOf = [&](const char *param) {
      for (size_t i = 0; i < k.params.size(); ++i)
        if (k.params[i].name == param)
          return int(i);
      return -1;
    };
    int x = indexOf("x"), weight = indexOf("weight"), y = indexOf("y");
    if (x < 0 || weight < 0 || y < 0)
      return fail("linear kernel without x, weight and y parameters");
    std::vector<LinearBuffers> problem;
    for (uint64_t s = 0; s < sets; ++s)
      problem.push_back({args[s][x], args[s][weight], args[s][y]});
    Expected<double> sec = timeCublasLinear(
        dev, events, *cublas, k.linear.M, k.linear.N, k.linear.K, k.dtype,
        indexOf("residual") >= 0, problem, opts.reps);
    if (!sec)
      return fail("cuBLAS: " + sec.message());
    out.cublasSec = *sec;
  }

  bool graph = opts.graph == GraphMode::All ||
               (opts.graph == GraphMode::Decode && out.decode);
  if (graph) {
    Expected<std::unique_ptr<rt::CudaGraph>> captured = rt::CudaGraph::capture(
        dev, [&] { return (*kernel)->launch(args[0]); });
    if (!captured)
      return fail(captured.message());
    auto replay = [&] { return (*captured)->replay(); };
    for (int w = 0; w < 5; ++w)
      if (Error err = replay())
        return fail(err.message());
    std::vector<double> replays;
    if (Error err = timeEach(dev, events, opts.graphReps, replay, replays))
      return fail(err.message());
    out.graphSec = median(replays);
    Expected<double> b2b =
        timeBackToBack(dev, events, opts.graphReps, replay);
    if (!b2b)
      return fail(b2b.message());
    out.graphB2BSec = *b2b;
    if (Error err = dev.synchronize())
      return fail(err.message());
  }
  return Error::success();
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  if (int status = parseArgs(argc, argv, opts); status >= 0)
    return status;
  std::fprintf(stderr, "retc-bench-gpu: %zu package(s) to time\n",
               opts.cases.size());

  Expected<const rt::CudaDriver *> driver = rt::CudaDriver::get();
  if (!driver) {
    std::fprintf(stderr, "retc-bench-gpu: error: %s\n",
                 driver.message().c_str());
    return 1;
  }
  const rt::CudaDriver &drv = **driver;
  Expected<std::unique_ptr<rt::CudaDevice>> opened =
      rt::CudaDevice::open(drv, opts.device);
  if (!opened) {
    std::fprintf(stderr, "retc-bench-gpu: error: %s\n",
                 opened.message().c_str());
    return 1;
  }
  const rt::CudaDevice &dev = **opened;
  auto die = [](const std::string &message) {
    std::fflush(stdout);
    std::fprintf(stderr, "retc-bench-gpu: error: %s\n", message.c_str());
    return 1;
  };

  {
    int sms = 0, l2 = 0;
    rt::cuda::CUdevice handle = 0;
    size_t freeBytes = 0, totalBytes = 0;
    if (Error err = drv.check(drv.deviceGet(&handle, opts.device), "cuDeviceGet"))
      return die(err.message());
    if (Error err = drv.check(
            drv.deviceGetAttribute(&sms, kAttrMultiprocessorCount, handle),
            "cuDeviceGetAttribute"))
      return die(err.message());
    if (Error err = drv.check(
            drv.deviceGetAttribute(&l2, kAttrL2CacheSize, handle),
            "cuDeviceGetAttribute"))
      return die(err.message());
    if (Error err = drv.check(drv.memGetInfo(&freeBytes, &totalBytes),
                              "cuMemGetInfo"))
      return die(err.message());
    std::printf("retc-bench-gpu: %s, sm_%d%d, %d SMs, L2 %.1f MiB, %.1f GiB "
                "memory (%.1f GiB free)\n",
                dev.describe().c_str(), dev.ccMajor(), dev.ccMinor(), sms,
                l2 / 1048576.0, totalBytes / 1073741824.0,
                freeBytes / 1073741824.0);
    std::fflush(stdout);
  }

  Events events(drv);
  bool failed = false;

  // Ceiling 1: device copy bandwidth.
  uint64_t copyBytes = uint64_t(opts.copyMiB) << 20;
  Expected<double> copy =
      measureCopy(dev, events, copyBytes, opts.ceilingReps);
  if (!copy)
    return die("copy ceiling: " + copy.message());
  const double bandwidth = *copy;
  std::printf("ceiling  device copy: cuMemcpyDtoDAsync of %ld MiB, best of "
              "%d, read+write bytes: %.3f TB/s\n",
              opts.copyMiB, opts.ceilingReps, bandwidth / 1e12);
  std::fflush(stdout);

  // Ceiling 2: bf16 matmul rate (0: unknown, floors are memory-only).
  MatmulCeilingOptions ceilingOptions;
  ceilingOptions.useCublas = opts.useCublas;
  ceilingOptions.cublasDirs = opts.cublasDirs;
  ceilingOptions.n = opts.gemmN;
  ceilingOptions.reps = opts.ceilingReps;
  ceilingOptions.givenTflops = opts.matmulTflops;
  ceilingOptions.tool = "retc-bench-gpu";
  ceilingOptions.floorsWithoutRate = "every floor below is";
  MatmulCeiling ceiling = measureMatmulCeiling(dev, events, ceilingOptions);
  const double matmul = ceiling.flops;
  const std::string &matmulNote = ceiling.note;
  // cuBLAS also times the linear cases' problems.
  std::optional<Cublas> &cublas = ceiling.cublas;
  if (ceiling.failed)
    failed = true;
  std::printf("ceiling  bf16 matmul: %s\n", matmulNote.c_str());
  std::fflush(stdout);

  if (opts.cases.empty())
    return failed ? 1 : 0;

  std::vector<CaseResult> results;
  for (auto &[name, path] : opts.cases) {
    std::fprintf(stderr, "retc-bench-gpu: timing %s\n", name.c_str());
    CaseResult r;
    if (Error err = runCase(dev, events, opts, cublas ? &*cublas : nullptr,
                            name, path, r)) {
      std::fprintf(stderr, "retc-bench-gpu: error: %s\n",
                   err.message().c_str());
      failed = true;
      continue;
    }
    results.push_back(r);
  }

  if (results.empty()) {
    std::printf("\nno case ran\n");
    return 1;
  }
  std::printf("\n| case | form | B,T,H,K,V | dtype | time (µs) | achieved "
              "GB/s | TFLOP/s | floor (µs) | bound | time/floor | graph "
              "replay (µs) |\n");
  std::printf("|---|---|---|---|---:|---:|---:|---:|---|---:|---:|\n");
  for (const CaseResult &r : results) {
    if (r.linear)
      continue; // their own table, below
    double memFloor = r.bytes / bandwidth;
    double flopFloor = matmul > 0 ? r.flops / matmul : 0;
    double floor = std::max(memFloor, flopFloor);
    std::string bound = memFloor >= flopFloor ? "memory" : "compute";
    if (matmul == 0)
      bound = "memory (only)";
    std::string graph = r.graphSec >= 0 ? fmt(r.graphSec * 1e6) : "—";
    std::printf("| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %s "
                "|\n",
                r.name.c_str(), r.finite ? "" : " (NON-FINITE OUTPUT)",
                r.form.c_str(), r.shape.c_str(), r.dtype.c_str(),
                fmt(r.medianSec * 1e6).c_str(),
                fmt(r.bytes / r.medianSec / 1e9).c_str(),
                fmt(r.flops / r.medianSec / 1e12).c_str(),
                fmt(floor * 1e6).c_str(), bound.c_str(), r.medianSec / floor,
                graph.c_str());
  }
  std::printf(
      "\n- time: median of %d launches after %d warm-up, each between CUDA "
      "events of its own; launch i uses buffer set i mod R, R sets spanning "
      ">= %ld MB, so a launch does not find its data in L2.\n"
      "- bytes: every kernel parameter once: q, k, v read + o written + the "
      "final state written (f32, [B,H,K,V]; counted for every case) + s0 "
      "read (f32) where the form says +s0.\n"
      "- TFLOP/s: 4*B*T*H*K*V useful flops (the chunkwise form's extra "
      "intra-chunk work is not counted).\n"
      "- floor = max(bytes / copy bandwidth, flops / bf16 matmul rate)%s.\n"
      "- graph replay: the launch on set 0 captured in a CUDA graph, median "
      "of %d replays each between events of its own; set 0 every time, so "
      "a small set stays in L2. Measured for %s.\n",
      opts.reps, opts.warmup, opts.setMB,
      matmul > 0 ? "" : " -- no matmul rate: memory term only",
      opts.graphReps,
      opts.graph == GraphMode::All    ? "every case (--graph-all)"
      : opts.graph == GraphMode::None ? "no case (--no-graph)"
                                      : "decode cases (T = 1)");
  bool anyLinear = std::any_of(results.begin(), results.end(),
                               [](const CaseResult &r) { return r.linear; });
  if (anyLinear) {
    std::printf("\n| case | kernel | M,N,K | dtype | time (µs) | TFLOP/s | "
                "achieved GB/s | cuBLAS (µs) | cuBLAS TFLOP/s | time/cuBLAS | "
                "memory floor (µs) | time/memory floor |\n");
    std::printf("|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const CaseResult &r : results) {
      if (!r.linear)
        continue;
      double memFloor = r.bytes / bandwidth;
      std::string cub = "—", cubRate = "—", ratio = "—";
      if (r.cublasSec > 0) {
        cub = fmt(r.cublasSec * 1e6);
        cubRate = fmt(r.flops / r.cublasSec / 1e12);
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.2f", r.medianSec / r.cublasSec);
        ratio = buf;
      }
      std::printf("| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | "
                  "%.2f |\n",
                  r.name.c_str(), r.finite ? "" : " (NON-FINITE OUTPUT)",
                  r.form.c_str(), r.shape.c_str(), r.dtype.c_str(),
                  fmt(r.medianSec * 1e6).c_str(),
                  fmt(r.flops / r.medianSec / 1e12).c_str(),
                  fmt(r.bytes / r.medianSec / 1e9).c_str(), cub.c_str(),
                  cubRate.c_str(), ratio.c_str(), fmt(memFloor * 1e6).c_str(),
                  r.medianSec / memFloor);
    }
    std::printf("\n- linear cases: 2*M*N*K flops; bytes = x, weight (and "
                "residual) read + y written; cuBLAS: cublasGemmEx on the same "
                "buffer sets, same types, fp32 compute (y += for a residual), "
                "median of %d calls; time/cuBLAS below 1 is faster than "
                "cuBLAS.\n",
                opts.reps);
  }
  for (const CaseResult &r : results) {
    std::printf("- %s: R = %d buffer set%s of %.1f MB; fastest launch %s µs",
                r.name.c_str(), r.sets, r.sets == 1 ? "" : "s",
                r.setBytes / 1e6, fmt(r.minSec * 1e6).c_str());
    if (r.graphB2BSec >= 0)
      std::printf("; graph %d replays back to back: %s µs each",
                  opts.graphReps, fmt(r.graphB2BSec * 1e6).c_str());
    std::printf("\n");
  }
  return failed ? 1 : 0;
}
