//===- FileIO.cpp - reading and writing the runtime's files ---------------===//
//
// See FileIO.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/FileIO.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace retc::rt {

Error openForReading(const std::string &path, FilePtr &file) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0)
    return Error::atFile(path,
                         std::string("cannot open: ") + std::strerror(errno));
  if (S_ISDIR(info.st_mode))
    return Error::atFile(path, "cannot open: is a directory");
  errno = 0;
  file.reset(std::fopen(path.c_str(), "rb"));
  if (!file)
    return Error::atFile(path, std::string("cannot open: ") +
                                   std::strerror(errno ? errno : EIO));
  return Error::success();
}

Error readWholeFile(const std::string &path, std::vector<uint8_t> &bytes) {
  FilePtr file;
  if (Error err = openForReading(path, file))
    return err;
  uint8_t buffer[1 << 16];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), file.get()))
    bytes.insert(bytes.end(), buffer, buffer + n);
  if (std::ferror(file.get()))
    return Error::atFile(path, std::string("read failed: ") +
                                   std::strerror(errno ? errno : EIO));
  return Error::success();
}

/// "a directory", "a FIFO", ... for the kind of file `mode` describes.
static const char *describeFileKind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

Expected<OutputTarget> resolveOutputPath(const std::string &path,
                                         SpecialOutput special) {
  OutputTarget target;
  target.path = path;
  struct stat info;
  for (int links = 0;; ++links) {
    if (::lstat(target.path.c_str(), &info) != 0)
      return target; // absent (or unreachable: opening it will say why)
    if (!S_ISLNK(info.st_mode))
      break;
    if (links == 40)
      return Error::atFile(path, "cannot write the output: more than 40 "
                                 "symbolic links (a loop?)");
    std::string link(static_cast<size_t>(info.st_size) + 256, '\0');
    ssize_t n = ::readlink(target.path.c_str(), link.data(), link.size());
    if (n < 0 || static_cast<size_t>(n) >= link.size())
      return target; // changed under us: opening it will say
    link.resize(static_cast<size_t>(n));
    size_t slash = target.path.rfind('/');
    if ((!link.empty() && link[0] == '/') || slash == std::string::npos)
      target.path = link;
    else
      target.path = target.path.substr(0, slash + 1) + link;
  }
  if (S_ISREG(info.st_mode))
    return target;
  if (S_ISDIR(info.st_mode))
    return Error::atFile(path, "cannot write the output: a directory of "
                               "that name is in the way");
  bool writable = S_ISCHR(info.st_mode) || S_ISFIFO(info.st_mode);
  if (writable && special == SpecialOutput::WriteInPlace) {
    target.inPlace = true;
    return target;
  }
  return Error::atFile(
      path, std::string("cannot write the output: it is ") +
                describeFileKind(info.st_mode) +
                (special == SpecialOutput::WriteInPlace
                     ? ", not a regular file, character device or FIFO"
                     : ", not a regular file (outputs are written all or "
                       "none, through a temporary file renamed into place)"));
}

Error createTemporaryBeside(const std::string &path, const std::string &target,
                            std::string &temporary, FilePtr &file) {
  // Exclusive creation: never through a link or over a file of that name.
  for (int attempt = 0;; ++attempt) {
    temporary = target + ".tmp" + std::to_string(::getpid()) + "-" +
                std::to_string(attempt);
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0666);
    if (fd < 0 && errno == EEXIST && attempt < 100)
      continue;
    if (fd < 0)
      return Error::atFile(path, std::string("cannot open for writing: ") +
                                     std::strerror(errno));
    file.reset(::fdopen(fd, "wb"));
    if (!file) {
      int error = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      return Error::atFile(path, std::string("cannot open for writing: ") +
                                     std::strerror(error));
    }
    return Error::success();
  }
}

/// Runs `writeBody` on `file` and closes it; false with `error` set (an
/// errno value) if a write or the close fails.
static bool writeAndClose(FilePtr &file,
                          const std::function<bool(std::FILE *)> &writeBody,
                          int &error) {
  errno = 0;
  bool ok = writeBody(file.get()) && std::fflush(file.get()) == 0;
  error = errno;
  if (std::fclose(file.release()) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok && !error)
    error = EIO;
  return ok;
}

Error writeFileAtomically(const std::string &path,
                          const std::function<bool(std::FILE *)> &writeBody,
                          SpecialOutput special) {
  Expected<OutputTarget> target = resolveOutputPath(path, special);
  if (!target)
    return target.error();
  FilePtr file;
  int error = 0;
  if (target->inPlace) {
    // A device or FIFO: no temporary can replace it (the rename would put a
    // regular file in its place).
    int fd = ::open(target->path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0)
      file.reset(::fdopen(fd, "wb"));
    if (!file) {
      error = errno;
      if (fd >= 0)
        ::close(fd);
      return Error::atFile(path, std::string("cannot open for writing: ") +
                                     std::strerror(error));
    }
    if (!writeAndClose(file, writeBody, error))
      return Error::atFile(path, std::string("write failed: ") +
                                     std::strerror(error));
    return Error::success();
  }

  std::string temporary;
  if (Error err = createTemporaryBeside(path, target->path, temporary, file))
    return err;
  bool ok = writeAndClose(file, writeBody, error);
  if (ok && std::rename(temporary.c_str(), target->path.c_str()) != 0) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    ::unlink(temporary.c_str());
    return Error::atFile(path,
                         std::string("write failed: ") + std::strerror(error));
  }
  return Error::success();
}

void appendLE(std::vector<uint8_t> &out, uint64_t value, size_t size) {
  for (size_t i = 0; i < size; ++i)
    out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

uint64_t readLE(const uint8_t *bytes, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i)
    value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  return value;
}

} // namespace retc::rt
