//===- Npy.h - Read and write NumPy .npy files ------------------*- C++ -*-===//
//
// The runtime's host-array file format: NumPy's .npy, versions 1.0, 2.0 and
// 3.0. Reading accepts little-endian float32, float16 and float64 arrays in C
// order and converts them to float32; writing produces version 1.0 (2.0 when
// the header is too long), little-endian float32, C order.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_NPY_H
#define RETC_RUNTIME_NPY_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retc::rt {

/// A dense, row-major float32 array read from a .npy file.
struct NpyArray {
  /// Dimensions, outermost first; empty for a 0-d array.
  std::vector<int64_t> shape;
  /// The elements, converted to float32 (product of `shape` of them).
  std::vector<float> data;
  /// The element type as the file spelled it ("<f4", "<f2" or "<f8").
  std::string descr;
};

/// Reads the .npy file at `path`. Fails, with a message naming the file, on
/// an unreadable file, a bad magic string, an unknown format version, a
/// malformed header, Fortran order, big-endian or non-float data, or data
/// shorter or longer than the shape says.
Expected<NpyArray> readNpy(const std::string &path);

/// Reads the .npy file held in the `size` bytes at `bytes`, with the checks
/// and messages of readNpy; `path` names it in messages.
Expected<NpyArray> parseNpy(const uint8_t *bytes, size_t size,
                            const std::string &path);

/// Writes `data` (the product of `shape` float32 values, row-major) to
/// `path` as a .npy file.
Error writeNpy(const std::string &path, const std::vector<int64_t> &shape,
               const float *data);

} // namespace retc::rt

#endif // RETC_RUNTIME_NPY_H
