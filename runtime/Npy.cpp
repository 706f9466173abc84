//===- Npy.cpp - Read and write NumPy .npy files ----------------*- C++ -*-===//
//
// The .npy layout: the magic "\x93NUMPY", a major and a minor version byte,
// the header length (uint16 in 1.0, uint32 in 2.0 and 3.0), then a Python
// dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces to a 64-byte boundary and ended by '\n', then the data.
// The header is parsed by a small recursive-descent parser that accepts
// exactly the literals NumPy writes (strings, True/False, tuples of ints).
//
//===----------------------------------------------------------------------===//
#include "runtime/Npy.h"

#include "runtime/DType.h"
#include "runtime/FileIO.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <string_view>


namespace retc::rt {

static constexpr char kMagic[] = "\x93NUMPY";
static constexpr size_t kMagicSize = 6;

namespace {

/// One value of the header dict.
struct HeaderValue {
  enum class Kind { String, Bool, Tuple } kind = Kind::String;
  std::string text;
  bool flag = false;
  std::vector<int64_t> dims;
};

/// Parses the header's dict literal. On failure `error` says what and where.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text(text) {}

  bool parseDict(std::map<std::string, HeaderValue> &dict) {
    skipSpace();
    if (!expect('{'))
      return false;
    while (true) {
      skipSpace();
      if (peek() == '}') {
        ++pos;
        break;
      }
      std::string key;
      if (!parseString(key))
        return false;
      skipSpace();
      if (!expect(':'))
        return false;
      skipSpace();
      if (key == "descr" && peek() == '[')
        return fail("structured (record) dtypes are not supported");
      HeaderValue value;
      if (!parseValue(value))
        return false;
      if (!dict.emplace(key, std::move(value)).second)
        return fail("duplicate key '" + key + "'");
      skipSpace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      skipSpace();
      if (!expect('}'))
        return false;
      break;
    }
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the dict");
    return true;
  }

  std::string error;

private:
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }

  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool fail(const std::string &what) {
    error = what + " at header offset " + std::to_string(pos);
    return false;
  }

  bool expect(char c) {
    if (peek() != c)
      return fail(std::string("expected '") + c + "'");
    ++pos;
    return true;
  }

  bool parseString(std::string &out) {
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return fail("expected a quoted string");
    ++pos;
    while (pos < text.size() && text[pos] != quote) {
      if (text[pos] == '\\')
        return fail("escape sequences in strings are not supported");
      out += text[pos++];
    }
    if (pos == text.size())
      return fail("unterminated string");
    ++pos;
    return true;
  }

  bool parseInt(int64_t &out) {
    size_t start = pos;
    uint64_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      value = value * 10 + static_cast<uint64_t>(text[pos] - '0');
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return fail("dimension too large");
      ++pos;
    }
    if (pos == start)
      return fail("expected a non-negative integer");
    if (peek() == 'L') // Python 2 long literal.
      ++pos;
    out = static_cast<int64_t>(value);
    return true;
  }

  bool parseValue(HeaderValue &value) {
    char c = peek();
    if (c == '\'' || c == '"') {
      value.kind = HeaderValue::Kind::String;
      return parseString(value.text);
    }
    if (text.substr(pos, 4) == "True") {
      pos += 4;
      value.kind = HeaderValue::Kind::Bool;
      value.flag = true;
      return true;
    }
    if (text.substr(pos, 5) == "False") {
      pos += 5;
      value.kind = HeaderValue::Kind::Bool;
      value.flag = false;
      return true;
    }
    if (c != '(')
      return fail("expected a string, True, False or a tuple");
    ++pos;
    value.kind = HeaderValue::Kind::Tuple;
    while (true) {
      skipSpace();
      if (peek() == ')') {
        ++pos;
        return true;
      }
      int64_t dim;
      if (!parseInt(dim))
        return false;
      value.dims.push_back(dim);
      skipSpace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      return expect(')');
    }
  }

  std::string_view text;
  size_t pos = 0;
};

} // namespace


Expected<NpyArray> readNpy(const std::string &path) {
  std::vector<uint8_t> bytes;
  if (Error err = readWholeFile(path, bytes))
    return err;
  return parseNpy(bytes.data(), bytes.size(), path);
}

