//===- GpuCeilings.cpp - Copy bandwidth and cuBLAS bf16 matmul rate -------===//
//
// Implements GpuCeilings.h: the copy ceiling with the runtime's driver, the
// matmul ceiling with cuBLAS, found on the machine and opened with dlopen.
//
//===----------------------------------------------------------------------===//
#include "tools/bench/GpuCeilings.h"

#include "runtime/DType.h"

#include <dlfcn.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>

using namespace retc;
using rt::Error;
using rt::Expected;

namespace retc::bench {

Expected<double> measureCopy(const rt::CudaDevice &dev, Events &events,
                             uint64_t bytes, int reps) {
  const rt::CudaDriver &drv = dev.driver();
  Expected<rt::DeviceBuffer> src = rt::DeviceBuffer::allocate(dev, bytes);
  if (!src)
    return src.error();
  Expected<rt::DeviceBuffer> dst = rt::DeviceBuffer::allocate(dev, bytes);
  if (!dst)
    return dst.error();
  if (Error err = drv.check(drv.memsetD32Async(src->pointer(), 0x3f800000u,
                                               bytes / 4, dev.stream()),
                            "cuMemsetD32Async"))
    return err;
  auto copy = [&] {
    return drv.check(drv.memcpyDtoDAsync(dst->pointer(), src->pointer(),
                                         bytes, dev.stream()),
                     "cuMemcpyDtoDAsync");
  };
  if (Error err = copy()) // untimed: first touch of the destination
    return err;
  std::vector<double> seconds;
  if (Error err = timeEach(dev, events, reps, copy, seconds))
    return err;
  return 2.0 * double(bytes) / *std::min_element(seconds.begin(), seconds.end());
}

Error Cublas::check(Status status, const char *call) const {
  if (status == 0)
    return Error::success();
  static const char *const names[] = {
      "CUBLAS_STATUS_SUCCESS",        "CUBLAS_STATUS_NOT_INITIALIZED",
      nullptr,                        "CUBLAS_STATUS_ALLOC_FAILED",
      nullptr,                        nullptr,
      nullptr,                        "CUBLAS_STATUS_INVALID_VALUE",
      "CUBLAS_STATUS_ARCH_MISMATCH",  nullptr,
      nullptr,                        "CUBLAS_STATUS_MAPPING_ERROR",
      nullptr,                        "CUBLAS_STATUS_EXECUTION_FAILED",
      "CUBLAS_STATUS_INTERNAL_ERROR", "CUBLAS_STATUS_NOT_SUPPORTED",
      "CUBLAS_STATUS_LICENSE_ERROR"};
  const char *name = statusName ? statusName(status) : nullptr;
  if (!name && status >= 0 && status < int(std::size(names)))
    name = names[status];
  const char *text = statusString ? statusString(status) : nullptr;
  std::string message = std::string(call) + " failed: " +
                        (name ? name : "cuBLAS status " + std::to_string(status));
  if (text && *text)
    message += std::string(" (") + text + ")";
  return Error::failure(message);
}

namespace {

/// dlerror() on one line.
std::string dlReason() {
  const char *reason = ::dlerror();
  std::string text = reason ? reason : "unknown dlopen error";
  for (char &c : text)
    if (c == '\n')
      c = ' ';
  return text;
}

/// Opens `library` and resolves cuBLAS's entry points; the handle is kept
/// open for the life of the process.
Expected<Cublas> openCublas(const std::string &library) {
  ::dlerror();
  void *handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return Error::failure(dlReason());
  Cublas api;
  auto slot = [](auto &member) { return reinterpret_cast<void **>(&member); };
  struct {
    void **slot;
    const char *name;
    bool optional;
  } symbols[] = {
      {slot(api.create), "cublasCreate_v2", false},
      {slot(api.destroy), "cublasDestroy_v2", false},
      {slot(api.setStream), "cublasSetStream_v2", false},
      {slot(api.gemmEx), "cublasGemmEx", false},
      {slot(api.getVersion), "cublasGetVersion_v2", true},
      {slot(api.statusName), "cublasGetStatusName", true},
      {slot(api.statusString), "cublasGetStatusString", true},
  };
  for (const auto &symbol : symbols) {
    *symbol.slot = ::dlsym(handle, symbol.name);
    if (!*symbol.slot && !symbol.optional) {
      ::dlclose(handle);
      return Error::failure(std::string("lacks ") + symbol.name);
    }
  }
  char path[4096] = {};
  if (::dlinfo(handle, RTLD_DI_ORIGIN, path) == 0 && path[0]) {
    size_t slash = library.find_last_of('/');
    api.path = std::string(path) + "/" +
               (slash == std::string::npos ? library : library.substr(slash + 1));
  } else {
    api.path = library;
  }
  return api;
}

} // namespace

Expected<Cublas> loadCublas(const std::vector<std::string> &extraDirs,
                            std::string &tried) {
  static const char *const sonames[] = {"libcublas.so.13", "libcublas.so.12",
                                        "libcublas.so"};
  struct Candidate {
    std::string path;
    bool fromEnv; ///< named (directly or by folder) in $RETC_CUBLAS
  };
  std::vector<Candidate> candidates;
  auto addDir = [&](const std::string &dir, bool fromEnv) {
    for (const char *soname : sonames)
      candidates.push_back({dir + "/" + soname, fromEnv});
  };
  if (const char *env = std::getenv("RETC_CUBLAS")) {
    std::string list = env;
    size_t start = 0;
    while (start <= list.size()) {
      size_t end = list.find(':', start);
      if (end == std::string::npos)
        end = list.size();
      std::string entry = list.substr(start, end - start);
      start = end + 1;
      if (entry.empty())
        continue;
      // A folder unless it names a shared object.
      if (entry.find(".so") == std::string::npos || entry.back() == '/') {
        bool any = false;
        for (const char *soname : sonames)
          any = any || ::access((entry + "/" + soname).c_str(), R_OK) == 0;
        if (!any)
          std::fprintf(stderr,
                       "retc-bench-gpu: warning: RETC_CUBLAS: no libcublas.so"
                       "{.13,.12,} in %s\n",
                       entry.c_str());
        addDir(entry, true);
      } else {
        if (::access(entry.c_str(), R_OK) != 0)
          std::fprintf(stderr,
                       "retc-bench-gpu: warning: RETC_CUBLAS: %s: %s\n",
                       entry.c_str(), std::strerror(errno));
        candidates.push_back({entry, true});
      }
    }
  }
  for (const char *soname : sonames)
    candidates.push_back({soname, false});
  for (const char *dir :
       {"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
        "/usr/lib/x86_64-linux-gnu"})
    addDir(dir, false);
  std::vector<std::string> patterns = {
      "/usr/local/lib/python3*/dist-packages",
      "/usr/local/lib/python3*/site-packages",
      "/usr/lib/python3/dist-packages",
      "/opt/conda/lib/python3*/site-packages",
  };
  if (const char *home = std::getenv("HOME"))
    patterns.push_back(std::string(home) + "/.local/lib/python3*/site-packages");
  for (const std::string &pattern : patterns) {
    glob_t matches;
    if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0)
      for (size_t i = 0; i < matches.gl_pathc; ++i)
        for (const char *sub : {"/nvidia/cu13/lib", "/nvidia/cublas/lib",
                                "/torch/lib"})
          addDir(std::string(matches.gl_pathv[i]) + sub, false);
    ::globfree(&matches);
  }
  for (const std::string &dir : extraDirs)
    addDir(dir, false);

