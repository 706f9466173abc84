//===- JsonParse.h - the runtime's limits on JSON input ---------*- C++ -*-===//
//
// Internal to the runtime (the manifest and safetensors readers): what they
// check of a JSON text before and while nlohmann::json parses it, so that a
// hostile file gets a one-line error instead of a crash. nlohmann parses
// without recursion, but copying or printing a value recurses, and no
// manifest or safetensors header needs more than a few levels.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_JSONPARSE_H
#define RETC_RUNTIME_JSONPARSE_H

#include <cstddef>
#include <optional>
#include <string_view>

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

} // namespace retc::rt

#endif // RETC_RUNTIME_JSONPARSE_H
