//===- SequenceState.cpp - The state of one sequence of a model -*- C++ -*-===//
//
// See SequenceState.h. The file format, all little-endian:
//   bytes  0..8    "RETCSTAT"
//          8..12   u32 version (1)
//         12..16   u32 rank R (1 to 8)
//         16..24   i64 position (>= 0)
//         24..     i64 dims[R] (each >= 1)
//         then     u64 FNV-1a 64 of the data bytes
//         then     f32 data[product of dims]
//
//===----------------------------------------------------------------------===//
#include "runtime/model/SequenceState.h"

#include "runtime/FileIO.h"
#include "runtime/package/Package.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>


namespace retc::rt {

namespace {
constexpr size_t kFixedHeader = 24;
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
  appendLE(header, fnv1a64(values.data(), dataBytes), 8);

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
    return Error::atFile(path, "unsupported state file version " +
                                   std::to_string(version) +
                                   " (this runtime reads version " +
                                   std::to_string(kStateFileVersion) + ")");
  uint64_t rank = readLE(bytes + 12, 4);
  if (rank < 1 || rank > kMaxRank)
    return Error::atFile(path, "state rank " + std::to_string(rank) +
                                   " is not in [1, " +
                                   std::to_string(kMaxRank) + "]");
  int64_t position = static_cast<int64_t>(readLE(bytes + 16, 8));
  if (position < 0)
    return Error::atFile(path, "negative position " + std::to_string(position));
  size_t headerSize = kFixedHeader + 8 * rank + 8;
  if (size < headerSize)
    return Error::atFile(
        path, "truncated: " + std::to_string(size) +
                  " bytes, too short for the " + std::to_string(headerSize) +
                  "-byte header of a rank-" + std::to_string(rank) + " state");
  std::vector<int64_t> shape;
  for (uint64_t i = 0; i < rank; ++i)
    shape.push_back(
        static_cast<int64_t>(readLE(bytes + kFixedHeader + 8 * i, 8)));
  if (shape != dims)
    return Error::atFile(path, "holds a state of shape " + formatShape(shape) +
                                   " but this model's state is " +
                                   formatShape(dims));
  uint64_t checksum = readLE(bytes + headerSize - 8, 8);
  size_t dataBytes = values.size() * sizeof(float);
  if (size - headerSize != dataBytes)
    return Error::atFile(path, std::string(size - headerSize < dataBytes
                                               ? "truncated"
                                               : "trailing bytes") +
                                   ": expected " + std::to_string(dataBytes) +
                                   " bytes of state data, found " +
                                   std::to_string(size - headerSize));
  if (fnv1a64(bytes + headerSize, dataBytes) != checksum)
    return Error::atFile(path, "state data is corrupt (checksum mismatch)");
  if (dataBytes)
    std::memcpy(values.data(), bytes + headerSize, dataBytes);
  nextPosition = position;
  return Error::success();
}

} // namespace retc::rt
