//===- Package.cpp - fuzzes the package reader ----------------------------===//
//
// libFuzzer harness of parsePackage (runtime/package/Package.h), which
// readPackage, and so `retc-run`, the C API and the benchmarks, go
// through: header, manifest, blob ranges and checksums. Oracle: besides
// the sanitizers, every blob of a package that reads lies inside it.
// Each input is read twice: as it is, and with the header's manifest
// SHA-256 recomputed over the (mutated) manifest, so that mutations of the
// manifest reach the checks behind its checksum (the manifest's schema,
// blob ranges, padding, blob checksums).
//
//===----------------------------------------------------------------------===//
#include "runtime/Sha256.h"
#include "runtime/package/Package.h"

#include <algorithm>

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace retc::rt;

/// The header's manifest_size (docs/package-format.md: 8 bytes at 16), the
/// manifest's SHA-256 at 24 and the manifest from 56.
constexpr size_t kManifestSizeAt = 16, kManifestShaAt = 24, kManifestAt = 56;

/// `bytes` with the manifest's checksum recomputed, where the header and
/// the manifest it announces fit; unchanged otherwise.
static std::vector<uint8_t> resealed(std::vector<uint8_t> bytes) {
  if (bytes.size() < kManifestAt)
    return bytes;
  uint64_t manifestSize = 0;
  for (size_t i = 0; i < 8; ++i)
    manifestSize |= uint64_t(bytes[kManifestSizeAt + i]) << (8 * i);
  if (manifestSize > bytes.size() - kManifestAt)
    return bytes;
  Sha256Digest digest = sha256(bytes.data() + kManifestAt, manifestSize);
  std::copy(digest.begin(), digest.end(), bytes.begin() + kManifestShaAt);
  return bytes;
}

/// Parses `bytes`; aborts if a package that reads has a blob outside it.
static void parseOnce(std::vector<uint8_t> bytes) {
  size_t size = bytes.size();
  Expected<Package> package = parsePackage(std::move(bytes), "fuzz.retpkg");
  if (!package)
    return;
  for (const BlobDesc &blob : package->manifest.blobs)
    if (blob.offset > size || blob.size > size - blob.offset)
      std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  parseOnce(bytes);
  parseOnce(resealed(std::move(bytes)));
  return 0;
}
