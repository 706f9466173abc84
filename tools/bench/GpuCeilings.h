//===- GpuCeilings.h - Ceilings measured by retc-bench-gpu ------*- C++ -*-===//
//
// The two numbers the GPU benchmark divides by: the device's copy bandwidth
// (cuMemcpyDtoDAsync) and its bf16 matmul rate (cuBLAS's cublasGemmEx, with
// cuBLAS found and opened with dlopen at run time). Both are measured in the
// same run as the kernels they judge. No MLIR or LLVM headers, no cuda.h nor
// cuBLAS headers: the part of cuBLAS's API used is declared here.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_GPUCEILINGS_H
#define RETC_TOOLS_BENCH_GPUCEILINGS_H

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/Status.h"
#include "tools/bench/GpuTiming.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// cuBLAS's opaque handle, with cublas_api.h's tag.
struct cublasContext;

namespace retc::bench {

/// The copy ceiling: best of `reps` cuMemcpyDtoDAsync of `bytes`, counting
/// the bytes read plus written. Returns bytes per second.
rt::Expected<double> measureCopy(const rt::CudaDevice &dev, Events &events,
                                 uint64_t bytes, int reps);

/// The part of cuBLAS's C API this program calls, declared here (cuBLAS 12
/// and 13 have the same ABI for these): status and enum arguments are int.
struct Cublas {
  using Status = int;
  using Handle = cublasContext *;
  template <typename F> using Fn = F *;
  Fn<Status(Handle *handle)> create;                         // cublasCreate_v2
  Fn<Status(Handle handle)> destroy;                         // cublasDestroy_v2
  Fn<Status(Handle handle, rt::cuda::CUstream s)> setStream; // cublasSetStream_v2
  Fn<Status(Handle handle, int *version)> getVersion; // cublasGetVersion_v2
  Fn<const char *(Status status)> statusName;   // cublasGetStatusName (opt.)
  Fn<const char *(Status status)> statusString; // cublasGetStatusString (opt.)
  /// cublasGemmEx(handle, transa, transb, m, n, k, alpha, A, Atype, lda, B,
  /// Btype, ldb, beta, C, Ctype, ldc, computeType, algo)
  Fn<Status(Handle, int, int, int, int, int, const void *, const void *, int,
            int, const void *, int, int, const void *, void *, int, int, int,
            int)>
      gemmEx;
  std::string path;

  // Values of cublas_api.h and library_types.h.
  static constexpr int kOpN = 0;          // CUBLAS_OP_N
  static constexpr int kOpT = 1;          // CUBLAS_OP_T
  static constexpr int kF32 = 0;          // CUDA_R_32F
  static constexpr int kF16 = 2;          // CUDA_R_16F
  static constexpr int kBF16 = 14;        // CUDA_R_16BF
  static constexpr int kCompute32F = 68;  // CUBLAS_COMPUTE_32F
  static constexpr int kGemmDefault = -1; // CUBLAS_GEMM_DEFAULT

  /// "<call> failed: CUBLAS_STATUS_... (<text>)", or success.
  rt::Error check(Status status, const char *call) const;
};

/// Finds and opens cuBLAS: $RETC_CUBLAS entries (files, or folders to look
/// in), the sonames through the loader's search, then known folders: the
/// CUDA toolkit, pip's nvidia-* wheels (CUDA 12: nvidia/cublas/lib; CUDA 13:
/// nvidia/cu13/lib), torch/lib, then `extraDirs`. `tried` lists what failed.
rt::Expected<Cublas> loadCublas(const std::vector<std::string> &extraDirs,
                                std::string &tried);

/// The matmul ceiling: best of `reps` cublasGemmEx, A, B, C of `dtype`
/// (bf16, f16 or f32; n x n, column-major, no transposes), fp32 compute
/// (CUBLAS_COMPUTE_32F: no TF32 for f32), 2 n^3 flops each. Returns flops
/// per second; `version` receives cuBLAS's version number (or 0).
rt::Expected<double> measureGemm(const rt::CudaDevice &dev, Events &events,
                                 const Cublas &api, int n, int reps,
                                 int &version,
                                 rt::DType dtype = rt::DType::BF16);

/// How a benchmark program asks for its matmul ceiling.
struct MatmulCeilingOptions {
  bool useCublas = true;               ///< false: --no-cublas
  std::vector<std::string> cublasDirs; ///< --cublas-dir
  int n = 8192;                        ///< M = N = K
  int reps = 10;
  double givenTflops = 0; ///< --matmul-tflops: used when none is measured
  rt::DType dtype = rt::DType::BF16;
  const char *tool = "";  ///< the program's name, for its error line
  /// What the floors become without a rate, e.g. "every floor below is".
  const char *floorsWithoutRate = "";
};

/// The matmul ceiling as the benchmark programs report it: the rate (0:
/// unknown, the floors are memory-only), the line's text (what was
/// measured, or why not, and any --matmul-tflops used instead), whether a
/// measurement failed (printed to stderr; the run goes on), and cuBLAS
/// where it was loaded (for timing the same problems).
struct MatmulCeiling {
  double flops = 0;
  std::string note;
  bool failed = false;
  std::optional<Cublas> cublas;
};
MatmulCeiling measureMatmulCeiling(const rt::CudaDevice &dev, Events &events,
                                   const MatmulCeilingOptions &options);

/// The host link as a model call uses it: the best of `reps` pageable
/// (malloc'ed) host-to-device and device-to-host copies of `bytes`
/// (cuMemcpyHtoDAsync / DtoHAsync on the device's stream, then a wait),
/// timed by the host's clock around the copy and the wait. Bytes per
/// second, each direction.
struct HostLinkRates {
  double hostToDevice = 0, deviceToHost = 0;
};
rt::Expected<HostLinkRates> measureHostLink(const rt::CudaDevice &dev,
                                            uint64_t bytes, int reps);

/// The buffers of one linear problem y[M,N] = x[M,K] weight[N,K]^T, all
/// row-major (a retc linear kernel's parameters).
struct LinearBuffers {
  rt::cuda::CUdeviceptr x = 0, weight = 0, y = 0;
};

/// cuBLAS on a linear kernel's problem, for comparison: each of `reps`
/// cublasGemmEx calls (after 2 untimed) on buffer set i mod sets.size(),
/// fp32 compute (no TF32 for f32), operands and result of type `dtype`;
/// with `accumulate` (a kernel with a residual) y += x weight^T, so that
/// y is read and written as the kernel reads the residual and writes y.
/// Returns the median seconds of one call.
rt::Expected<double> timeCublasLinear(const rt::CudaDevice &dev,
                                      Events &events, const Cublas &api,
                                      int64_t M, int64_t N, int64_t K,
                                      rt::DType dtype, bool accumulate,
                                      const std::vector<LinearBuffers> &sets,
                                      int reps);

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_GPUCEILINGS_H
