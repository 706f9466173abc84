//===- CudaDriver.h - The CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// The runtime never includes cuda.h nor links libcuda: it declares the few
// driver types it needs here and opens `libcuda.so.1` with dlopen on first
// use, so that binaries run (CPU only) where there is no driver. Every failed
// call becomes one line naming the call and the error:
//   cuModuleLoadData failed: CUDA_ERROR_INVALID_PTX (a PTX JIT compilation
//   failed)
// The declarations mirror cuda.h of CUDA 13 (ABI-stable since CUDA 11.4);
// runtime/tests/CudaDeclsCheck.cpp checks them against the real header where
// the toolkit is installed.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CUDADRIVER_H
#define RETC_RUNTIME_CUDADRIVER_H

#include "runtime/Status.h"

#include <cstddef>
#include <memory>
#include <string>

// The opaque handle types, with cuda.h's tags, so that the function pointer
// types below are the very types of cuda.h's declarations.
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUevent_st;
struct CUgraph_st;
struct CUgraphExec_st;

namespace retc::rt {
namespace cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = CUctx_st *;
using CUmodule = CUmod_st *;
using CUfunction = CUfunc_st *;
using CUstream = CUstream_st *;
using CUevent = CUevent_st *;
using CUgraph = CUgraph_st *;
using CUgraphExec = CUgraphExec_st *;

/// The CUresult values the runtime tests for.
enum : CUresult {
  CUDA_SUCCESS = 0,
  CUDA_ERROR_INVALID_VALUE = 1,
  CUDA_ERROR_OUT_OF_MEMORY = 2,
  CUDA_ERROR_STUB_LIBRARY = 34,
  CUDA_ERROR_NO_DEVICE = 100,
  CUDA_ERROR_INVALID_PTX = 218,
  CUDA_ERROR_NOT_FOUND = 500,
};

/// CUstreamCaptureMode.
enum CUstreamCaptureMode : int {
  CU_STREAM_CAPTURE_MODE_GLOBAL = 0,
  CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
  CU_STREAM_CAPTURE_MODE_RELAXED = 2,
};

/// CUdevice_attribute values.
enum : int {
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
  CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
  CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
};
/// CUfunction_attribute values.
enum : int {
  CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
  CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT = 9,
};
/// CUshared_carveout: all of the unified L1/shared memory as shared.
enum : int { CU_SHAREDMEM_CARVEOUT_MAX_SHARED = 100 };
/// CUjit_option values.
enum : int {
  CU_JIT_ERROR_LOG_BUFFER = 5,
  CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
};
/// Stream and event flags.
enum : unsigned {
  CU_STREAM_NON_BLOCKING = 1,
  CU_EVENT_DEFAULT = 0,
};

} // namespace cuda

/// The driver entry points the runtime uses, resolved with dlsym. The
/// member's comment names the exported symbol (the `_v2` ABI where there is
/// one).
struct CudaDriver {
  using R = cuda::CUresult;
  using Dev = cuda::CUdevice;
  using Ptr = cuda::CUdeviceptr;
  using Stream = cuda::CUstream;
  /// A pointer to a driver function of type `F`.
  template <typename F> using Fn = F *;

