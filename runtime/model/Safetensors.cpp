//===- Safetensors.cpp - Read-only access to .safetensors files -*- C++ -*-===//
//
// See Safetensors.h. The file is mapped with mmap(PROT_READ, MAP_PRIVATE) and
// stays mapped for the object's lifetime; the header is parsed with
// nlohmann::json, whose exceptions are caught here.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/Safetensors.h"

#include "runtime/package/Package.h"

#include "runtime/package/JsonDescribe.h"
#include "runtime/package/JsonParse.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <tuple>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace retc::rt {

using Json = nlohmann::json;

const char *safetensorsDTypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "F32";
  case DType::BF16:
    return "BF16";
  case DType::F16:
    return "F16";
  }
  return "?";
}

namespace {

/// The safetensors dtype spellings that are known but not supported.
constexpr const char *kOtherDTypes[] = {
    "F64",     "I64",     "U64",     "I32",  "U32",     "I16",
    "U16",     "I8",      "U8",      "BOOL", "F8_E4M3", "F8_E5M2",
    "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4",   "C64"};

/// "a string", "an array", ... for messages about ill-typed values.
std::string describe(const Json &value) { return describeJsonKind(value); }

/// `text` with control characters replaced, so a message stays one line.
std::string printable(const std::string &text) {
  std::string out = text;
  for (char &c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return out;
}

/// A non-negative JSON integer, or false.
bool asCount(const Json &value, uint64_t &out) {
  if (!value.is_number_integer())
    return false;
  if (!value.is_number_unsigned() && value.get<int64_t>() < 0)
    return false;
  out = value.get<uint64_t>();
  return true;
}

std::string formatRange(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

/// Removes nlohmann's "[json.exception.parse_error.101] parse error at ..."
/// prefix and keeps the message on one line.
std::string cleanJsonMessage(const std::string &what) {
  return printable(stripJsonExceptionPrefix(what));
}

/// A repeated key of the header, by what it repeats: a tensor, a metadata
/// entry or a field of a tensor's entry.
std::string describeDuplicate(const JsonDuplicateKey &duplicate) {
  const std::vector<std::string> &path = duplicate.path;
  if (path.empty() && duplicate.key == "__metadata__")
    return "'__metadata__' is given twice";
  if (path.empty())
    return "header lists tensor '" + printable(duplicate.key) + "' twice";
  if (path.front() == "__metadata__")
    return "'__metadata__' entry '" +
           joinJsonPath({path.begin() + 1, path.end()}, duplicate.key) +
           "' is given twice";
  return "tensor '" + printable(path.front()) + "': '" +
         joinJsonPath({path.begin() + 1, path.end()}, duplicate.key) +
         "' is given twice";
}

/// Validates one tensor entry of the header; `dataSize` is the size of the
/// data section.
Expected<SafetensorsTensor> parseTensor(const std::string &file,
                                        const std::string &name,
                                        const Json &value, uint64_t dataSize) {
  std::string where = "tensor '" + printable(name) + "'";
  auto fail = [&](const std::string &problem) {
    return Error::atFile(file, where + ": " + problem);
  };
  if (!value.is_object())
    return fail("must be an object, not " + describe(value));
  SafetensorsTensor tensor;
  tensor.name = name;

  auto dtype = value.find("dtype");
  if (dtype == value.end())
    return fail("missing 'dtype'");
  if (!dtype->is_string())
    return fail("'dtype' must be a string, not " + describe(*dtype));
  std::string dtypeText = dtype->get<std::string>();
  bool found = false;
  for (DType type : {DType::F32, DType::BF16, DType::F16})
    if (dtypeText == safetensorsDTypeName(type)) {
      tensor.dtype = type;
      found = true;
    }
  if (!found) {
    bool known =
        std::any_of(std::begin(kOtherDTypes), std::end(kOtherDTypes),
                    [&](const char *other) { return dtypeText == other; });
    return fail(std::string(known ? "dtype " : "unknown dtype ") + "'" +
                printable(dtypeText) +
                "' is not supported (expected F32, BF16 or F16)");
  }

  auto shape = value.find("shape");
  if (shape == value.end())
    return fail("missing 'shape'");
  if (!shape->is_array())
    return fail("'shape' must be an array, not " + describe(*shape));
  uint64_t elements = 1;
  bool overflow = false;
  for (size_t i = 0; i < shape->size(); ++i) {
    uint64_t dim;
    const Json &item = (*shape)[i];
    if (!asCount(item, dim) || dim > uint64_t(INT64_MAX))
      return fail("shape[" + std::to_string(i) +
                  "] must be a non-negative integer, not " +
                  (item.is_number() ? item.dump() : describe(item)));
    tensor.shape.push_back(static_cast<int64_t>(dim));
    overflow = overflow || __builtin_mul_overflow(elements, dim, &elements);
  }
  uint64_t needed = 0;
  if (overflow ||
      __builtin_mul_overflow(elements, dtypeSize(tensor.dtype), &needed))
    return fail("shape " + formatShape(tensor.shape) +
                " has too many elements");
  tensor.numElements = elements;

  auto offsets = value.find("data_offsets");
  if (offsets == value.end())
    return fail("missing 'data_offsets'");
  if (!offsets->is_array() || offsets->size() != 2 ||
      !asCount((*offsets)[0], tensor.begin) ||
      !asCount((*offsets)[1], tensor.end))
    return fail("'data_offsets' must be [begin, end], two non-negative "
                "integers, not " +
                printable(offsets->dump()));
  std::string range = formatRange(tensor.begin, tensor.end);
  if (tensor.begin > tensor.end)
    return fail("data_offsets " + range + " end before they begin");
  if (tensor.end > dataSize)
    return fail("data_offsets " + range + " extend past the data section (" +
                std::to_string(dataSize) + " bytes)");
  uint64_t held = tensor.end - tensor.begin;
  if (held != needed)
    return fail("data_offsets " + range + " hold " + std::to_string(held) +
                " bytes, but shape " + formatShape(tensor.shape) + " of " +
                dtypeText + " needs " + std::to_string(needed));
  return tensor;
}

} // namespace

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error::atFile(path,
                         std::string("cannot open: ") + std::strerror(errno));
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    int saved = errno;
    ::close(fd);
    return Error::atFile(path,
                         std::string("cannot open: ") + std::strerror(saved));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return Error::atFile(path, S_ISDIR(info.st_mode)
                                   ? "cannot open: is a directory"
                                   : "cannot open: not a regular file");
  }
  uint64_t fileSize = static_cast<uint64_t>(info.st_size);
  if (fileSize == 0) { // mmap refuses an empty mapping
    ::close(fd);
    return parse(nullptr, 0, path);
  }
  void *mapping = ::mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
  int mapErrno = errno;
  ::close(fd);
  if (mapping == MAP_FAILED)
    return Error::atFile(path,
                         std::string("cannot map: ") + std::strerror(mapErrno));
  Expected<std::unique_ptr<SafetensorsFile>> file =
      parse(static_cast<const uint8_t *>(mapping), fileSize, path);
  if (!file) {
    ::munmap(mapping, fileSize);
    return file.error();
  }
  (*file)->mapping = mapping;
  (*file)->mappingSize = fileSize;
  return file;
}

