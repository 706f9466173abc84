//===- SequenceState.cpp - fuzzes the state file reader -------------------===//
//
// libFuzzer harness of SequenceState::restore (runtime/model/SequenceState.h)
// on a buffer, which the path version, and so retc_state_restore, goes
// through. restore takes only a state of the model's own shape, so the
// harness gives it a state of the shape the file claims when that is small
// (to reach the data and checksum checks) and of a fixed shape otherwise.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/SequenceState.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace retc::rt;

/// `size` little-endian bytes at `bytes`.
static uint64_t le(const uint8_t *bytes, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i)
    value |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  return value;
}

/// The shape the file's header claims (docs/runtime.md: rank at byte 12,
/// dims from byte 24), if it has at most 2^16 elements; else [1, 1, 2, 2].
static std::vector<int64_t> claimedShape(const uint8_t *data, size_t size) {
  std::vector<int64_t> fallback = {1, 1, 2, 2};
  if (size < 24)
    return fallback;
  uint64_t rank = le(data + 12, 4);
  if (rank < 1 || rank > 8 || size < 24 + 8 * rank)
    return fallback;
  std::vector<int64_t> shape;
  uint64_t count = 1;
  for (uint64_t i = 0; i < rank; ++i) {
    uint64_t dim = le(data + 24 + 8 * i, 8);
    if (dim < 1 || dim > (uint64_t(1) << 16) || count * dim > (1u << 16))
      return fallback;
    count *= dim;
    shape.push_back(static_cast<int64_t>(dim));
  }
  return shape;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  SequenceState state(claimedShape(data, size));
  if (Error err = state.restore(data, size, "fuzz.state"))
    return 0;
  if (state.position() < 0)
    std::abort();
  return 0;
}
