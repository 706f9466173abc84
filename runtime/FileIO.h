//===- FileIO.h - reading and writing the runtime's files -------*- C++ -*-===//
//
// Internal to the runtime: the file handling that package, .npy and state
// files share. Every failure is an Error naming the file and errno's reason.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_FILEIO_H
#define RETC_RUNTIME_FILEIO_H

#include "runtime/Status.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace retc::rt {

/// Closes a FILE* on scope exit.
struct FileCloser {
  void operator()(std::FILE *file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Opens the regular file `path` for reading ("cannot open: is a
/// directory", "cannot open: No such file or directory", ...).
Error openForReading(const std::string &path, FilePtr &file);

/// Reads the whole regular file `path` into `bytes`.
Error readWholeFile(const std::string &path, std::vector<uint8_t> &bytes);

/// Writes `path` under a temporary name and renames it into place, so that
/// a failed write never leaves a half-written file behind. `writeBody`
/// writes the contents and returns false when a write fails.
Error writeFileAtomically(const std::string &path,
                          const std::function<bool(std::FILE *)> &writeBody);

/// Appends the `size` low bytes of `value`, little-endian.
void appendLE(std::vector<uint8_t> &out, uint64_t value, size_t size);
/// Reads `size` little-endian bytes.
uint64_t readLE(const uint8_t *bytes, size_t size);

} // namespace retc::rt

#endif // RETC_RUNTIME_FILEIO_H
