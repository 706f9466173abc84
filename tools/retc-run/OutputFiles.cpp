//===- OutputFiles.cpp - retc-run's outputs, all or none --------*- C++ -*-===//
//
// See OutputFiles.h.
//
//===----------------------------------------------------------------------===//
#include "tools/retc-run/OutputFiles.h"

#include "runtime/FileIO.h"
#include "runtime/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <sys/stat.h>
#include <unistd.h>

namespace retc::run {

using namespace retc::rt;

Error checkOutputPath(const std::string &path) {
  Expected<OutputTarget> target =
      resolveOutputPath(path, SpecialOutput::Refuse);
  return target ? Error::success() : target.error();
}

NpyOutputSet::~NpyOutputSet() {
  for (const File &file : files)
    if (!file.temporary.empty())
      ::unlink(file.temporary.c_str());
}

Error NpyOutputSet::add(const std::string &path,
                        const std::vector<int64_t> &shape, const float *data) {
  Expected<OutputTarget> target =
      resolveOutputPath(path, SpecialOutput::Refuse);
  if (!target)
    return target.error();
  // A hidden name in the same directory as the file written (a symbolic
  // link's target: the link stays), so that the rename cannot cross file
  // systems; the pid keeps concurrent runs apart.
  std::filesystem::path destination(target->path);
  std::string temporary =
      (destination.parent_path() /
       ("." + destination.filename().string() + ".retc-run-" +
        std::to_string(::getpid()) + ".tmp"))
          .string();
  files.push_back({path, target->path, temporary});
  if (Error err = writeNpy(temporary, shape, data)) {
    // writeNpy names the temporary; the user knows only the output.
    std::string message = err.message();
    if (message.rfind(temporary + ": ", 0) == 0)
      message = message.substr(temporary.size() + 2);
    return Error::atFile(path, message);
  }
  return Error::success();
}

Error NpyOutputSet::commit() {
  for (size_t i = 0; i < files.size(); ++i) {
    if (std::rename(files[i].temporary.c_str(), files[i].target.c_str()) == 0) {
      files[i].temporary.clear();
      continue;
    }
    int error = errno;
    for (size_t j = 0; j < i; ++j)
      ::unlink(files[j].target.c_str());
    return Error::atFile(files[i].path, std::string("cannot write the output: "
                                                    "rename failed: ") +
                                            std::strerror(error));
  }
  files.clear();
  return Error::success();
}

} // namespace retc::run
