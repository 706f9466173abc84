//===- SequenceState.h - The state of one sequence of a model ---*- C++ -*-===//
//
// A model's entries (KernelABI.h, `retc_model_call`) read and overwrite the
// retention state of one sequence: f32 [layers, heads, head_k_dim,
// head_v_dim], plus the absolute position of the next token. A
// `SequenceState` owns both; a fresh one is zero at position 0. States copy
// (a fork of the sequence), reset, and save to / restore from a small binary
// file (format in docs/runtime.md).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_SEQUENCESTATE_H
#define RETC_RUNTIME_SEQUENCESTATE_H

#include "runtime/AlignedBuffer.h"
#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retc::rt {

/// The magic bytes that start a saved state file.
inline constexpr char kStateFileMagic[8] = {'R', 'E', 'T', 'C',
                                            'S', 'T', 'A', 'T'};
/// The state file format version this runtime reads and writes (2: the
/// SHA-256 covers the header, position and shape included, and the data).
inline constexpr uint32_t kStateFileVersion = 2;

/// The retention state of one sequence and its next position.
class SequenceState {
public:
  /// An empty state (no shape); only assignable.
  SequenceState() = default;
  /// A zeroed state of `shape` at position 0. Dimensions must be positive
  /// (Model::newState gives the model's shape).
  explicit SequenceState(std::vector<int64_t> shape);

  /// [layers, heads, head_k_dim, head_v_dim].
  const std::vector<int64_t> &shape() const { return dims; }
  /// The absolute position of the next token (tokens consumed so far).
  int64_t position() const { return nextPosition; }
  /// The f32 elements, row-major, 64-byte aligned.
  float *data() { return values.data(); }
  const float *data() const { return values.data(); }
  /// The number of elements (product of `shape`).
  size_t size() const { return values.size(); }

  /// Back to a fresh sequence: zero state, position 0.
  void reset();
  /// An independent copy (the same as the copy constructor).
  SequenceState clone() const { return *this; }

  /// Writes the state and its position to `path` (under a temporary name,
  /// then renamed into place).
  Error save(const std::string &path) const;
  /// Reads a state saved by `save` into this one. Fails, leaving this state
  /// unchanged, on an unreadable file, a bad magic, an unknown version, a
  /// truncated or over-long file, a checksum mismatch (a changed byte
  /// anywhere, the position included), or a shape that differs from this
  /// state's (a state of another model).
  Error restore(const std::string &path);
  /// The same for a state file held in the `size` bytes at `bytes`; `path`
  /// names it in messages.
  Error restore(const uint8_t *bytes, size_t size, const std::string &path);

private:
  friend class Model;
  std::vector<int64_t> dims;
  int64_t nextPosition = 0;
  AlignedVector<float> values;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_SEQUENCESTATE_H
