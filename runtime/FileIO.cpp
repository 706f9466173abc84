//===- FileIO.cpp - reading and writing the runtime's files ---------------===//
//
// See FileIO.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/FileIO.h"

#include <cerrno>
#include <cstring>

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

Error writeFileAtomically(const std::string &path,
                          const std::function<bool(std::FILE *)> &writeBody) {
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  errno = 0;
  FilePtr file(std::fopen(tmp.c_str(), "wb"));
  if (!file)
    return Error::atFile(path, std::string("cannot open for writing: ") +
                                   std::strerror(errno ? errno : EIO));
  bool ok = writeBody(file.get());
  int savedErrno = errno;
  if (std::fclose(file.release()) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    savedErrno = ok ? errno : savedErrno;
    std::remove(tmp.c_str());
    return Error::atFile(path,
                         std::string("write failed: ") +
                             std::strerror(savedErrno ? savedErrno : EIO));
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
