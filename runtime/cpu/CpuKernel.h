//===- CpuKernel.h - Loading and calling CPU kernel blobs -------*- C++ -*-===//
//
// A CPU kernel is a shared object carried inside the package. It is loaded
// straight from memory (an anonymous memfd, or a temporary file where memfd
// is unavailable) with dlopen, and entered through the `retc_cpu_kernel_fn`
// symbol `<entry>` RETC_CPU_ABI_SUFFIX (KernelABI.h).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CPUKERNEL_H
#define RETC_RUNTIME_CPUKERNEL_H

#include "runtime/KernelABI.h"
#include "runtime/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace retc::rt {

/// Loads the shared object in `size` bytes at `data` (from an anonymous
/// memory file, as below) and returns its dlopen handle, which stays open
/// until the process exits; the same bytes loaded again (same SHA-256)
/// return the same handle. `context` prefixes messages. Fails on bytes that
/// are not an ELF file or a dlopen failure (with dlerror's reason).
Expected<void *> loadSharedObject(const uint8_t *data, size_t size,
                                  const std::string &context);

/// The text the loaded shared object `handle` records about what it was
/// compiled for (its symbol RETC_COMPILED_FOR_SYMBOL, KernelABI.h), read
/// through the dynamic loader without running any of its code. `context`
/// prefixes messages: "<context> does not record what it was compiled for
/// (no symbol 'retc_compiled_for': ...)", or a symbol that is not
/// NUL-terminated text.
Expected<std::string> readCompiledFor(void *handle, const std::string &context);

/// A loaded CPU kernel. Owns the dlopen handle.
class CpuKernel {
public:
  /// Loads the shared object in `size` bytes at `data`, checks that it was
  /// compiled for `compiledFor` (CompiledFor.h: what the manifest makes of
  /// this blob) and looks up `entry` + RETC_CPU_ABI_SUFFIX. `context`
  /// prefixes messages (usually "<package>: blob 'kernel.so'"). Fails on a
  /// blob that is not an ELF shared object, a dlopen failure (with dlerror's
  /// reason), code compiled for something else, or a missing symbol.
  static Expected<std::unique_ptr<CpuKernel>>
  load(const uint8_t *data, size_t size, const std::string &entry,
       const std::string &compiledFor, const std::string &context);

  CpuKernel(const CpuKernel &) = delete;
  CpuKernel &operator=(const CpuKernel &) = delete;
  ~CpuKernel();

  /// Calls the kernel with one pointer per parameter, in manifest order.
  /// Returns when the kernel is done.
  void run(void **args) const { function(args); }

  /// The symbol that was looked up.
  const std::string &symbol() const { return symbolName; }

private:
  CpuKernel(void *handle, retc_cpu_kernel_fn function, std::string symbol)
      : handle(handle), function(function), symbolName(std::move(symbol)) {}

  void *handle;
  retc_cpu_kernel_fn function;
  std::string symbolName;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_CPUKERNEL_H