  for (const Candidate &candidate : candidates) {
    const std::string &path = candidate.path;
    if (path.find('/') != std::string::npos &&
        ::access(path.c_str(), R_OK) != 0)
      continue; // not there: not worth listing
    Expected<Cublas> api = openCublas(path);
    if (api)
      return api;
    if (candidate.fromEnv)
      std::fprintf(stderr, "retc-bench-gpu: warning: RETC_CUBLAS: %s: %s\n",
                   path.c_str(), api.message().c_str());
    if (!tried.empty())
      tried += "; ";
    tried += path + ": " + api.message();
  }
  if (tried.empty())
    tried = "no libcublas.so.13/.12/.so found";
  return Error::failure("cuBLAS not found");
}

Expected<double> measureGemm(const rt::CudaDevice &dev, Events &events,
                             const Cublas &api, int n, int reps, int &version,
                             rt::DType dtype) {
  const rt::CudaDriver &drv = dev.driver();
  struct HandleOwner {
    const Cublas &api;
    Cublas::Handle handle = nullptr;
    ~HandleOwner() {
      if (handle)
        api.destroy(handle);
    }
  } owner{api};
  if (Error err = api.check(api.create(&owner.handle), "cublasCreate_v2"))
    return err;
  if (Error err = api.check(api.setStream(owner.handle, dev.stream()),
                            "cublasSetStream_v2"))
    return err;
  version = 0;
  if (api.getVersion && api.getVersion(owner.handle, &version) != 0)
    version = 0;

  const int type = dtype == rt::DType::BF16  ? Cublas::kBF16
                   : dtype == rt::DType::F16 ? Cublas::kF16
                                             : Cublas::kF32;
  uint64_t count = uint64_t(n) * uint64_t(n);
  Rng rng(7);
  std::vector<rt::DeviceBuffer> mats;
  for (int m = 0; m < 3; ++m) {
    Expected<rt::DeviceBuffer> buffer =
        rt::DeviceBuffer::allocate(dev, count * rt::dtypeSize(dtype));
    if (!buffer)
      return buffer.error();
    mats.push_back(buffer.take());
  }
  for (int m = 0; m < 2; ++m) {
    std::vector<uint8_t> host = randomData(count, dtype, rng);
    if (Error err = copyToDevice(dev, mats[m].pointer(), host))
      return err;
    if (Error err = dev.synchronize()) // `host` dies here
      return err;
  }
  if (Error err = drv.check(drv.memsetD32Async(mats[2].pointer(), 0,
                                               mats[2].size() / 4, dev.stream()),
                            "cuMemsetD32Async"))
    return err;
  const float alpha = 1.0f, beta = 0.0f;
  auto gemm = [&] {
    return api.check(
        api.gemmEx(owner.handle, Cublas::kOpN, Cublas::kOpN, n, n, n, &alpha,
                   reinterpret_cast<const void *>(mats[0].pointer()),
                   type, n, reinterpret_cast<const void *>(mats[1].pointer()),
                   type, n, &beta, reinterpret_cast<void *>(mats[2].pointer()),
                   type, n, Cublas::kCompute32F, Cublas::kGemmDefault),
        "cublasGemmEx");
  };
  for (int w = 0; w < 2; ++w) // untimed: heuristics, workspace, clocks
    if (Error err = gemm())
      return err;
  std::vector<double> seconds;
  if (Error err = timeEach(dev, events, reps, gemm, seconds))
    return err;
  if (Error err = dev.synchronize())
    return err;
  return 2.0 * double(n) * double(n) * double(n) /
         *std::min_element(seconds.begin(), seconds.end());
}