Expected<std::unique_ptr<SafetensorsFile>>
SafetensorsFile::parse(const uint8_t *bytes, size_t fileSize,
                       const std::string &path) {
  if (fileSize < 8)
    return Error::atFile(path, "truncated: " + std::to_string(fileSize) +
                                   " bytes, too short for the 8-byte header "
                                   "length");
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->filePath = path;

  uint64_t headerSize = 0;
  for (int i = 0; i < 8; ++i)
    headerSize |= static_cast<uint64_t>(bytes[i]) << (8 * i);
  if (headerSize > kMaxSafetensorsHeader)
    return Error::atFile(path, "header length " + std::to_string(headerSize) +
                                   " is more than 100 MB (not a safetensors "
                                   "file?)");
  if (headerSize > fileSize - 8)
    return Error::atFile(path, "truncated: header length " +
                                   std::to_string(headerSize) +
                                   " extends past the end of the file (" +
                                   std::to_string(fileSize) + " bytes)");
  uint64_t dataStart = 8 + headerSize;
  uint64_t dataSize = fileSize - dataStart;

  const char *text = reinterpret_cast<const char *>(bytes + 8);
  // Bounded before parsing (JsonParse.h).
  if (std::optional<size_t> deep =
          findJsonNestingBeyond(std::string_view(text, headerSize)))
    return Error::atFile(path, "header " + describeJsonNestingAt(*deep));
  Json root;
  try {
    if (std::optional<JsonDuplicateKey> duplicate =
            parseJsonRefusingDuplicates(std::string_view(text, headerSize),
                                        root))
      return Error::atFile(path, describeDuplicate(*duplicate));
  } catch (const Json::parse_error &e) {
    return Error::atFile(path, "invalid JSON in header at byte " +
                                   std::to_string(e.byte) + ": " +
                                   cleanJsonMessage(e.what()));
  } catch (const Json::exception &e) {
    return Error::atFile(path, "invalid JSON in header: " +
                                   cleanJsonMessage(e.what()));
  }
  if (!root.is_object())
    return Error::atFile(path,
                         "header must be a JSON object, not " + describe(root));

  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object())
        return Error::atFile(path, "'__metadata__' must be an object, not " +
                                       describe(*it));
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          return Error::atFile(path,
                               "'__metadata__' entry '" + printable(m.key()) +
                                   "' must be a string, not " + describe(*m));
        file->meta[m.key()] = m->get<std::string>();
      }
      continue;
    }
    Expected<SafetensorsTensor> tensor =
        parseTensor(path, it.key(), *it, dataSize);
    if (!tensor)
      return tensor.error();
    tensor->data = bytes + dataStart + tensor->begin;
    file->entries.push_back(tensor.take());
  }

  // No two tensors share a byte (empty tensors occupy none).
  std::vector<SafetensorsTensor> &tensors = file->entries;
  std::sort(tensors.begin(), tensors.end(),
            [](const SafetensorsTensor &a, const SafetensorsTensor &b) {
              return std::tie(a.begin, a.end, a.name) <
                     std::tie(b.begin, b.end, b.name);
            });
  const SafetensorsTensor *previous = nullptr;
  for (const SafetensorsTensor &tensor : tensors) {
    if (tensor.begin == tensor.end)
      continue;
    if (previous && previous->end > tensor.begin)
      return Error::atFile(
          path, "tensors '" + printable(previous->name) + "' (data_offsets " +
                    formatRange(previous->begin, previous->end) + ") and '" +
                    printable(tensor.name) + "' (data_offsets " +
                    formatRange(tensor.begin, tensor.end) + ") overlap");
    previous = &tensor;
  }
  return file;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping)
    ::munmap(mapping, mappingSize);
}

const SafetensorsTensor *SafetensorsFile::find(std::string_view name) const {
  for (const SafetensorsTensor &tensor : entries)
    if (tensor.name == name)
      return &tensor;
  return nullptr;
}

} // namespace retc::rt
