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
// Where the values are (`holder`): a host state's are always in `values`. A
// device state moves between Zero (fresh or reset), Device (after a call),
// Both (after a host read), Host (after a host write or restore; also a
// read of a Zero state) and Lost (a failed call); placeFor makes the
// device copy current (zero or upload) and is a no-op on Device and Both,
// which is every call after the first of a sequence.
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

StateStorage::~StateStorage() = default;
StateHome::~StateHome() = default;

SequenceState::SequenceState(std::vector<int64_t> shape)
    : SequenceState(std::move(shape), nullptr) {}

SequenceState::SequenceState(std::vector<int64_t> shape,
                             std::shared_ptr<StateHome> home)
    : dims(std::move(shape)), home(std::move(home)) {
  elements = 1;
  for (int64_t dim : dims)
    elements *= static_cast<size_t>(dim > 0 ? dim : 0);
  if (this->home)
    holder = Holder::Zero; // no memory anywhere until needed
  else
    values.assign(elements, 0.0f);
}

SequenceState::SequenceState(SequenceState &&other) noexcept {
  *this = std::move(other);
}

SequenceState &SequenceState::operator=(SequenceState &&other) noexcept {
  if (this == &other)
    return *this;
  dims = std::move(other.dims);
  nextPosition = other.nextPosition;
  elements = other.elements;
  values = std::move(other.values);
  // The old storage goes before the home it may rely on.
  storage = std::move(other.storage);
  home = std::move(other.home);
  holder = other.holder;
  lostBy = std::move(other.lostBy);
  // The moved-from state is empty, as a default-constructed one.
  other.dims.clear();
  other.nextPosition = 0;
  other.elements = 0;
  other.values.clear();
  other.holder = Holder::Host;
  other.lostBy.clear();
  return *this;
}

SequenceState::~SequenceState() = default;

void SequenceState::allocateHostCopy() const {
  if (values.size() != elements)
    values.assign(elements, 0.0f);
}

Error SequenceState::lostError() const {
  return Error::failure("the state's values were lost when " + lostBy +
                        " failed; reset or restore it");
}

Error SequenceState::syncHost() const {
  switch (holder) {
  case Holder::Host:
  case Holder::Both:
    return Error::success();
  case Holder::Lost:
    return lostError();
  case Holder::Zero:
    // The host copy becomes the values (the next call uploads it).
    allocateHostCopy();
    std::fill(values.begin(), values.end(), 0.0f);
    holder = Holder::Host;
    return Error::success();
  case Holder::Device:
    allocateHostCopy();
    if (Error err = storage->download(values.data()))
      return Error::failure("downloading the state from " + home->describe() +
                            ": " + err.message());
    holder = Holder::Both;
    return Error::success();
  }
  return Error::success();
}

float *SequenceState::data() {
  if (Error err = syncHost())
    return nullptr;
  // The caller may write through the pointer: the host copy is the values.
  if (home)
    holder = Holder::Host;
  return values.data();
}

const float *SequenceState::data() const {
  if (Error err = syncHost())
    return nullptr;
  return values.data();
}

void SequenceState::reset() {
  nextPosition = 0;
  lostBy.clear();
  if (home) {
    holder = Holder::Zero; // zeroed on the device by the next call
    return;
  }
  std::fill(values.begin(), values.end(), 0.0f);
  holder = Holder::Host;
}

Expected<SequenceState> SequenceState::clone() const {
  if (holder == Holder::Lost)
    return lostError();
  SequenceState copy;
  copy.dims = dims;
  copy.nextPosition = nextPosition;
  copy.elements = elements;
  copy.home = home;
  copy.holder = holder;
  switch (holder) {
  case Holder::Host:
    copy.values = values;
    break;
  case Holder::Zero:
  case Holder::Lost:
    break;
  case Holder::Device:
  case Holder::Both: {
    // Device to device; the copy's host copy is filled when it is read.
    Expected<std::unique_ptr<StateStorage>> made = home->allocate(elements);
    if (!made)
      return Error::failure("the state's copy: " + made.message());
    if (Error err = (*made)->copyFrom(*storage))
      return Error::failure("copying the state on " + home->describe() +
                            ": " + err.message());
    copy.storage = made.take();
    copy.holder = Holder::Device;
    break;
  }
  }
  return Expected<SequenceState>(std::move(copy));
}

Error SequenceState::placeFor(const std::shared_ptr<StateHome> &target) {
  if (holder == Holder::Lost)
    return lostError();
  if (home != target) {
    // Moving: the values to the host first (unless they are all zero),
    // then away from the old home.
    if (holder == Holder::Device)
      if (Error err = syncHost())
        return err;
    if (holder == Holder::Both)
      holder = Holder::Host;
    storage.reset();
    home = target;
    if (!home && holder == Holder::Zero) {
      allocateHostCopy();
      std::fill(values.begin(), values.end(), 0.0f);
      holder = Holder::Host;
    }
  }
  if (!home)
    return Error::success();
  if (!storage) {
    Expected<std::unique_ptr<StateStorage>> made = home->allocate(elements);
    if (!made)
      return Error::failure("the state: " + made.message());
    storage = made.take();
  }
  switch (holder) {
  case Holder::Zero:
    if (Error err = storage->zero())
      return Error::failure("zeroing the state on " + home->describe() +
                            ": " + err.message());
    holder = Holder::Device;
    break;
  case Holder::Host:
    if (Error err = storage->upload(values.data()))
      return Error::failure("uploading the state to " + home->describe() +
                            ": " + err.message());
    holder = Holder::Both;
    break;
  case Holder::Device:
  case Holder::Both:
  case Holder::Lost:
    break;
  }
  return Error::success();
}

void SequenceState::deviceWritten() { holder = Holder::Device; }

void SequenceState::markLost(std::string why) {
  holder = Holder::Lost;
  lostBy = std::move(why);
}

Error SequenceState::save(const std::string &path) const {
  // A device state: through its host copy.
  if (Error err = syncHost())
    return Error::atFile(path, err.message());
  std::vector<uint8_t> header(kStateFileMagic, kStateFileMagic + 8);
  appendLE(header, kStateFileVersion, 4);
  appendLE(header, dims.size(), 4);
  appendLE(header, static_cast<uint64_t>(nextPosition), 8);
  for (int64_t dim : dims)
    appendLE(header, static_cast<uint64_t>(dim), 8);
  size_t dataBytes = elements * sizeof(float);
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
  // A device state: into its host copy, which becomes the values (the next
  // call uploads it); lost values are whole again.
  allocateHostCopy();
  size_t dataBytes = found;
  if (dataBytes)
    std::memcpy(values.data(), bytes + headerSize, dataBytes);
  nextPosition = position;
  holder = Holder::Host;
  lostBy.clear();
  return Error::success();
}

} // namespace retc::rt