Expected<HostLinkRates> measureHostLink(const rt::CudaDevice &dev,
                                        uint64_t bytes, int reps) {
  const rt::CudaDriver &drv = dev.driver();
  Expected<rt::DeviceBuffer> buffer = rt::DeviceBuffer::allocate(dev, bytes);
  if (!buffer)
    return buffer.error();
  std::vector<uint8_t> host(bytes, 0x3f); // pageable, touched
  auto timeOne = [&](bool toDevice) -> Expected<double> {
    auto start = std::chrono::steady_clock::now();
    rt::cuda::CUresult result =
        toDevice ? drv.memcpyHtoDAsync(buffer->pointer(), host.data(), bytes,
                                       dev.stream())
                 : drv.memcpyDtoHAsync(host.data(), buffer->pointer(), bytes,
                                       dev.stream());
    if (Error err = drv.check(result, toDevice ? "cuMemcpyHtoDAsync"
                                               : "cuMemcpyDtoHAsync"))
      return err;
    if (Error err = dev.synchronize())
      return err;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  HostLinkRates rates;
  for (bool toDevice : {true, false}) {
    double best = 0;
    for (int r = 0; r <= reps; ++r) { // the first untimed
      Expected<double> sec = timeOne(toDevice);
      if (!sec)
        return sec.error();
      if (r > 0 && (best == 0 || *sec < best))
        best = *sec;
    }
    (toDevice ? rates.hostToDevice : rates.deviceToHost) = double(bytes) / best;
  }
  return rates;
}

Expected<double> timeCublasLinear(const rt::CudaDevice &dev, Events &events,
                                  const Cublas &api, int64_t M, int64_t N,
                                  int64_t K, rt::DType dtype, bool accumulate,
                                  const std::vector<LinearBuffers> &sets,
                                  int reps) {
  struct HandleOwner {
    const Cublas &api;
    Cublas::Handle handle = nullptr;
    ~HandleOwner() {
      if (handle)
        api.destroy(handle);
    }
  } owner{api};
  if (Error err = api.check(api.create(&owner.handle), "cublasCreate_v2"))
    return err;
  if (Error err = api.check(api.setStream(owner.handle, dev.stream()),
                            "cublasSetStream_v2"))
    return err;
  int type = dtype == rt::DType::BF16  ? Cublas::kBF16
             : dtype == rt::DType::F16 ? Cublas::kF16
                                       : Cublas::kF32;
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  // Column-major: y^T [N x M] = weight^T' [N x K] x^T [K x M], where the
  // row-major weight [N, K] is a column-major K x N matrix (so transposed)
  // and the row-major x [M, K] a column-major K x M one.
  uint64_t next = 0;
  auto gemm = [&] {
    const LinearBuffers &b = sets[next++ % sets.size()];
    return api.check(
        api.gemmEx(owner.handle, Cublas::kOpT, Cublas::kOpN, int(N), int(M),
                   int(K), &alpha, reinterpret_cast<const void *>(b.weight),
                   type, int(K), reinterpret_cast<const void *>(b.x), type,
                   int(K), &beta, reinterpret_cast<void *>(b.y), type, int(N),
                   Cublas::kCompute32F, Cublas::kGemmDefault),
        "cublasGemmEx");
  };
  for (int w = 0; w < 2; ++w)
    if (Error err = gemm())
      return err;
  std::vector<double> seconds;
  if (Error err = timeEach(dev, events, reps, gemm, seconds))
    return err;
  if (Error err = dev.synchronize())
    return err;
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2];
}

