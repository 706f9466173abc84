//===- JsonParse.h - the runtime's limits on JSON input ---------*- C++ -*-===//
//
// Internal to the runtime (the manifest and safetensors readers): what they
// check of a JSON text before and while nlohmann::json parses it, so that a
// hostile or ambiguous file gets a one-line error instead of a crash or a
// silent choice. nlohmann parses without recursion, but copying or printing
// a value recurses, and no manifest or safetensors header needs more than a
// few levels. Includes nlohmann/json; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_JSONPARSE_H
#define RETC_RUNTIME_JSONPARSE_H

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retc::rt {

/// The deepest nesting of arrays and objects the runtime's JSON readers
/// accept; the outermost value is level 1 (docs/package-format.md).
constexpr size_t kMaxJsonDepth = 256;

/// The offset (from 0) of the first '[' or '{' in `text` that opens a level
/// deeper than `maxDepth`, or nullopt. A scan of the brackets outside
/// strings, run before the parser: it needs no stack of its own, and a text
/// that is invalid JSON anyway may be refused for its depth instead.
inline std::optional<size_t>
findJsonNestingBeyond(std::string_view text, size_t maxDepth = kMaxJsonDepth) {
  size_t depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i; // the escaped character cannot end the string
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxDepth)
        return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

/// What is wrong with a text whose bracket at `offset` (from
/// findJsonNestingBeyond) opens a level too deep, for a message that names
/// the text first: "nests arrays and objects more than 256 levels deep
/// (byte B opens level 257)", bytes counted from 1 as in the parser's
/// messages.
inline std::string describeJsonNestingAt(size_t offset) {
  return "nests arrays and objects more than " + std::to_string(kMaxJsonDepth) +
         " levels deep (byte " + std::to_string(offset + 1) + " opens level " +
         std::to_string(kMaxJsonDepth + 1) + ")";
}

/// A key given twice in one object of a JSON text.
struct JsonDuplicateKey {
  /// The key, unescaped.
  std::string key;
  /// Where the object is: from the outermost value, the key or the array
  /// index ("[3]") of each value on the way; empty for the outermost.
  std::vector<std::string> path;
};

/// Parses `text` into `out` as nlohmann::json::parse does (throwing its
/// exceptions on invalid JSON), but refuses a key given twice in one object,
/// comparing keys after unescaping ("a" and "\u0061" are one key): returns
/// the first such key, and `out` is then null. (nlohmann, like most JSON
/// readers, keeps the last of repeated keys silently.)
std::optional<JsonDuplicateKey>
parseJsonRefusingDuplicates(std::string_view text, nlohmann::json &out);

/// `path` and then `key` as a manifest names fields, `kernels[0].name`, with
/// control characters shown as '?' so that a message stays on one line.
std::string joinJsonPath(const std::vector<std::string> &path,
                         const std::string &key);

} // namespace retc::rt

#endif // RETC_RUNTIME_JSONPARSE_H
