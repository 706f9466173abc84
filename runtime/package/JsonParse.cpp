//===- JsonParse.cpp - the runtime's limits on JSON input -------*- C++ -*-===//
//
// See JsonParse.h. Repeated keys are found through nlohmann's parser
// callback, which sees every key unescaped; the first one aborts the parse.
//
//===----------------------------------------------------------------------===//
#include "runtime/package/JsonParse.h"

#include <set>

namespace retc::rt {

using Json = nlohmann::json;

std::optional<JsonDuplicateKey>
parseJsonRefusingDuplicates(std::string_view text, Json &out) {
  // One frame per open array or object: the keys seen so far (objects), the
  // current key (objects) or the index of the current element (arrays).
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;
    size_t index = 0;
  };
  std::vector<Frame> frames;
  std::optional<JsonDuplicateKey> duplicate;
  struct Stop {}; // thrown out of the parser at the first repeated key
  auto elementDone = [&] {
    if (!frames.empty() && !frames.back().object)
      ++frames.back().index;
  };
  Json::parser_callback_t callback = [&](int, Json::parse_event_t event,
                                         Json &parsed) {
    switch (event) {
    case Json::parse_event_t::object_start:
      frames.push_back({true, {}, {}, 0});
      break;
    case Json::parse_event_t::array_start:
      frames.push_back({false, {}, {}, 0});
      break;
    case Json::parse_event_t::key: {
      Frame &frame = frames.back();
      frame.key = parsed.get<std::string>();
      if (!frame.keys.insert(frame.key).second) {
        duplicate.emplace();
        duplicate->key = frame.key;
        for (size_t i = 0; i + 1 < frames.size(); ++i)
          duplicate->path.push_back(frames[i].object
                                        ? frames[i].key
                                        : "[" + std::to_string(frames[i].index) +
                                              "]");
        throw Stop();
      }
      break;
    }
    case Json::parse_event_t::object_end:
    case Json::parse_event_t::array_end:
      frames.pop_back();
      elementDone();
      break;
    case Json::parse_event_t::value:
      elementDone();
      break;
    }
    return true;
  };
  try {
    out = Json::parse(text.begin(), text.end(), callback);
  } catch (const Stop &) {
    out = nullptr;
    return duplicate;
  }
  return std::nullopt;
}

std::string joinJsonPath(const std::vector<std::string> &path,
                         const std::string &key) {
  std::string out;
  auto append = [&](const std::string &part) {
    if (!out.empty() && part.rfind("[", 0) != 0)
      out += '.';
    out += part;
  };
  for (const std::string &part : path)
    append(part);
  append(key);
  for (char &c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return out;
}

} // namespace retc::rt
