//===- SequenceState.cpp - fuzzes the state file reader -------------------===//
//
// libFuzzer harness of SequenceState::restore (runtime/model/SequenceState.h)
// on a buffer, which the path version, and so retc_state_restore, goes
// through. restore takes only a state of the model's own shape, so the
// harness gives it a state of the shape the file claims when that is small
// (to reach the data and checksum checks) and of a fixed shape otherwise.
// Each input is read twice: as it is (a mutation almost always breaks the
// SHA-256, so this tests the checks before it and the checksum itself) and
// resealed, the checksum recomputed over the mutated header and data, which
// reaches the checks behind the checksum (position, shape).
//
//===----------------------------------------------------------------------===//
#include "runtime/Sha256.h"
#include "runtime/model/SequenceState.h"

#include <algorithm>
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

/// `bytes` with the checksum after a rank-R header (docs/runtime.md: 32
/// bytes at 24 + 8R, over the header before it and the data after it)
/// recomputed; unchanged where the header is too short to hold one.
static std::vector<uint8_t> resealed(std::vector<uint8_t> bytes) {
  if (bytes.size() < 24)
    return bytes;
  uint64_t rank = le(bytes.data() + 12, 4);
  if (rank < 1 || rank > 8 || bytes.size() < 24 + 8 * rank + 32)
    return bytes;
  size_t checksumAt = 24 + 8 * rank, dataAt = checksumAt + 32;
  Sha256 hash;
  hash.update(bytes.data(), checksumAt);
  hash.update(bytes.data() + dataAt, bytes.size() - dataAt);
  Sha256Digest digest = hash.digest();
  std::copy(digest.begin(), digest.end(), bytes.begin() + checksumAt);
  return bytes;
}

/// Restores `bytes` into a state of the shape they claim; aborts if a state
/// that restores has a negative position.
static void restoreOnce(const uint8_t *data, size_t size) {
  SequenceState state(claimedShape(data, size));
  if (Error err = state.restore(data, size, "fuzz.state"))
    return;
  if (state.position() < 0)
    std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  restoreOnce(data, size);
  std::vector<uint8_t> sealed = resealed(std::vector<uint8_t>(data, data + size));
  restoreOnce(sealed.data(), sealed.size());
  return 0;
}
