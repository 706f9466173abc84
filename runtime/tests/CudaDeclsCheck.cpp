//===- CudaDeclsCheck.cpp - CudaDriver.h against the real cuda.h -*- C++
//-*-===//
//
// Built only where the CUDA toolkit's headers are found: compile-time checks
// that the runtime's hand-written driver declarations (CudaDriver.h) have
// the very types and values of cuda.h, so that a typo cannot reach a GPU.
// The runtime itself never includes cuda.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/tests/Check.h"

#ifdef RETC_HAVE_CUDA_H
#include <cuda.h>

#include "runtime/cuda/CudaDriver.h"

#include <type_traits>

namespace rt = retc::rt;
using D = rt::CudaDriver;

// Handle and scalar types are cuda.h's own.
static_assert(std::is_same_v<rt::cuda::CUdeviceptr, ::CUdeviceptr>);
static_assert(std::is_same_v<rt::cuda::CUdevice, ::CUdevice>);
static_assert(std::is_same_v<rt::cuda::CUcontext, ::CUcontext>);
static_assert(std::is_same_v<rt::cuda::CUmodule, ::CUmodule>);
static_assert(std::is_same_v<rt::cuda::CUfunction, ::CUfunction>);
static_assert(std::is_same_v<rt::cuda::CUstream, ::CUstream>);
static_assert(std::is_same_v<rt::cuda::CUevent, ::CUevent>);
static_assert(std::is_same_v<rt::cuda::CUgraph, ::CUgraph>);
static_assert(std::is_same_v<rt::cuda::CUgraphExec, ::CUgraphExec>);
static_assert(sizeof(rt::cuda::CUresult) == sizeof(::CUresult));

// Values (compared as integers: the enums differ in type).
#define SAME_VALUE(ours, theirs)                                               \
  static_assert(static_cast<long long>(rt::cuda::ours) ==                      \
                    static_cast<long long>(::theirs),                          \
                #ours)
SAME_VALUE(CUDA_ERROR_INVALID_PTX, CUDA_ERROR_INVALID_PTX);
SAME_VALUE(CUDA_ERROR_NOT_FOUND, CUDA_ERROR_NOT_FOUND);
SAME_VALUE(CUDA_ERROR_NO_DEVICE, CUDA_ERROR_NO_DEVICE);
SAME_VALUE(CUDA_ERROR_STUB_LIBRARY, CUDA_ERROR_STUB_LIBRARY);
SAME_VALUE(CUDA_ERROR_OUT_OF_MEMORY, CUDA_ERROR_OUT_OF_MEMORY);
SAME_VALUE(CU_STREAM_CAPTURE_MODE_THREAD_LOCAL,
           CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
SAME_VALUE(CU_STREAM_CAPTURE_MODE_GLOBAL, CU_STREAM_CAPTURE_MODE_GLOBAL);
SAME_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
           CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
SAME_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
           CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
SAME_VALUE(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
           CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
SAME_VALUE(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
           CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
SAME_VALUE(CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT,
           CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT);
SAME_VALUE(CU_SHAREDMEM_CARVEOUT_MAX_SHARED, CU_SHAREDMEM_CARVEOUT_MAX_SHARED);
SAME_VALUE(CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER);
SAME_VALUE(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
           CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
SAME_VALUE(CU_STREAM_NON_BLOCKING, CU_STREAM_NON_BLOCKING);
SAME_VALUE(CU_EVENT_DEFAULT, CU_EVENT_DEFAULT);
#undef SAME_VALUE
// Enum parameters are declared `int`; the enums must be int-sized.
static_assert(sizeof(::CUjit_option) == sizeof(int));
static_assert(sizeof(::CUdevice_attribute) == sizeof(int));
static_assert(sizeof(::CUfunction_attribute) == sizeof(int));
static_assert(sizeof(::CUstreamCaptureMode) == sizeof(int));

// Every entry point has cuda.h's type (the `_v2` symbol where cuda.h maps
// the name to one), up to enums: cuda.h's CUresult and attribute/option
// enums are declared `int` here, which `Norm` maps them to (the sizes are
// checked above).
template <typename T, typename = void> struct Norm { using type = T; };
template <typename T> struct Norm<T, std::enable_if_t<std::is_enum_v<T>>> {
  using type = int;
};
template <typename T> struct Norm<const T> {
  using type = const typename Norm<T>::type;
};
template <typename T> struct Norm<T *> {
  using type = typename Norm<T>::type *;
};
template <typename R, typename... A> struct Norm<R (*)(A...)> {
  using type = typename Norm<R>::type (*)(typename Norm<A>::type...);
};
template <typename T> using NormT = typename Norm<T>::type;

#define SAME(member, symbol)                                                   \
  static_assert(                                                               \
      std::is_same_v<NormT<decltype(D::member)>, NormT<decltype(&::symbol)>>,  \
      #member " differs from " #symbol)
SAME(init, cuInit);
SAME(getErrorName, cuGetErrorName);
SAME(getErrorString, cuGetErrorString);
SAME(deviceGetCount, cuDeviceGetCount);
SAME(deviceGet, cuDeviceGet);
SAME(deviceGetName, cuDeviceGetName);
SAME(devicePrimaryCtxRetain, cuDevicePrimaryCtxRetain);
SAME(devicePrimaryCtxRelease, cuDevicePrimaryCtxRelease_v2);
SAME(ctxSetCurrent, cuCtxSetCurrent);
SAME(memGetInfo, cuMemGetInfo_v2);
SAME(memAlloc, cuMemAlloc_v2);
SAME(memFree, cuMemFree_v2);
SAME(memcpyHtoDAsync, cuMemcpyHtoDAsync_v2);
SAME(memcpyDtoDAsync, cuMemcpyDtoDAsync_v2);
SAME(memcpyDtoHAsync, cuMemcpyDtoHAsync_v2);
SAME(memAllocHost, cuMemAllocHost_v2);
SAME(memFreeHost, cuMemFreeHost);
SAME(memsetD32Async, cuMemsetD32Async);
SAME(deviceGetAttribute, cuDeviceGetAttribute);
SAME(moduleLoadDataEx, cuModuleLoadDataEx);
SAME(moduleUnload, cuModuleUnload);
SAME(moduleGetFunction, cuModuleGetFunction);
SAME(moduleGetGlobal, cuModuleGetGlobal_v2);
SAME(funcSetAttribute, cuFuncSetAttribute);
SAME(funcGetParamInfo, cuFuncGetParamInfo);
SAME(launchKernel, cuLaunchKernel);
SAME(streamCreate, cuStreamCreate);
SAME(streamDestroy, cuStreamDestroy_v2);
SAME(streamSynchronize, cuStreamSynchronize);
SAME(eventCreate, cuEventCreate);
SAME(eventDestroy, cuEventDestroy_v2);
SAME(eventRecord, cuEventRecord);
SAME(eventSynchronize, cuEventSynchronize);
SAME(eventElapsedTime, cuEventElapsedTime_v2);
SAME(streamBeginCapture, cuStreamBeginCapture_v2);
SAME(streamEndCapture, cuStreamEndCapture);
SAME(graphInstantiateWithFlags, cuGraphInstantiateWithFlags);
SAME(graphLaunch, cuGraphLaunch);
SAME(graphExecDestroy, cuGraphExecDestroy);
SAME(graphDestroy, cuGraphDestroy);
#undef SAME

bool retc::rt::test::cudaDeclsChecked() { return true; }
#else
bool retc::rt::test::cudaDeclsChecked() { return false; }
#endif
