//===- DType.cpp - Element types and conversions ----------------*- C++ -*-===//
//
// Bit-level float32 <-> bfloat16 / binary16 conversions. They do not depend
// on the compiler or the CPU supporting half types.
//
//===----------------------------------------------------------------------===//
#include "runtime/DType.h"

#include <cstring>

namespace retc::rt {

static uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

static float bitsFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

const char *dtypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  if (name == "f32")
    return DType::F32;
  if (name == "bf16")
    return DType::BF16;
  if (name == "f16")
    return DType::F16;
  return std::nullopt;
}

size_t dtypeSize(DType type) { return type == DType::F32 ? 4 : 2; }

uint16_t f32ToBF16(float value) {
  uint32_t bits = floatBits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep sign and top payload.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  // Round to nearest even; a carry into the exponent rounds up correctly,
  // including to infinity.
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

float bf16ToF32(uint16_t bits) {
  return bitsFloat(static_cast<uint32_t>(bits) << 16);
}

uint16_t f32ToF16(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  uint32_t exponent = magnitude >> 23;

  if (exponent == 0xff) { // Infinity or NaN.
    if (magnitude == 0x7f800000u)
      return sign | 0x7c00u;
    return static_cast<uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  }
  if (exponent >= 143) // >= 2^16: past the largest half even after rounding.
    return sign | 0x7c00u;
  if (exponent < 113) { // Below 2^-14: a half subnormal (or zero).
    uint32_t shift = 126 - exponent;
    if (shift > 24)
      return sign;
    uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    uint32_t result = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (rest > half || (rest == half && (result & 1u)))
      ++result; // May carry into the smallest normal: still the right bits.
    return static_cast<uint16_t>(sign | result);
  }
  uint32_t result = ((exponent - 112) << 10) | ((magnitude >> 13) & 0x3ffu);
  uint32_t rest = magnitude & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (result & 1u)))
    ++result; // May carry into the exponent, up to infinity.
  return static_cast<uint16_t>(sign | result);
}

float f16ToF32(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24 is exact in float32.
    float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31)
    return bitsFloat(sign | 0x7f800000u | (mantissa << 13));
  return bitsFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// Elements are read and written through memcpy, never through a typed
// pointer: a checkpoint's tensors sit wherever the file puts them (after a
// safetensors header of odd length, at odd addresses), and a misaligned
// uint16_t or float access is undefined behaviour.
template <typename T> static T loadAt(const void *base, size_t i) {
  T value;
  std::memcpy(&value, static_cast<const char *>(base) + i * sizeof(T),
              sizeof(T));
  return value;
}

template <typename T> static void storeAt(void *base, size_t i, T value) {
  std::memcpy(static_cast<char *>(base) + i * sizeof(T), &value, sizeof(T));
}

void convertFromF32(const float *src, void *dst, size_t count, DType type) {
  switch (type) {
  case DType::F32:
    // An empty array's data may be null, which memcpy must not be given.
    if (count)
      std::memcpy(dst, src, count * sizeof(float));
    return;
  case DType::BF16:
    for (size_t i = 0; i < count; ++i)
      storeAt<uint16_t>(dst, i, f32ToBF16(loadAt<float>(src, i)));
    return;
  case DType::F16:
    for (size_t i = 0; i < count; ++i)
      storeAt<uint16_t>(dst, i, f32ToF16(loadAt<float>(src, i)));
    return;
  }
}

void convertToF32(const void *src, float *dst, size_t count, DType type) {
  switch (type) {
  case DType::F32:
    if (count)
      std::memcpy(dst, src, count * sizeof(float));
    return;
  case DType::BF16:
    for (size_t i = 0; i < count; ++i)
      storeAt<float>(dst, i, bf16ToF32(loadAt<uint16_t>(src, i)));
    return;
  case DType::F16:
    for (size_t i = 0; i < count; ++i)
      storeAt<float>(dst, i, f16ToF32(loadAt<uint16_t>(src, i)));
    return;
  }
}

} // namespace retc::rt
