//===- Safetensors.h - Read-only access to .safetensors files ---*- C++ -*-===//
//
// The checkpoint format of Hugging Face models: an 8-byte little-endian
// header length N, N bytes of JSON naming every tensor (dtype, shape, byte
// range in the data section), then the data. `SafetensorsFile::open` maps the
// file read-only and validates the whole header before anything is used; the
// tensors' bytes stay in the mapping (nothing is copied). Supported element
// types are F32, BF16 and F16; any other dtype is refused by name.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_SAFETENSORS_H
#define RETC_RUNTIME_SAFETENSORS_H

#include "runtime/DType.h"
#include "runtime/Status.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace retc::rt {

/// The largest header a file may declare (100 MB); a larger length is taken
/// for a corrupt or foreign file.
inline constexpr uint64_t kMaxSafetensorsHeader = 100ull * 1000 * 1000;

/// One tensor of a safetensors file.
struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::F32;
  /// Dimensions, outermost first; may be empty (a scalar) or hold zeros.
  std::vector<int64_t> shape;
  /// The product of `shape`.
  uint64_t numElements = 0;
  /// The byte range within the data section (after the header).
  uint64_t begin = 0, end = 0;
  /// The first byte, inside the file's mapping (alignment: whatever the file
  /// gives; 64-byte alignment is not guaranteed).
  const uint8_t *data = nullptr;
};

/// A validated, memory-mapped safetensors file.
class SafetensorsFile {
public:
  /// Maps `path` read-only and validates its header: the length within the
  /// file and at most kMaxSafetensorsHeader, a JSON object, an optional
  /// `__metadata__` object of strings, and for every tensor a supported
  /// `dtype`, a `shape` of non-negative integers whose element count does not
  /// overflow, and `data_offsets` [begin, end] inside the data section,
  /// holding exactly elements * itemsize bytes, overlapping no other tensor.
  /// Every failure is one line `<path>: [tensor '<name>': ]<problem>`.
  static Expected<std::unique_ptr<SafetensorsFile>>
  open(const std::string &path);
  /// Validates a safetensors file held in the `size` bytes at `bytes`, as
  /// `open` does; `path` names it in messages. Nothing is copied: the
  /// tensors' `data` point into `bytes`, which must outlive the result.
  static Expected<std::unique_ptr<SafetensorsFile>>
  parse(const uint8_t *bytes, size_t size, const std::string &path);

  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;
  ~SafetensorsFile();

  const std::string &path() const { return filePath; }
  /// The tensors in the order of their data offsets.
  const std::vector<SafetensorsTensor> &tensors() const { return entries; }
  /// The tensor named `name`, or nullptr.
  const SafetensorsTensor *find(std::string_view name) const;
  /// The `__metadata__` strings (empty if the file has none).
  const std::map<std::string, std::string> &metadata() const { return meta; }

private:
  SafetensorsFile() = default;

  std::string filePath;
  void *mapping = nullptr; ///< owned; null when built by `parse`
  size_t mappingSize = 0;
  std::vector<SafetensorsTensor> entries;
  std::map<std::string, std::string> meta;
};

/// The safetensors spelling of `type`: "F32", "BF16" or "F16".
const char *safetensorsDTypeName(DType type);

} // namespace retc::rt

#endif // RETC_RUNTIME_SAFETENSORS_H
