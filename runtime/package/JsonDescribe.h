//===- JsonDescribe.h - naming a JSON value's kind in messages -*- C++ -*-===//
//
// Internal to the runtime (the manifest and safetensors readers): the words
// their error messages use for a value of the wrong type ("a string", "an
// array", ...), and nlohmann's parse errors without their prefix. Includes
// nlohmann/json; not installed.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_JSONDESCRIBE_H
#define RETC_RUNTIME_JSONDESCRIBE_H

#include <nlohmann/json.hpp>

#include <string>

namespace retc::rt {

/// "null", "a boolean", "a string", "an array", "an object", "a fractional
/// number", "an integer".
inline std::string describeJsonKind(const nlohmann::json &value) {
  switch (value.type()) {
  case nlohmann::json::value_t::null:
    return "null";
  case nlohmann::json::value_t::boolean:
    return "a boolean";
  case nlohmann::json::value_t::string:
    return "a string";
  case nlohmann::json::value_t::array:
    return "an array";
  case nlohmann::json::value_t::object:
    return "an object";
  case nlohmann::json::value_t::number_float:
    return "a fractional number";
  case nlohmann::json::value_t::number_integer:
  case nlohmann::json::value_t::number_unsigned:
    return "an integer";
  default:
    return "an unsupported value";
  }
}

/// nlohmann's exception text without its "[json.exception.parse_error.101]
/// parse error at line 1, column 5: " prefix.
inline std::string stripJsonExceptionPrefix(const std::string &what) {
  std::string message = what;
  size_t bracket = message.find("] ");
  if (message.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos)
    message = message.substr(bracket + 2);
  size_t colon = message.find(": ");
  if (message.rfind("parse error", 0) == 0 && colon != std::string::npos)
    message = message.substr(colon + 2);
  return message;
}

} // namespace retc::rt

#endif // RETC_RUNTIME_JSONDESCRIBE_H
