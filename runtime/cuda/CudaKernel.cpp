//===- CudaKernel.cpp - Loading and launching CUDA kernel blobs -*- C++ -*-===//
//
// See CudaKernel.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/cuda/CudaKernel.h"

#include "runtime/KernelABI.h"
#include "runtime/package/CompiledFor.h"

#include <cstring>

namespace retc::rt {

using namespace cuda;

/// The JIT log on one line, at most `limit` characters.
static std::string oneLine(const char *log, size_t limit = 600) {
  std::string text;
  for (const char *p = log; *p && text.size() < limit; ++p) {
    if (*p == '\n') {
      if (!text.empty() && text.back() != ' ')
        text += "; ";
    } else {
      text += *p;
    }
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == ';'))
    text.pop_back();
  return text;
}

Expected<std::unique_ptr<CudaKernel>>
CudaKernel::load(const CudaDevice &device, const uint8_t *data, size_t size,
                 BlobFormat format, const std::string &entry, size_t numParams,
                 const LaunchConfig &launch, const std::string &compiledFor,
                 const std::string &context) {
  LaunchConfig named = launch;
  named.entry = entry;
  return load(device, data, size, format, std::vector<LaunchConfig>{named},
              numParams, compiledFor, context);
}

Expected<std::string>
CudaKernel::readCompiledFor(const std::string &context) const {
  const CudaDriver &drv = device.driver();
  CUdeviceptr address = 0;
  size_t bytes = 0;
  CUresult result =
      drv.moduleGetGlobal(&address, &bytes, module, RETC_COMPILED_FOR_SYMBOL);
  if (result == CUDA_ERROR_NOT_FOUND)
    return Error::failure(context + " does not record what it was compiled "
                                    "for (no global '" RETC_COMPILED_FOR_SYMBOL
                                    "': not code from this retc; compile the "
                                    "package again)");
  if (result != CUDA_SUCCESS)
    return Error::failure(context + ": " +
                          drv.errorMessage("cuModuleGetGlobal", result));
  if (bytes == 0 || bytes > (size_t(1) << 24))
    return Error::failure(context +
                          ": global '" RETC_COMPILED_FOR_SYMBOL "' holds " +
                          std::to_string(bytes) +
                          " bytes, not the text of what it was compiled for");
  std::vector<char> text(bytes);
  if (Error err = drv.check(
          drv.memcpyDtoHAsync(text.data(), address, bytes, device.stream()),
          "cuMemcpyDtoHAsync"))
    return Error::failure(context + ": " + err.message());
  if (Error err = drv.check(drv.streamSynchronize(device.stream()),
                            "cuStreamSynchronize"))
    return Error::failure(context + ": " + err.message());
  const void *end = std::memchr(text.data(), 0, text.size());
  if (!end)
    return Error::failure(context + ": global '" RETC_COMPILED_FOR_SYMBOL
                                    "' is not NUL-terminated text");
  return std::string(
      text.data(),
      static_cast<size_t>(static_cast<const char *>(end) - text.data()));
}

