//===- CudaDevice.h - A CUDA device, its context and memory -----*- C++ -*-===//
//
// `CudaDevice` opens one device through the driver (CudaDriver.h): it
// retains the device's primary context, makes it current, and creates the
// non-blocking stream every launch, copy and capture of the runtime goes
// through. `DeviceBuffer` owns one device allocation.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CUDADEVICE_H
#define RETC_RUNTIME_CUDADEVICE_H

#include "runtime/cuda/CudaDriver.h"
#include "runtime/package/Package.h"

#include <cstdint>
#include <memory>
#include <string>

namespace retc::rt {

/// The device ordinal to use: `requested` if it is >= 0, else the one the
/// environment variable RETC_DEVICE names, else 0. Fails on a RETC_DEVICE
/// that is not a non-negative integer ("RETC_DEVICE='gpu1' is not a device
/// number"). Session and Model choose their device through it.
Expected<int> chooseCudaDevice(int requested);

/// One CUDA device with its primary context and a stream.
class CudaDevice {
public:
  /// Opens device `ordinal` (as numbered after CUDA_VISIBLE_DEVICES). Fails
  /// with "device 3 does not exist (this machine has 1 CUDA device)" or a
  /// driver error naming the call.
  static Expected<std::unique_ptr<CudaDevice>> open(const CudaDriver &driver,
                                                    int ordinal);
  /// Opens device `ordinal` through the process's driver (CudaDriver::get)
  /// for the code of `pkg`'s blob `blob`, and checks that the device can run
  /// it (checkCudaArch). Every message starts with the package's path.
  static Expected<std::unique_ptr<CudaDevice>>
  openFor(const Package &pkg, const BlobDesc &blob, int ordinal);

  CudaDevice(const CudaDevice &) = delete;
  CudaDevice &operator=(const CudaDevice &) = delete;
  /// Destroys the stream and releases the primary context.
  ~CudaDevice();

  const CudaDriver &driver() const { return drv; }
  int ordinal() const { return index; }
  /// The marketing name, e.g. "NVIDIA H200".
  const std::string &name() const { return deviceName; }
  /// The compute capability, e.g. 9 and 0.
  int ccMajor() const { return major; }
  int ccMinor() const { return minor; }
  /// The most dynamic shared memory a block may opt in to, in bytes.
  int maxSharedBytesOptin() const { return sharedOptin; }
  cuda::CUstream stream() const { return cuStream; }
  /// "device 0 (NVIDIA H200)", for messages.
  std::string describe() const;

  /// Makes this device's context current on the calling thread.
  Error makeCurrent() const;
  /// Waits for everything enqueued on the stream; a kernel fault surfaces
  /// here ("cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS (...)").
  Error synchronize() const;

private:
  CudaDevice(const CudaDriver &driver) : drv(driver) {}

  const CudaDriver &drv;
  int index = 0;
  cuda::CUdevice device = 0;
  std::string deviceName;
  int major = 0, minor = 0, sharedOptin = 0;
  cuda::CUcontext context = nullptr;
  cuda::CUstream cuStream = nullptr;
};

/// A device allocation, freed when destroyed. Movable.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  /// Allocates `bytes` (rounded up to 256; at least 256) on `device`. On
  /// failure the message gives the size and the device's free memory.
  static Expected<DeviceBuffer> allocate(const CudaDevice &device,
                                         uint64_t bytes);
  DeviceBuffer(DeviceBuffer &&other) noexcept { *this = std::move(other); }
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  ~DeviceBuffer() { reset(); }

  cuda::CUdeviceptr pointer() const { return ptr; }
  /// The allocated size (a multiple of 256).
  uint64_t size() const { return bytes; }

private:
  void reset();

  const CudaDriver *drv = nullptr;
  cuda::CUdeviceptr ptr = 0;
  uint64_t bytes = 0;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_CUDADEVICE_H