  Fn<R(unsigned flags)> init;                              // cuInit
  Fn<R(R error, const char **name)> getErrorName;          // cuGetErrorName
  Fn<R(R error, const char **text)> getErrorString;        // cuGetErrorString
  Fn<R(int *count)> deviceGetCount;                        // cuDeviceGetCount
  Fn<R(Dev *device, int ordinal)> deviceGet;               // cuDeviceGet
  Fn<R(char *name, int length, Dev device)> deviceGetName; // cuDeviceGetName
  /// cuDeviceGetAttribute
  Fn<R(int *value, int attribute, Dev device)> deviceGetAttribute;
  /// cuDevicePrimaryCtxRetain
  Fn<R(cuda::CUcontext *context, Dev device)> devicePrimaryCtxRetain;
  /// cuDevicePrimaryCtxRelease_v2
  Fn<R(Dev device)> devicePrimaryCtxRelease;
  Fn<R(cuda::CUcontext context)> ctxSetCurrent;  // cuCtxSetCurrent
  Fn<R(size_t *free, size_t *total)> memGetInfo; // cuMemGetInfo_v2
  Fn<R(Ptr *pointer, size_t bytes)> memAlloc;    // cuMemAlloc_v2
  Fn<R(Ptr pointer)> memFree;                    // cuMemFree_v2
  /// cuMemAllocHost_v2: page-locked host memory, which copies to and from
  /// the device can fill without the host waiting.
  Fn<R(void **pointer, size_t bytes)> memAllocHost;
  Fn<R(void *pointer)> memFreeHost; // cuMemFreeHost
  // Copies and fills go on the runtime's own (non-blocking) stream, so they
  // are ordered with its launches: the synchronous cuMemcpyHtoD and
  // cuMemsetD32 run on the legacy stream, which a non-blocking stream does
  // not wait for.
  /// cuMemcpyHtoDAsync_v2
  Fn<R(Ptr dst, const void *src, size_t bytes, Stream stream)> memcpyHtoDAsync;
  /// cuMemcpyDtoHAsync_v2
  Fn<R(void *dst, Ptr src, size_t bytes, Stream stream)> memcpyDtoHAsync;
  /// cuMemcpyDtoDAsync_v2
  Fn<R(Ptr dst, Ptr src, size_t bytes, Stream stream)> memcpyDtoDAsync;
  /// cuMemsetD32Async
  Fn<R(Ptr dst, unsigned value, size_t count, Stream stream)> memsetD32Async;
  /// cuModuleLoadDataEx (`options` are CUjit_option values)
  Fn<R(cuda::CUmodule *module, const void *image, unsigned numOptions,
       int *options, void **optionValues)>
      moduleLoadDataEx;
  Fn<R(cuda::CUmodule module)> moduleUnload; // cuModuleUnload
  /// cuModuleGetFunction
  Fn<R(cuda::CUfunction *function, cuda::CUmodule module, const char *name)>
      moduleGetFunction;
  /// cuModuleGetGlobal_v2
  Fn<R(Ptr *pointer, size_t *bytes, cuda::CUmodule module, const char *name)>
      moduleGetGlobal;
  /// cuFuncSetAttribute
  Fn<R(cuda::CUfunction function, int attribute, int value)> funcSetAttribute;
  /// cuFuncGetParamInfo (CUDA 12.4+); nullptr on older drivers.
  Fn<R(cuda::CUfunction function, size_t index, size_t *offset, size_t *size)>
      funcGetParamInfo;
  /// cuLaunchKernel
  Fn<R(cuda::CUfunction function, unsigned gridX, unsigned gridY,
       unsigned gridZ, unsigned blockX, unsigned blockY, unsigned blockZ,
       unsigned sharedBytes, Stream stream, void **params, void **extra)>
      launchKernel;
  Fn<R(Stream *stream, unsigned flags)> streamCreate; // cuStreamCreate
  Fn<R(Stream stream)> streamDestroy;                 // cuStreamDestroy_v2
  Fn<R(Stream stream)> streamSynchronize;             // cuStreamSynchronize
  Fn<R(cuda::CUevent *event, unsigned flags)> eventCreate; // cuEventCreate
  Fn<R(cuda::CUevent event)> eventDestroy;                 // cuEventDestroy_v2
  Fn<R(cuda::CUevent event, Stream stream)> eventRecord;   // cuEventRecord
  Fn<R(cuda::CUevent event)> eventSynchronize;             // cuEventSynchronize
  /// cuEventElapsedTime_v2, or cuEventElapsedTime on drivers before 12.8.
  Fn<R(float *milliseconds, cuda::CUevent start, cuda::CUevent end)>
      eventElapsedTime;
  /// cuStreamBeginCapture_v2
  Fn<R(Stream stream, cuda::CUstreamCaptureMode mode)> streamBeginCapture;
  /// cuStreamEndCapture
  Fn<R(Stream stream, cuda::CUgraph *graph)> streamEndCapture;
  /// cuGraphInstantiateWithFlags
  Fn<R(cuda::CUgraphExec *exec, cuda::CUgraph graph, unsigned long long flags)>
      graphInstantiateWithFlags;
  Fn<R(cuda::CUgraphExec exec, Stream stream)> graphLaunch; // cuGraphLaunch
  Fn<R(cuda::CUgraphExec exec)> graphExecDestroy; // cuGraphExecDestroy
  Fn<R(cuda::CUgraph graph)> graphDestroy;        // cuGraphDestroy

  /// The process-wide driver: opens the library named by the environment
  /// variable RETC_CUDA_DRIVER (for tests) or `libcuda.so.1` once, resolves
  /// every symbol and calls cuInit. Later calls return the same driver, or
  /// the same failure. Never unloaded.
  static Expected<const CudaDriver *> get();

  /// Opens `library` afresh (not cached): dlopen, dlsym, cuInit. Fails with
  /// "no CUDA driver found (<library>): <reason>", "CUDA driver <library>
  /// lacks <symbol> (driver too old?)" or "cuInit failed: ...".
  static Expected<std::unique_ptr<CudaDriver>> open(const std::string &library);

  /// "<call> failed: <NAME> (<description>)" for `result`, asking the driver
  /// for the name and description and falling back on a built-in table.
  std::string errorMessage(const char *call, cuda::CUresult result) const;
  /// Error::failure(errorMessage(call, result)), or success if `result` is
  /// CUDA_SUCCESS.
  Error check(cuda::CUresult result, const char *call) const;
};

/// The built-in name of CUresult `result` ("CUDA_ERROR_INVALID_PTX"), or
/// nullptr if the table does not know it.
const char *cudaErrorName(cuda::CUresult result);
/// The built-in description of `result` ("a PTX JIT compilation failed"),
/// or nullptr.
const char *cudaErrorString(cuda::CUresult result);
/// "<call> failed: <name> (<text>)"; a null `name` becomes "CUDA error N"
/// and a null `text` is left out.
std::string formatCudaError(const char *call, cuda::CUresult result,
                            const char *name, const char *text);

} // namespace retc::rt

#endif // RETC_RUNTIME_CUDADRIVER_H
