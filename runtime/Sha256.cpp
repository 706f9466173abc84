//===- Sha256.cpp - SHA-256 checksums of packages and state files ---------===//
//
// See Sha256.h. A thin layer over Nettle's sha256_* functions.
//
//===----------------------------------------------------------------------===//
#include "runtime/Sha256.h"

#include <nettle/sha2.h>

#include <new>

namespace retc::rt {

static_assert(SHA256_DIGEST_SIZE == 32, "SHA-256 digests are 32 bytes");

namespace {
constexpr size_t kContextSize = sizeof(struct sha256_ctx);
} // namespace

Sha256::Sha256() {
  static_assert(kContextSize <= sizeof(state),
                "Nettle's sha256_ctx fits the opaque state");
  sha256_init(new (state) sha256_ctx);
}

void Sha256::update(const void *data, size_t size) {
  sha256_update(reinterpret_cast<sha256_ctx *>(state), size,
                static_cast<const uint8_t *>(data));
}

Sha256Digest Sha256::digest() {
  Sha256Digest out;
  sha256_digest(reinterpret_cast<sha256_ctx *>(state), out.size(), out.data());
  return out;
}

Sha256Digest sha256(const void *data, size_t size) {
  Sha256 hash;
  hash.update(data, size);
  return hash.digest();
}

std::string toHex(const Sha256Digest &digest) {
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (uint8_t byte : digest) {
    text += digits[byte >> 4];
    text += digits[byte & 15];
  }
  return text;
}

std::optional<Sha256Digest> parseSha256Hex(std::string_view text) {
  if (text.size() != 64)
    return std::nullopt;
  Sha256Digest digest;
  for (size_t i = 0; i < 32; ++i) {
    int value = 0;
    for (char c : text.substr(2 * i, 2)) {
      int nibble = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : -1;
      if (nibble < 0)
        return std::nullopt;
      value = value * 16 + nibble;
    }
    digest[i] = static_cast<uint8_t>(value);
  }
  return digest;
}

} // namespace retc::rt
