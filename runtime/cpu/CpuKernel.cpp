//===- CpuKernel.cpp - Loading and calling CPU kernel blobs -----*- C++ -*-===//
//
// dlopen needs a path, so the blob is first written to an anonymous memory
// file (memfd_create) and opened as /proc/self/fd/N; where that fails, to a
// temporary file in $TMPDIR (or /tmp) that is unlinked once loaded.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuKernel.h"
#include "runtime/Sha256.h"
#include "runtime/package/CompiledFor.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

namespace retc::rt {

/// Writes all `size` bytes to `fd`.
static bool writeAll(int fd, const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

/// dlerror() text without the leading "<path>: " (the path is a
/// meaningless /proc/self/fd/N or temporary name).
static std::string dlReason(const std::string &path) {
  const char *reason = ::dlerror();
  std::string text = reason ? reason : "unknown dlopen error";
  if (text.rfind(path + ": ", 0) == 0)
    text = text.substr(path.size() + 2);
  for (char &c : text)
    if (c == '\n')
      c = ' ';
  return text;
}

/// dlopens the shared object in memory; returns the handle or an error.
static Expected<void *> openFromMemory(const uint8_t *data, size_t size,
                                       const std::string &context) {
  ::dlerror(); // Clear any stale error.

  // Preferred: an anonymous memory file, nothing on disk.
  int fd = ::memfd_create("retc-kernel", MFD_CLOEXEC);
  if (fd >= 0) {
    if (writeAll(fd, data, size)) {
      std::string path = "/proc/self/fd/" + std::to_string(fd);
      void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      std::string reason = handle ? "" : dlReason(path);
      if (handle) {
        // The descriptor stays open as long as the kernel stays loaded
        // (forever: kernels are never unloaded). The loader knows the
        // library by its path, /proc/self/fd/N; were N closed and reused by
        // a later kernel, dlopen would hand back this one instead.
        return handle;
      }
      ::close(fd);
      // A loader error on readable contents will not improve with a file.
      if (::access("/proc/self/fd", F_OK) == 0)
        return Error::failure(context + ": cannot load: " + reason);
    } else {
      ::close(fd);
    }
  }

  // Fallback: a temporary file, unlinked once loaded.
  const char *dir = std::getenv("TMPDIR");
  std::string path =
      std::string(dir && *dir ? dir : "/tmp") + "/retc-kernel-XXXXXX";
  fd = ::mkstemp(path.data());
  if (fd < 0)
    return Error::failure(context + ": cannot create a temporary file in " +
                          path.substr(0, path.rfind('/')) + ": " +
                          std::strerror(errno));
  bool written = writeAll(fd, data, size);
  int savedErrno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    return Error::failure(context + ": cannot write " + path + ": " +
                          std::strerror(savedErrno));
  }
  void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::string reason = handle ? "" : dlReason(path);
  ::unlink(path.c_str());
  if (!handle)
    return Error::failure(context + ": cannot load: " + reason);
  return handle;
}

Expected<void *> loadSharedObject(const uint8_t *data, size_t size,
                                  const std::string &context) {
  static const uint8_t elfMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (size < sizeof(elfMagic) || std::memcmp(data, elfMagic, 4) != 0)
    return Error::failure(context + " is not a shared object (no ELF header)");
  // Loaded libraries stay loaded (see ~CpuKernel), so the same bytes opened
  // again reuse the library: reopening a package does not grow the process.
  static std::mutex mutex;
  static std::map<Sha256Digest, void *> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  Sha256Digest key = sha256(data, size);
  if (auto it = loaded.find(key); it != loaded.end())
    return it->second;
  Expected<void *> handle = openFromMemory(data, size, context);
  if (handle)
    loaded.emplace(key, *handle);
  return handle;
}

Expected<std::string> readCompiledFor(void *handle,
                                      const std::string &context) {
  ::dlerror();
  void *address = ::dlsym(handle, RETC_COMPILED_FOR_SYMBOL);
  if (!address)
    return Error::failure(context + " does not record what it was compiled "
                                    "for (no symbol '" RETC_COMPILED_FOR_SYMBOL
                                    "': not code from this retc; compile the "
                                    "package again)");
  // The symbol's size bounds the text (a symbol of that name that is not
  // NUL-terminated text is refused, not read past).
  Dl_info info;
  void *entry = nullptr;
  if (!::dladdr1(address, &info, &entry, RTLD_DL_SYMENT) || !entry)
    return Error::failure(context + ": symbol '" RETC_COMPILED_FOR_SYMBOL
                                    "' has no size");
  const auto *symbol = static_cast<const ElfW(Sym) *>(entry);
  if (symbol->st_size == 0)
    return Error::failure(context + ": symbol '" RETC_COMPILED_FOR_SYMBOL
                                    "' has no size");
  const char *text = static_cast<const char *>(address);
  const void *end = std::memchr(text, 0, symbol->st_size);
  if (!end)
    return Error::failure(context + ": symbol '" RETC_COMPILED_FOR_SYMBOL
                                    "' is not NUL-terminated text");
  return std::string(text, static_cast<const char *>(end));
}

Expected<std::unique_ptr<CpuKernel>>
CpuKernel::load(const uint8_t *data, size_t size, const std::string &entry,
                const std::string &compiledFor, const std::string &context) {
  Expected<void *> handle = loadSharedObject(data, size, context);
  if (!handle)
    return handle.error();
  Expected<std::string> recorded = readCompiledFor(*handle, context);
  if (!recorded)
    return recorded.error();
  if (Error err = checkCompiledFor(compiledFor, *recorded, context))
    return err;

  std::string symbol = entry + RETC_CPU_ABI_SUFFIX;
  ::dlerror();
  void *address = ::dlsym(*handle, symbol.c_str());
  if (!address)
    return Error::failure(context + " does not export the entry symbol '" +
                          symbol + "'");
  auto function = reinterpret_cast<retc_cpu_kernel_fn>(address);
  return std::unique_ptr<CpuKernel>(
      new CpuKernel(*handle, function, std::move(symbol)));
}

CpuKernel::~CpuKernel() {
  // Kernels link an OpenMP runtime whose worker threads may outlive a
  // dlclose of the library that started them; unloading is therefore left
  // to process exit. The handle is kept for symmetry and future use.
  (void)handle;
}

} // namespace retc::rt
