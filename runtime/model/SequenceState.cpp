//===- SequenceState.cpp - The state of one sequence of a model -*- C++ -*-===//
//
// See SequenceState.h. The file format, all little-endian:
//   bytes  0..8    "RETCSTAT"
//          8..12   u32 version (2)
//         12..16   u32 rank R (1 to 8)
//         16..24   i64 position (>= 0)
//         24..     i64 dims[R] (each >= 1)
//         then     SHA-256 (32 bytes) of the bytes before it and of the data
//         then     f32 data[product of dims]
// Version 1 had an FNV-1a 64 of the data only: a changed position (a
// sequence continued at 515 instead of 3) went unnoticed.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/SequenceState.h"

#include "runtime/FileIO.h"
#include "runtime/Sha256.h"
#include "runtime/package/Package.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>


namespace retc::rt {

namespace {
constexpr size_t kFixedHeader = 24;
constexpr size_t kChecksumSize = 32;
constexpr uint32_t kMaxRank = 8;

} // namespace

SequenceState::SequenceState(std::vector<int64_t> shape)
    : dims(std::move(shape)) {
  size_t count = 1;
  for (int64_t dim : dims)
    count *= static_cast<size_t>(dim > 0 ? dim : 0);
  values.assign(count, 0.0f);
}

void SequenceState::reset() {
  std::fill(values.begin(), values.end(), 0.0f);
  nextPosition = 0;
}

Error SequenceState::save(const std::string &path) const {
  std::vector<uint8_t> header(kStateFileMagic, kStateFileMagic + 8);
  appendLE(header, kStateFileVersion, 4);
  appendLE(header, dims.size(), 4);
  appendLE(header, static_cast<uint64_t>(nextPosition), 8);
  for (int64_t dim : dims)
    appendLE(header, static_cast<uint64_t>(dim), 8);
  size_t dataBytes = values.size() * sizeof(float);
  Sha256 hash;
  hash.update(header.data(), header.size());
  hash.update(values.data(), dataBytes);
  Sha256Digest digest = hash.digest();
  header.insert(header.end(), digest.begin(), digest.end());

  return writeFileAtomically(path, [&](std::FILE *file) {
    return std::fwrite(header.data(), 1, header.size(), file) ==
               header.size() &&
           (dataBytes == 0 ||
            std::fwrite(values.data(), 1, dataBytes, file) == dataBytes);
  });
}

Error SequenceState::restore(const std::string &path) {
  std::vector<uint8_t> bytes;
  if (Error err = readWholeFile(path, bytes))
    return err;
  return restore(bytes.data(), bytes.size(), path);
}

Error SequenceState::restore(const uint8_t *bytes, size_t size,
                             const std::string &path) {
  size_t magicBytes = std::min<size_t>(size, 8);
  if (size == 0 || std::memcmp(bytes, kStateFileMagic, magicBytes) != 0)
    return Error::atFile(path, "not a retc state file (bad magic)");
  if (size < kFixedHeader)
    return Error::atFile(path, "truncated: " + std::to_string(size) +
                                   " bytes, too short for the " +
                                   std::to_string(kFixedHeader) +
                                   "-byte state header");
  uint64_t version = readLE(bytes + 8, 4);
  if (version != kStateFileVersion)
    return Error::atFile(
        path, "unsupported state file version " + std::to_string(version) +
                  " (this runtime reads version " +
                  std::to_string(kStateFileVersion) +
                  (version < kStateFileVersion
                       ? ", whose checksum also covers the position and "
                         "shape)"
                       : ")"));
  uint64_t rank = readLE(bytes + 12, 4);
  if (rank < 1 || rank > kMaxRank)
    return Error::atFile(path, "state rank " + std::to_string(rank) +
                                   " is not in [1, " +
                                   std::to_string(kMaxRank) + "]");
  size_t headerSize = kFixedHeader + 8 * rank + kChecksumSize;
  if (size < headerSize)
    return Error::atFile(
        path, "truncated: " + std::to_string(size) +
                  " bytes, too short for the " + std::to_string(headerSize) +
                  "-byte header of a rank-" + std::to_string(rank) + " state");
  // The length the header's shape makes, to tell a cut or extended file from
  // a changed one (the checksum, next, tells that the header is intact).
  std::vector<int64_t> shape;
  uint64_t elements = 1;
  for (uint64_t i = 0; i < rank; ++i) {
    shape.push_back(
        static_cast<int64_t>(readLE(bytes + kFixedHeader + 8 * i, 8)));
    uint64_t dim = static_cast<uint64_t>(shape.back());
    if (dim == 0 || __builtin_mul_overflow(elements, dim, &elements) ||
        elements > (uint64_t(1) << 40))
      elements = UINT64_MAX; // nonsense: the file cannot hold it
  }
  size_t found = size - headerSize;
  if (elements == UINT64_MAX || elements * sizeof(float) != found) {
    bool cut = elements == UINT64_MAX || elements * sizeof(float) > found;
    return Error::atFile(
        path, std::string(cut ? "truncated" : "trailing bytes") +
                  ": expected " +
                  (elements == UINT64_MAX
                       ? std::string("the data of shape ") + formatShape(shape)
                       : std::to_string(elements * sizeof(float)) + " bytes") +
                  " of state data, found " + std::to_string(found));
  }
  Sha256 hash;
  hash.update(bytes, headerSize - kChecksumSize);
  hash.update(bytes + headerSize, found);
  Sha256Digest digest = hash.digest();
  if (std::memcmp(digest.data(), bytes + headerSize - kChecksumSize,
                  kChecksumSize) != 0)
    return Error::atFile(path, "the state file is corrupt (its SHA-256 does "
                               "not match its header and data)");
  int64_t position = static_cast<int64_t>(readLE(bytes + 16, 8));
  if (position < 0)
    return Error::atFile(path, "negative position " + std::to_string(position));
  if (shape != dims)
    return Error::atFile(path, "holds a state of shape " + formatShape(shape) +
                                   " but this model's state is " +
                                   formatShape(dims));
  size_t dataBytes = found;
  if (dataBytes)
    std::memcpy(values.data(), bytes + headerSize, dataBytes);
  nextPosition = position;
  return Error::success();
}

} // namespace retc::rt