Expected<NpyArray> parseNpy(const uint8_t *bytes, size_t size,
                            const std::string &path) {
  if (size < kMagicSize || std::memcmp(bytes, kMagic, kMagicSize) != 0)
    return Error::atFile(path, "not a .npy file (bad magic)");
  if (size < kMagicSize + 2)
    return Error::atFile(path, "truncated .npy header");
  unsigned major = bytes[kMagicSize], minor = bytes[kMagicSize + 1];
  if (major < 1 || major > 3 || minor != 0)
    return Error::atFile(path, "unsupported .npy format version " +
                                   std::to_string(major) + "." +
                                   std::to_string(minor));

  // Header length: uint16 (1.0) or uint32 (2.0, 3.0), little-endian.
  size_t lengthSize = major == 1 ? 2 : 4;
  size_t lengthAt = kMagicSize + 2;
  if (size - lengthAt < lengthSize)
    return Error::atFile(path, "truncated .npy header");
  uint64_t headerLength = readLE(bytes + lengthAt, lengthSize);
  if (headerLength > (1u << 24))
    return Error::atFile(path, "malformed .npy header: header length " +
                                   std::to_string(headerLength) +
                                   " is implausibly large");
  size_t headerAt = lengthAt + lengthSize;
  if (size - headerAt < headerLength)
    return Error::atFile(path, "truncated .npy header");
  std::string_view header(reinterpret_cast<const char *>(bytes) + headerAt,
                          headerLength);

  std::map<std::string, HeaderValue> dict;
  HeaderParser parser(header);
  if (!parser.parseDict(dict))
    return Error::atFile(path, "malformed .npy header: " + parser.error);
  auto field = [&](const char *key,
                   HeaderValue::Kind kind) -> const HeaderValue * {
    auto it = dict.find(key);
    return it != dict.end() && it->second.kind == kind ? &it->second : nullptr;
  };
  const HeaderValue *descr = field("descr", HeaderValue::Kind::String);
  const HeaderValue *fortran = field("fortran_order", HeaderValue::Kind::Bool);
  const HeaderValue *shape = field("shape", HeaderValue::Kind::Tuple);
  if (!descr || !fortran || !shape || dict.size() != 3)
    return Error::atFile(path, "malformed .npy header: expected exactly the "
                               "keys 'descr' (string), 'fortran_order' "
                               "(bool) and 'shape' (tuple)");
  if (fortran->flag)
    return Error::atFile(path, "Fortran-order arrays are not supported (save "
                               "a C-order array, e.g. np.ascontiguousarray)");

  const std::string &type = descr->text;
  if (!type.empty() && type[0] == '>')
    return Error::atFile(path, "big-endian data ('" + type +
                                   "') is not supported; convert with "
                                   "astype('<f4')");
  size_t elementSize = 0;
  if (type == "<f4")
    elementSize = 4;
  else if (type == "<f2")
    elementSize = 2;
  else if (type == "<f8")
    elementSize = 8;
  else
    return Error::atFile(path, "unsupported dtype '" + type +
                                   "' (expected float32 '<f4', float16 "
                                   "'<f2' or float64 '<f8')");

  // Element count, guarding against overflow.
  uint64_t count = 1;
  for (int64_t dim : shape->dims) {
    if (dim != 0 && count > (std::numeric_limits<uint64_t>::max() >> 4) /
                                static_cast<uint64_t>(dim))
      return Error::atFile(path, "malformed .npy header: shape too large");
    count *= static_cast<uint64_t>(dim);
  }
  uint64_t dataSize = count * elementSize;
  if (dataSize > static_cast<uint64_t>(std::numeric_limits<size_t>::max()) / 2)
    return Error::atFile(path, "malformed .npy header: shape too large");

  // Exactly the data, nothing after it.
  const uint8_t *raw = bytes + headerAt + headerLength;
  uint64_t found = size - headerAt - headerLength;
  if (found < dataSize)
    return Error::atFile(path,
                         "truncated: expected " + std::to_string(dataSize) +
                             " bytes of data, found " + std::to_string(found));
  if (found > dataSize)
    return Error::atFile(path, "expected " + std::to_string(dataSize) +
                                   " bytes of data, found " +
                                   std::to_string(found) +
                                   " (trailing bytes after the array)");

  NpyArray array;
  array.shape = shape->dims;
  array.descr = type;
  array.data.resize(count);
  if (elementSize == 4) {
    convertToF32(raw, array.data.data(), count, DType::F32);
  } else if (elementSize == 2) {
    convertToF32(raw, array.data.data(), count, DType::F16);
  } else {
    for (size_t i = 0; i < count; ++i) {
      double value;
      std::memcpy(&value, raw + 8 * i, sizeof(value));
      array.data[i] = static_cast<float>(value);
    }
  }
  return array;
}

Error writeNpy(const std::string &path, const std::vector<int64_t> &shape,
               const float *data) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
  uint64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dict += (i ? ", " : "") + std::to_string(shape[i]);
    count *= static_cast<uint64_t>(shape[i]);
  }
  dict += shape.size() == 1 ? ",), }" : "), }";

  // Pad with spaces so that the data starts on a 64-byte boundary and the
  // header ends with '\n'; use version 2.0 if the header needs > 65535 bytes.
  unsigned major = 1;
  size_t prefixSize = kMagicSize + 2 + 2;
  size_t total = (prefixSize + dict.size() + 1 + 63) / 64 * 64;
  if (total - prefixSize > 0xffff) {
    major = 2;
    prefixSize += 2;
    total = (prefixSize + dict.size() + 1 + 63) / 64 * 64;
  }
  size_t headerLength = total - prefixSize;
  dict.append(headerLength - dict.size() - 1, ' ');
  dict += '\n';

  std::string prefix(kMagic, kMagicSize);
  prefix += static_cast<char>(major);
  prefix += '\0';
  for (size_t i = 0; i < (major == 1 ? 2u : 4u); ++i)
    prefix += static_cast<char>((headerLength >> (8 * i)) & 0xff);

  errno = 0;
  FilePtr file(std::fopen(path.c_str(), "wb"));
  if (!file)
    return Error::atFile(path, std::string("cannot open for writing: ") +
                                   std::strerror(errno ? errno : EIO));
  size_t dataSize = static_cast<size_t>(count) * sizeof(float);
  if (std::fwrite(prefix.data(), 1, prefix.size(), file.get()) !=
          prefix.size() ||
      std::fwrite(dict.data(), 1, dict.size(), file.get()) != dict.size() ||
      (dataSize && std::fwrite(data, 1, dataSize, file.get()) != dataSize))
    return Error::atFile(path, std::string("write failed: ") +
                                   std::strerror(errno ? errno : EIO));
  if (std::fclose(file.release()) != 0)
    return Error::atFile(path, std::string("write failed: ") +
                                   std::strerror(errno ? errno : EIO));
  return Error::success();
}

} // namespace retc::rt
