//===- CudaDevice.cpp - A CUDA device, its context and memory ---*- C++ -*-===//
//
// See CudaDevice.h. Destructors ignore driver errors: after a kernel fault
// the context is unusable and every call fails, which must not hide the
// fault itself.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/CudaArch.h"

#include "runtime/KernelABI.h"

#include <climits>
#include <cstdlib>

namespace retc::rt {

using namespace cuda;

Expected<int> chooseCudaDevice(int requested) {
  if (requested >= 0)
    return requested;
  const char *text = std::getenv("RETC_DEVICE");
  if (!text || !*text)
    return 0;
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end || value < 0 || value > INT_MAX || !(*text >= '0' && *text <= '9'))
    return Error::failure(std::string("RETC_DEVICE='") + text +
                          "' is not a device number");
  return static_cast<int>(value);
}

Expected<std::unique_ptr<CudaDevice>>
CudaDevice::openFor(const Package &pkg, const BlobDesc &blob, int ordinal) {
  Expected<const CudaDriver *> driver = CudaDriver::get();
  if (!driver)
    return Error::atFile(pkg.path, driver.message());
  Expected<std::unique_ptr<CudaDevice>> device = open(**driver, ordinal);
  if (!device)
    return Error::atFile(pkg.path, device.message());
  if (Error err = checkCudaArch(pkg.manifest.target.arch, blob.format,
                                (*device)->ccMajor(), (*device)->ccMinor(),
                                (*device)->describe()))
    return Error::atFile(pkg.path, err.message());
  return device;
}

Expected<std::unique_ptr<CudaDevice>> CudaDevice::open(const CudaDriver &drv,
                                                       int ordinal) {
  int count = 0;
  if (Error err = drv.check(drv.deviceGetCount(&count), "cuDeviceGetCount"))
    return err;
  if (count == 0)
    return Error::failure("no CUDA device found (the driver reports none)");
  if (ordinal < 0 || ordinal >= count)
    return Error::failure("device " + std::to_string(ordinal) +
                          " does not exist (this machine " + "has " +
                          std::to_string(count) + " CUDA device" +
                          (count == 1 ? "" : "s") + ", numbered from 0)");

  std::unique_ptr<CudaDevice> dev(new CudaDevice(drv));
  dev->index = ordinal;
  if (Error err =
          drv.check(drv.deviceGet(&dev->device, ordinal), "cuDeviceGet"))
    return err;
  char name[256] = {};
  if (Error err =
          drv.check(drv.deviceGetName(name, sizeof(name) - 1, dev->device),
                    "cuDeviceGetName"))
    return err;
  dev->deviceName = name;
  struct {
    int attribute;
    int *value;
  } attributes[] = {
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, &dev->major},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, &dev->minor},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
       &dev->sharedOptin},
  };
  for (auto [attribute, value] : attributes)
    if (Error err =
            drv.check(drv.deviceGetAttribute(value, attribute, dev->device),
                      "cuDeviceGetAttribute"))
      return err;

  if (Error err =
          drv.check(drv.devicePrimaryCtxRetain(&dev->context, dev->device),
                    "cuDevicePrimaryCtxRetain"))
    return err;
  if (Error err = dev->makeCurrent())
    return err;
  if (Error err =
          drv.check(drv.streamCreate(&dev->cuStream, CU_STREAM_NON_BLOCKING),
                    "cuStreamCreate"))
    return err;
  return dev;
}

CudaDevice::~CudaDevice() {
  if (cuStream)
    drv.streamDestroy(cuStream);
  if (context)
    drv.devicePrimaryCtxRelease(device);
}

std::string CudaDevice::describe() const {
  return "device " + std::to_string(index) + " (" + deviceName + ")";
}

Error CudaDevice::makeCurrent() const {
  return drv.check(drv.ctxSetCurrent(context), "cuCtxSetCurrent");
}

Error CudaDevice::synchronize() const {
  return drv.check(drv.streamSynchronize(cuStream), "cuStreamSynchronize");
}

Expected<DeviceBuffer> DeviceBuffer::allocate(const CudaDevice &device,
                                              uint64_t bytes) {
  const CudaDriver &drv = device.driver();
  // cuMemAlloc aligns to 256 bytes; rounding the size up too lets a fill
  // of 32-bit words cover every byte.
  constexpr uint64_t align = RETC_CUDA_BUFFER_ALIGNMENT;
  uint64_t rounded = bytes == 0 ? align : (bytes + align - 1) / align * align;
  DeviceBuffer buffer;
  CUresult result = drv.memAlloc(&buffer.ptr, static_cast<size_t>(rounded));
  if (result != CUDA_SUCCESS) {
    std::string message = drv.errorMessage("cuMemAlloc", result) +
                          " allocating " + std::to_string(rounded) +
                          " bytes on " + device.describe();
    size_t free = 0, total = 0;
    if (drv.memGetInfo(&free, &total) == CUDA_SUCCESS)
      message += " (" + std::to_string(free) + " of " + std::to_string(total) +
                 " bytes free)";
    return Error::failure(message);
  }
  buffer.drv = &drv;
  buffer.bytes = rounded;
  return buffer;
}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    reset();
    drv = other.drv;
    ptr = other.ptr;
    bytes = other.bytes;
    other.drv = nullptr;
    other.ptr = 0;
    other.bytes = 0;
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (drv && ptr)
    drv->memFree(ptr);
  drv = nullptr;
  ptr = 0;
  bytes = 0;
}

} // namespace retc::rt