Expected<std::unique_ptr<CudaKernel>>
CudaKernel::load(const CudaDevice &device, const uint8_t *data, size_t size,
                 BlobFormat format, const std::vector<LaunchConfig> &launches,
                 std::optional<size_t> numParams,
                 const std::string &compiledFor, const std::string &context) {
  const CudaDriver &drv = device.driver();
  static const uint8_t elfMagic[4] = {0x7f, 'E', 'L', 'F'};
  bool elf = size >= 4 && std::memcmp(data, elfMagic, 4) == 0;
  if (format == BlobFormat::Cubin && !elf)
    return Error::failure(context + " is not a cubin (no ELF header)");
  if (format == BlobFormat::Ptx && elf)
    return Error::failure(context + " is marked ptx but is an ELF file (a "
                                    "cubin?)");
  if (format == BlobFormat::Ptx && std::memchr(data, 0, size))
    return Error::failure(context + " is not PTX text (it contains a NUL "
                                    "byte)");
  if (launches.empty())
    return Error::failure(context + ": no launch configuration");
  if (Error err = device.makeCurrent())
    return Error::failure(context + ": " + err.message());

  // PTX must be NUL-terminated; the package's bytes are not.
  std::vector<uint8_t> image(data, data + size);
  if (format == BlobFormat::Ptx)
    image.push_back(0);

  std::unique_ptr<CudaKernel> kernel(new CudaKernel(device));
  char log[8192] = {};
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log) - 1)};
  CUresult result =
      drv.moduleLoadDataEx(&kernel->module, image.data(), 2, options, values);
  if (result != CUDA_SUCCESS) {
    kernel->module = nullptr;
    std::string message =
        context + ": " + drv.errorMessage("cuModuleLoadDataEx", result);
    std::string jit = oneLine(log);
    if (!jit.empty())
      message += "; JIT log: " + jit;
    return Error::failure(message);
  }

  // What the module was compiled for, before anything of it runs.
  Expected<std::string> recorded = kernel->readCompiledFor(context);
  if (!recorded)
    return recorded.error();
  if (Error err = checkCompiledFor(compiledFor, *recorded, context))
    return err;

  for (const LaunchConfig &launch : launches) {
    const std::string &entry = launch.entry;
    CUfunction function = nullptr;
    result =
        drv.moduleGetFunction(&function, kernel->module, entry.c_str());
    if (result == CUDA_ERROR_NOT_FOUND)
      return Error::failure(context + " has no kernel named '" + entry + "' (" +
                            drv.errorMessage("cuModuleGetFunction", result) +
                            ")");
    if (result != CUDA_SUCCESS)
      return Error::failure(context + ": " +
                            drv.errorMessage("cuModuleGetFunction", result));

    // The ABI: one 8-byte device pointer per manifest parameter (a model
    // kernel: any number of 8-byte words). Drivers since CUDA 12.4 can list
    // a kernel's parameters; older ones skip this.
    std::optional<size_t> driverCount;
    if (drv.funcGetParamInfo) {
      size_t offset = 0, bytes = 0, count = 0, total = 0;
      bool allPointers = true;
      size_t limit = numParams ? *numParams + 64 : 4096;
      while (count < limit &&
             drv.funcGetParamInfo(function, count, &offset, &bytes) ==
                 CUDA_SUCCESS) {
        allPointers = allPointers && bytes == 8;
        total = offset + bytes;
        ++count;
      }
      if (count > 0 && numParams && (count != *numParams || !allPointers))
        return Error::failure(
            context + ": kernel '" + entry + "' takes " + std::to_string(count) +
            " parameters (" + std::to_string(total) +
            " bytes) but the manifest lists " + std::to_string(*numParams) +
            ", one 8-byte device pointer each (bare-pointer convention)");
      if (count > 0 && !numParams && !allPointers)
        return Error::failure(
            context + ": kernel '" + entry + "' takes " + std::to_string(count) +
            " parameters (" + std::to_string(total) +
            " bytes), not one 8-byte word each (KernelABI.h: launch "
            "requests pass every parameter as a .u64/.b64 word)");
      if (count > 0)
        driverCount = count;
    }

    // Any dynamic shared memory raises the kernel's limit: the default cap
    // (48 KiB) applies to static plus dynamic together, so even a small
    // dynamic request can exceed it beside large static tiles.
    if (launch.sharedBytes > 0) {
      if (launch.sharedBytes > device.maxSharedBytesOptin())
        return Error::failure(context + ": the launch asks for " +
                              std::to_string(launch.sharedBytes) +
                              " bytes of dynamic shared memory, more than the " +
                              std::to_string(device.maxSharedBytesOptin()) + " " +
                              device.describe() + " allows per block");
      if (Error err =
              drv.check(drv.funcSetAttribute(
                            function,
                            CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                            static_cast<int>(launch.sharedBytes)),
                        "cuFuncSetAttribute"))
        return Error::failure(context + ": " + err.message());
      // Kernels that ask for dynamic shared memory stage their tiles there
      // and bypass L1 (cp.async.cg): the whole carveout as shared memory,
      // so that two blocks of up to half of it share an SM.
      if (Error err = drv.check(
              drv.funcSetAttribute(
                  function, CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT,
                  CU_SHAREDMEM_CARVEOUT_MAX_SHARED),
              "cuFuncSetAttribute"))
        return Error::failure(context + ": " + err.message());
    }
    kernel->entries.push_back({launch, function, driverCount});
  }
  return kernel;
}

CudaKernel::~CudaKernel() {
  if (module)
    device.driver().moduleUnload(module);
}

Error CudaKernel::launch(const std::vector<CUdeviceptr> &args) const {
  const CudaDriver &drv = device.driver();
  std::vector<void *> params;
  params.reserve(args.size());
  for (const CUdeviceptr &arg : args)
    params.push_back(const_cast<CUdeviceptr *>(&arg));
  for (const Function &entry : entries) {
    const LaunchConfig &c = entry.config;
    CUresult result = drv.launchKernel(
        entry.function, static_cast<unsigned>(c.grid[0]),
        static_cast<unsigned>(c.grid[1]), static_cast<unsigned>(c.grid[2]),
        static_cast<unsigned>(c.block[0]), static_cast<unsigned>(c.block[1]),
        static_cast<unsigned>(c.block[2]),
        static_cast<unsigned>(c.sharedBytes), device.stream(), params.data(),
        nullptr);
    if (result != CUDA_SUCCESS)
      return Error::failure("kernel '" + c.entry + "': " +
                            drv.errorMessage("cuLaunchKernel", result));
  }
  return Error::success();
}

} // namespace retc::rt
