//===- CudaDriver.cpp - The CUDA driver API, loaded at run time -*- C++ -*-===//
//
// dlopen/dlsym of the driver's entry points and the formatting of CUresult
// codes. The library handle is never closed.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaDriver.h"

#include <cstdlib>
#include <cstring>

#include <dlfcn.h>

namespace retc::rt {

using namespace cuda;

namespace {

struct ErrorInfo {
  CUresult code;
  const char *name;
  const char *text;
};

/// Names and descriptions of the errors a runtime is likely to meet, for
/// when the driver cannot name them itself (a stub library, or a code
/// returned before cuGetErrorName resolved). Texts follow cuGetErrorString.
constexpr ErrorInfo kErrors[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {34, "CUDA_ERROR_STUB_LIBRARY", "CUDA driver is a stub library"},
    {35, "CUDA_ERROR_INSUFFICIENT_DRIVER",
     "CUDA driver version is insufficient for CUDA runtime version"},
    {36, "CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER",
     "API call is not supported in the installed CUDA driver"},
    {46, "CUDA_ERROR_DEVICE_UNAVAILABLE",
     "CUDA-capable device(s) is/are busy or unavailable"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU",
     "no kernel image is available for execution on the device"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {221, "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
     "PTX JIT compiler library not found"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
     "the provided PTX was compiled with an unsupported toolchain."},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS",
     "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
     "too many resources requested for launch"},
    {702, "CUDA_ERROR_LAUNCH_TIMEOUT",
     "the launch timed out and was terminated"},
    {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION",
     "an illegal instruction was encountered"},
    {716, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
     "operation not permitted when stream is capturing"},
    {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
     "operation failed due to a previous error during capture"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

const ErrorInfo *findError(CUresult result) {
  for (const ErrorInfo &info : kErrors)
    if (info.code == result)
      return &info;
  return nullptr;
}

/// One symbol to resolve: where to store it, its name, an older name to
/// fall back on (or nullptr), and whether a driver may lack it.
struct Symbol {
  void **slot;
  const char *name;
  const char *fallback;
  bool optional;
};

/// dlerror() text without a leading "<library>: ", on one line.
std::string dlReason(const std::string &library) {
  const char *reason = ::dlerror();
  std::string text = reason ? reason : "unknown dlopen error";
  if (text.rfind(library + ": ", 0) == 0)
    text = text.substr(library.size() + 2);
  for (char &c : text)
    if (c == '\n')
      c = ' ';
  return text;
}

} // namespace

const char *cudaErrorName(CUresult result) {
  const ErrorInfo *info = findError(result);
  return info ? info->name : nullptr;
}

const char *cudaErrorString(CUresult result) {
  const ErrorInfo *info = findError(result);
  return info ? info->text : nullptr;
}

std::string formatCudaError(const char *call, CUresult result, const char *name,
                            const char *text) {
  std::string message = std::string(call) + " failed: ";
  message += name ? name : "CUDA error " + std::to_string(result);
  if (text && *text)
    message += std::string(" (") + text + ")";
  for (char &c : message)
    if (c == '\n')
      c = ' ';
  return message;
}

std::string CudaDriver::errorMessage(const char *call, CUresult result) const {
  const char *name = nullptr;
  const char *text = nullptr;
  if (getErrorName && getErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (getErrorString && getErrorString(result, &text) != CUDA_SUCCESS)
    text = nullptr;
  if (!name)
    name = cudaErrorName(result);
  if (!text)
    text = cudaErrorString(result);
  return formatCudaError(call, result, name, text);
}

Error CudaDriver::check(CUresult result, const char *call) const {
  if (result == CUDA_SUCCESS)
    return Error::success();
  return Error::failure(errorMessage(call, result));
}

Expected<std::unique_ptr<CudaDriver>>
CudaDriver::open(const std::string &library) {
  ::dlerror();
  void *handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return Error::failure("no CUDA driver found (" + library +
                          "): " + dlReason(library));

  auto driver = std::make_unique<CudaDriver>();
  CudaDriver &d = *driver;
  auto slot = [](auto &member) { return reinterpret_cast<void **>(&member); };
  const Symbol symbols[] = {
      {slot(d.init), "cuInit", nullptr, false},
      {slot(d.getErrorName), "cuGetErrorName", nullptr, false},
      {slot(d.getErrorString), "cuGetErrorString", nullptr, false},
      {slot(d.deviceGetCount), "cuDeviceGetCount", nullptr, false},
      {slot(d.deviceGet), "cuDeviceGet", nullptr, false},
      {slot(d.deviceGetName), "cuDeviceGetName", nullptr, false},
      {slot(d.deviceGetAttribute), "cuDeviceGetAttribute", nullptr, false},
      {slot(d.devicePrimaryCtxRetain), "cuDevicePrimaryCtxRetain", nullptr,
       false},
      {slot(d.devicePrimaryCtxRelease), "cuDevicePrimaryCtxRelease_v2", nullptr,
       false},
      {slot(d.ctxSetCurrent), "cuCtxSetCurrent", nullptr, false},
      {slot(d.memGetInfo), "cuMemGetInfo_v2", nullptr, false},
      {slot(d.memAlloc), "cuMemAlloc_v2", nullptr, false},
      {slot(d.memFree), "cuMemFree_v2", nullptr, false},
      {slot(d.memAllocHost), "cuMemAllocHost_v2", nullptr, false},
      {slot(d.memFreeHost), "cuMemFreeHost", nullptr, false},
      {slot(d.memcpyHtoDAsync), "cuMemcpyHtoDAsync_v2", nullptr, false},
      {slot(d.memcpyDtoHAsync), "cuMemcpyDtoHAsync_v2", nullptr, false},
      {slot(d.memcpyDtoDAsync), "cuMemcpyDtoDAsync_v2", nullptr, false},
      {slot(d.memsetD32Async), "cuMemsetD32Async", nullptr, false},
      {slot(d.moduleLoadDataEx), "cuModuleLoadDataEx", nullptr, false},
      {slot(d.moduleUnload), "cuModuleUnload", nullptr, false},
      {slot(d.moduleGetFunction), "cuModuleGetFunction", nullptr, false},
      {slot(d.moduleGetGlobal), "cuModuleGetGlobal_v2", nullptr, false},
      {slot(d.funcSetAttribute), "cuFuncSetAttribute", nullptr, false},
      {slot(d.funcGetParamInfo), "cuFuncGetParamInfo", nullptr, true},
      {slot(d.launchKernel), "cuLaunchKernel", nullptr, false},
      {slot(d.streamCreate), "cuStreamCreate", nullptr, false},
      {slot(d.streamDestroy), "cuStreamDestroy_v2", nullptr, false},
      {slot(d.streamSynchronize), "cuStreamSynchronize", nullptr, false},
      {slot(d.eventCreate), "cuEventCreate", nullptr, false},
      {slot(d.eventDestroy), "cuEventDestroy_v2", nullptr, false},
      {slot(d.eventRecord), "cuEventRecord", nullptr, false},
      {slot(d.eventSynchronize), "cuEventSynchronize", nullptr, false},
      {slot(d.eventElapsedTime), "cuEventElapsedTime_v2", "cuEventElapsedTime",
       false},
      {slot(d.streamBeginCapture), "cuStreamBeginCapture_v2", nullptr, false},
      {slot(d.streamEndCapture), "cuStreamEndCapture", nullptr, false},
      {slot(d.graphInstantiateWithFlags), "cuGraphInstantiateWithFlags",
       nullptr, false},
      {slot(d.graphLaunch), "cuGraphLaunch", nullptr, false},
      {slot(d.graphExecDestroy), "cuGraphExecDestroy", nullptr, false},
      {slot(d.graphDestroy), "cuGraphDestroy", nullptr, false},
  };
  for (const Symbol &symbol : symbols) {
    *symbol.slot = ::dlsym(handle, symbol.name);
    if (!*symbol.slot && symbol.fallback)
      *symbol.slot = ::dlsym(handle, symbol.fallback);
    if (!*symbol.slot && !symbol.optional)
      return Error::failure("CUDA driver " + library + " lacks " + symbol.name +
                            " (driver too old?)");
  }

  CUresult result = d.init(0);
  if (result == CUDA_ERROR_NO_DEVICE)
    return Error::failure("no CUDA device found (" +
                          d.errorMessage("cuInit", result) + ")");
  if (Error err = d.check(result, "cuInit"))
    return err;
  return driver;
}

Expected<const CudaDriver *> CudaDriver::get() {
  // Opened once; a failure is remembered too, so every caller sees it.
  static const Expected<const CudaDriver *> driver =
      []() -> Expected<const CudaDriver *> {
    const char *override = std::getenv("RETC_CUDA_DRIVER");
    Expected<std::unique_ptr<CudaDriver>> opened =
        open(override && *override ? override : "libcuda.so.1");
    if (!opened)
      return opened.error();
    return static_cast<const CudaDriver *>(opened.take().release());
  }();
  return driver;
}

} // namespace retc::rt