MatmulCeiling measureMatmulCeiling(const rt::CudaDevice &dev, Events &events,
                                   const MatmulCeilingOptions &options) {
  MatmulCeiling ceiling;
  if (options.useCublas) {
    std::string tried;
    rt::Expected<Cublas> api = loadCublas(options.cublasDirs, tried);
    if (!api) {
      ceiling.note = "cuBLAS NOT LOADED (tried: " + tried + ")";
    } else {
      ceiling.cublas = *api;
      int version = 0;
      rt::Expected<double> rate = measureGemm(dev, events, *api, options.n,
                                              options.reps, version,
                                              options.dtype);
      if (rate) {
        ceiling.flops = *rate;
        char line[512];
        std::snprintf(line, sizeof(line),
                      "cublasGemmEx %dx%dx%d, %s in/out, fp32 compute%s, best "
                      "of %d (%s, version %d): %.1f TFLOP/s",
                      options.n, options.n, options.n,
                      rt::dtypeName(options.dtype),
                      options.dtype == rt::DType::F32 ? " (no TF32)" : "",
                      options.reps, api->path.c_str(), version,
                      ceiling.flops / 1e12);
        ceiling.note = line;
      } else {
        // Reported, and the exit status says so, but the kernels are still
        // timed: a ceiling failing should not waste the GPU run.
        std::fprintf(stderr, "%s: error: matmul ceiling (%s): %s\n",
                     options.tool, api->path.c_str(), rate.message().c_str());
        ceiling.failed = true;
        ceiling.note = "cuBLAS FAILED (" + rate.message() + ")";
      }
    }
  } else {
    ceiling.note = "cuBLAS not used (--no-cublas)";
  }
  if (ceiling.flops == 0) {
    if (options.givenTflops > 0) {
      ceiling.flops = options.givenTflops * 1e12;
      char rate[64];
      std::snprintf(rate, sizeof(rate), "%.1f", options.givenTflops);
      ceiling.note += "; using --matmul-tflops " + std::string(rate) +
                      " TFLOP/s (given, not measured)";
    } else {
      ceiling.note += std::string("; no --matmul-tflops given: ") +
                      options.floorsWithoutRate + " MEMORY-ONLY";
    }
  }
  return ceiling;
}

} // namespace retc::bench
