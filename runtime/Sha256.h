//===- Sha256.h - SHA-256 checksums of packages and state files -*- C++ -*-===//
//
// SHA-256 (FIPS 180-4) of the runtime's files: every member of a package
// (the manifest, each blob) and a sequence state file carry one, checked
// before anything in them is trusted. The hashing is Nettle's (nettle-dev,
// linked statically, so nothing new is needed where a binary runs).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_SHA256_H
#define RETC_RUNTIME_SHA256_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace retc::rt {

/// A SHA-256 digest, 32 bytes.
using Sha256Digest = std::array<uint8_t, 32>;

/// SHA-256 of bytes given in pieces.
class Sha256 {
public:
  Sha256();
  /// Hashes `size` more bytes at `data`.
  void update(const void *data, size_t size);
  /// The digest of everything given so far.
  Sha256Digest digest();

private:
  // Nettle's struct sha256_ctx (checked against this size in Sha256.cpp),
  // kept opaque so that this header needs no Nettle header.
  alignas(8) unsigned char state[128];
};

/// SHA-256 of `size` bytes at `data`.
Sha256Digest sha256(const void *data, size_t size);

/// The digest as 64 lowercase hex digits.
std::string toHex(const Sha256Digest &digest);

/// Parses exactly 64 lowercase hex digits; nullopt otherwise.
std::optional<Sha256Digest> parseSha256Hex(std::string_view text);

} // namespace retc::rt

#endif // RETC_RUNTIME_SHA256_H
