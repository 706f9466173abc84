//===- DType.h - Element types and conversions ------------------*- C++ -*-===//
//
// The element types a kernel parameter can have (f32, bf16, f16), their
// names in the manifest, and conversions between them and float32. Every
// conversion rounds to nearest, ties to even, keeps infinities and NaNs
// (NaNs stay NaNs, quieted), and handles f16 subnormals exactly.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_DTYPE_H
#define RETC_RUNTIME_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace retc::rt {

/// The element type of a kernel parameter.
enum class DType { F32, BF16, F16 };

/// The manifest spelling of `type`: "f32", "bf16" or "f16".
const char *dtypeName(DType type);
/// Parses a manifest spelling; std::nullopt if `name` is not one.
std::optional<DType> parseDType(std::string_view name);
/// Bytes per element of `type`.
size_t dtypeSize(DType type);

/// float32 -> bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN.
uint16_t f32ToBF16(float value);
/// bfloat16 bits -> float32 (exact).
float bf16ToF32(uint16_t bits);
/// float32 -> IEEE binary16 bits, round to nearest even, with subnormals;
/// values past the largest half overflow to infinity.
uint16_t f32ToF16(float value);
/// IEEE binary16 bits -> float32 (exact).
float f16ToF32(uint16_t bits);

/// Converts `count` float32 values to `type`, writing `count *
/// dtypeSize(type)` bytes to `dst`. Neither pointer needs any alignment (a
/// mapped checkpoint's tensors may sit at odd addresses).
void convertFromF32(const float *src, void *dst, size_t count, DType type);
/// Converts `count` values of `type` at `src` to float32; neither pointer
/// needs any alignment.
void convertToF32(const void *src, float *dst, size_t count, DType type);

} // namespace retc::rt

#endif // RETC_RUNTIME_DTYPE_H
