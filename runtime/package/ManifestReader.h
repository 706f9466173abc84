//===- ManifestReader.h - What the manifest's readers share -----*- C++ -*-===//
//
// Internal to runtime/package (not installed): the typed field reader that
// turns manifest JSON into the Package.h structures while naming the path
// of any missing or ill-typed field, and the checks that the kernels'
// part (Manifest.cpp) and the model section's (ModelManifest.cpp) share.
// Includes nlohmann/json.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_PACKAGE_MANIFESTREADER_H
#define RETC_RUNTIME_PACKAGE_MANIFESTREADER_H

#include "runtime/package/JsonDescribe.h"
#include "runtime/package/Package.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace retc::rt::manifest {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

/// Reads typed fields out of the parsed JSON, remembering the first failure.
/// Every accessor returns false on failure (or on an absent optional field).
class FieldReader {
public:
  explicit FieldReader(const std::string &file) : file(file) {}

  Error takeError() { return std::move(err); }
  bool failed() const { return static_cast<bool>(err); }

  bool fail(const std::string &problem) {
    if (!err)
      err = Error::atFile(file, problem);
    return false;
  }

  static std::string join(const std::string &path, const char *key) {
    return path.empty() ? std::string(key) : path + "." + key;
  }
  static std::string at(const std::string &path, size_t index) {
    return path + "[" + std::to_string(index) + "]";
  }

  /// The member `key` of `object` (which sits at `path`); reports it
  /// missing if `required`.
  const Json *member(const Json &object, const std::string &path,
                     const char *key, bool required = true) {
    auto it = object.find(key);
    if (it == object.end()) {
      if (required)
        fail("manifest is missing field '" + join(path, key) + "'");
      return nullptr;
    }
    return &*it;
  }

  bool wrongType(const std::string &path, const char *expected,
                 const Json &value) {
    return fail("manifest field '" + path + "' must be " + expected + ", not " +
                describeJsonKind(value));
  }

  bool asString(const Json &value, const std::string &path, std::string &out) {
    if (!value.is_string())
      return wrongType(path, "a string", value);
    out = value.get<std::string>();
    return true;
  }

  bool asInt(const Json &value, const std::string &path, int64_t &out) {
    if (!value.is_number_integer())
      return wrongType(path, "an integer", value);
    if (value.is_number_unsigned() &&
        value.get<uint64_t>() >
            static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return fail("manifest field '" + path + "' is too large");
    out = value.get<int64_t>();
    return true;
  }

  bool asUInt(const Json &value, const std::string &path, uint64_t &out) {
    if (!value.is_number_integer())
      return wrongType(path, "a non-negative integer", value);
    if (!value.is_number_unsigned() && value.get<int64_t>() < 0)
      return fail("manifest field '" + path + "' must be non-negative, not " +
                  std::to_string(value.get<int64_t>()));
    out = value.get<uint64_t>();
    return true;
  }

  bool asBool(const Json &value, const std::string &path, bool &out) {
    if (!value.is_boolean())
      return wrongType(path, "a boolean", value);
    out = value.get<bool>();
    return true;
  }

  bool asNumber(const Json &value, const std::string &path, double &out) {
    if (!value.is_number())
      return wrongType(path, "a number", value);
    out = value.get<double>();
    return true;
  }

  bool asObject(const Json &value, const std::string &path) {
    return value.is_object() || wrongType(path, "an object", value);
  }
  bool asArray(const Json &value, const std::string &path) {
    return value.is_array() || wrongType(path, "an array", value);
  }

  /// Typed required members.
  bool getString(const Json &object, const std::string &path, const char *key,
                 std::string &out) {
    const Json *value = member(object, path, key);
    return value && asString(*value, join(path, key), out);
  }
  bool getInt(const Json &object, const std::string &path, const char *key,
              int64_t &out) {
    const Json *value = member(object, path, key);
    return value && asInt(*value, join(path, key), out);
  }
  const Json *getObject(const Json &object, const std::string &path,
                        const char *key) {
    const Json *value = member(object, path, key);
    return value && asObject(*value, join(path, key)) ? value : nullptr;
  }
  const Json *getArray(const Json &object, const std::string &path,
                       const char *key) {
    const Json *value = member(object, path, key);
    return value && asArray(*value, join(path, key)) ? value : nullptr;
  }

  /// A dtype member: a string naming a known element type.
  bool getDType(const Json &object, const std::string &path, DType &out) {
    std::string name;
    if (!getString(object, path, "dtype", name))
      return false;
    std::optional<DType> type = parseDType(name);
    if (!type)
      return fail("manifest field '" + join(path, "dtype") +
                  "' has unknown dtype '" + name +
                  "' (expected f32, bf16 or f16)");
    out = *type;
    return true;
  }

  /// A shape member: an array of integers (positivity is checked later).
  bool getShape(const Json &object, const std::string &path,
                std::vector<int64_t> &out) {
    const Json *value = getArray(object, path, "shape");
    if (!value)
      return false;
    std::string shapePath = join(path, "shape");
    for (size_t i = 0; i < value->size(); ++i) {
      int64_t dim;
      if (!asInt((*value)[i], at(shapePath, i), dim))
        return false;
      out.push_back(dim);
    }
    return true;
  }

private:
  const std::string &file;
  Error err;
};

/// The largest parameter the runtime accepts, in elements; keeps every byte
/// count far from overflow.
inline constexpr int64_t kMaxElements = int64_t(1) << 40;

/// Whether `name` is a C identifier ([A-Za-z_][A-Za-z0-9_]*).
bool isIdentifier(const std::string &name);

/// `triple` (required), `cpu` and `features` (optional) of a cpu target
/// object at `path` ("target", "model.host_target").
bool parseCpuTarget(FieldReader &reader, const Json &object,
                    const std::string &path, TargetDesc &target);

/// `form` (required) and `chunk_size` (optional) of a kernel or a model
/// entry.
bool getFormAndChunk(FieldReader &reader, const Json &value,
                     const std::string &path, KernelForm &form,
                     std::optional<int64_t> &chunkSize);

/// The manifest's `model` section (ModelManifest.cpp): parsed (`target`,
/// read before it, says which fields a cpu and a cuda model have), checked
/// against the rest of the manifest, and written back.
bool parseModel(FieldReader &reader, const Json &value, TargetKind target,
                ModelManifest &model);
bool verifyModel(FieldReader &reader, const Manifest &manifest,
                 const ModelManifest &model);
/// Fails on values JSON cannot hold (non-finite numbers).
Expected<OrderedJson> modelToJson(const ModelManifest &model, TargetKind target);

} // namespace retc::rt::manifest

#endif // RETC_RUNTIME_PACKAGE_MANIFESTREADER_H
