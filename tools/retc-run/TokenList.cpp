//===- TokenList.cpp - Token id lists of retc-run -------------------------===//
//
// See TokenList.h.
//
//===----------------------------------------------------------------------===//
#include "tools/retc-run/TokenList.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace retc::run {

using namespace retc::rt;

Expected<std::vector<int64_t>> parseTokens(const std::string &text) {
  if (text.empty())
    return Error::failure("--tokens: empty list (expected ids such as "
                          "5,17,3)");
  std::vector<int64_t> tokens;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    std::string where = "--tokens: item " + std::to_string(tokens.size());
    if (item.empty())
      return Error::failure(where + " is empty (expected comma-separated "
                                    "integers such as 5,17,3)");
    bool digits = std::all_of(item.begin() + (item[0] == '-'), item.end(),
                              [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || item == "-")
      return Error::failure(where + " is '" + item + "', not an integer");
    errno = 0;
    long long value = std::strtoll(item.c_str(), nullptr, 10);
    if (errno == ERANGE)
      return Error::failure(where + " is '" + item + "', out of range");
    tokens.push_back(value);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return tokens;
}

} // namespace retc::run
