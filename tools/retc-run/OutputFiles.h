//===- OutputFiles.h - retc-run's outputs, all or none ----------*- C++ -*-===//
//
// retc-run writes its .npy outputs (a kernel's o.npy and state.npy, a
// model's logits) so that they appear together or not at all: each is
// written to a temporary file beside its destination, and only when every
// one is complete are they renamed into place (docs/retc-run.md).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_RETC_RUN_OUTPUTFILES_H
#define RETC_TOOLS_RETC_RUN_OUTPUTFILES_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retc::run {

/// Fails unless `path` can become an output file: absent, or a regular file
/// (which the output replaces), possibly through symbolic links (which stay
/// links; the file they name is replaced). A directory, device or FIFO of
/// that name is refused before anything is written (rt::resolveOutputPath
/// with SpecialOutput::Refuse): a file that cannot be replaced by a rename
/// cannot be written all or none.
rt::Error checkOutputPath(const std::string &path);

/// A set of .npy files written all or none. `add` writes each to a hidden
/// temporary file in its destination's directory; `commit` renames them all
/// into place. Temporaries not committed are removed when the set is
/// destroyed, so a failure leaves no output of this run behind.
class NpyOutputSet {
public:
  NpyOutputSet() = default;
  NpyOutputSet(const NpyOutputSet &) = delete;
  NpyOutputSet &operator=(const NpyOutputSet &) = delete;
  ~NpyOutputSet();

  /// Writes `data` (`shape`, float32) to a temporary file for `path`. Errors
  /// name `path`, not the temporary.
  rt::Error add(const std::string &path, const std::vector<int64_t> &shape,
                const float *data);

  /// Renames every temporary to its destination. If one rename fails, the
  /// outputs already renamed are removed again and the error names the
  /// output that failed.
  rt::Error commit();

private:
  struct File {
    /// The output as given, the file written (links followed) and the
    /// temporary beside it.
    std::string path, target, temporary;
  };
  std::vector<File> files;
};

} // namespace retc::run

#endif // RETC_TOOLS_RETC_RUN_OUTPUTFILES_H
