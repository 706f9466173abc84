//===- FileIO.h - reading and writing the runtime's files -------*- C++ -*-===//
//
// The file handling that package, .npy and state files share, inside the
// runtime and in its tools (retc's and retc-run's outputs). Every failure
// is an Error naming the file and errno's reason.
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

/// What an output path that names something other than a regular file
/// (or nothing) becomes.
enum class SpecialOutput {
  /// Refused: the output is all or nothing, which only a regular file
  /// written under a temporary name and renamed into place can be
  /// (retc-run's outputs, state files).
  Refuse,
  /// Character devices (/dev/null) and FIFOs are opened and written in
  /// place, as compilers do; other kinds are refused (retc's -o).
  WriteInPlace,
};

/// Where an output goes once symbolic links are followed.
struct OutputTarget {
  /// The file written: the path given with every symbolic link in its last
  /// component followed, so that the link itself stays a link.
  std::string path;
  /// A character device or FIFO, written in place (SpecialOutput::
  /// WriteInPlace only); otherwise absent or a regular file, written under
  /// a temporary name beside `path` and renamed over it.
  bool inPlace = false;
};

/// Decides how the output `path` is written: symbolic links are followed
/// (at most 40; a dangling link makes the file it names); a regular file or
/// nothing is replaced through a temporary; a character device or FIFO is
/// written in place where `special` allows it. Fails, naming `path`, on a
/// directory, a block device, a socket, a FIFO or device that `special`
/// refuses, or a loop of links ("cannot write the output: ...").
Expected<OutputTarget> resolveOutputPath(const std::string &path,
                                         SpecialOutput special);

/// Opens a new temporary file beside `target` (`<target>.tmp<pid>-<n>`,
/// created exclusively) and returns its name in `temporary`. Errors name
/// `path`, the output as the user gave it.
Error createTemporaryBeside(const std::string &path, const std::string &target,
                            std::string &temporary, FilePtr &file);

/// Writes the output `path` (resolveOutputPath): a regular file under a
/// temporary name renamed into place, so that a failed write never leaves a
/// half-written file (nor the temporary) behind; a character device or FIFO
/// in place. `writeBody` writes the contents and returns false when a write
/// fails; errors ("write failed: No space left on device") name `path`.
Error writeFileAtomically(const std::string &path,
                          const std::function<bool(std::FILE *)> &writeBody,
                          SpecialOutput special = SpecialOutput::Refuse);

/// Appends the `size` low bytes of `value`, little-endian.
void appendLE(std::vector<uint8_t> &out, uint64_t value, size_t size);
/// Reads `size` little-endian bytes.
uint64_t readLE(const uint8_t *bytes, size_t size);

} // namespace retc::rt

#endif // RETC_RUNTIME_FILEIO_H
