//===- Package.cpp - Reading and writing package files ----------*- C++ -*-===//
//
// The byte layout of a package: the 56-byte header of KernelABI.h, the
// manifest JSON, then the blobs at 64-byte-aligned offsets with zeros
// between them. Reading checks the header and the manifest's SHA-256,
// hands the manifest to parseManifest (Manifest.cpp), then checks that every
// blob lies inside the file, after the manifest, without overlap, that the
// bytes between them are zero and none follow the last, and that each blob
// matches its SHA-256: every byte of the file is checked before any is used.
//
//===----------------------------------------------------------------------===//
#include "runtime/package/Package.h"

#include "runtime/FileIO.h"
#include "runtime/KernelABI.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>


namespace retc::rt {

static_assert(sizeof(retc_package_header) == 56,
              "the package header is 56 bytes");
static constexpr size_t kHeaderSize = sizeof(retc_package_header);

//===----------------------------------------------------------------------===//
// Names and small helpers
//===----------------------------------------------------------------------===//

const char *kernelKindName(KernelKind kind) {
  switch (kind) {
  case KernelKind::Retention:
    return "retention";
  case KernelKind::Linear:
    return "linear";
  }
  return "?";
}

std::optional<KernelKind> parseKernelKind(std::string_view name) {
  if (name == "retention")
    return KernelKind::Retention;
  if (name == "linear")
    return KernelKind::Linear;
  return std::nullopt;
}

const char *formName(KernelForm form) {
  switch (form) {
  case KernelForm::Parallel:
    return "parallel";
  case KernelForm::Chunkwise:
    return "chunkwise";
  case KernelForm::Recurrent:
    return "recurrent";
  }
  return "?";
}

std::optional<KernelForm> parseForm(std::string_view name) {
  if (name == "parallel")
    return KernelForm::Parallel;
  if (name == "chunkwise")
    return KernelForm::Chunkwise;
  if (name == "recurrent")
    return KernelForm::Recurrent;
  return std::nullopt;
}

const char *roleName(ParamRole role) {
  return role == ParamRole::Input ? "input" : "output";
}

std::optional<ParamRole> parseRole(std::string_view name) {
  if (name == "input")
    return ParamRole::Input;
  if (name == "output")
    return ParamRole::Output;
  return std::nullopt;
}

const char *targetKindName(TargetKind kind) {
  return kind == TargetKind::Cpu ? "cpu" : "cuda";
}

std::optional<TargetKind> parseTargetKind(std::string_view name) {
  if (name == "cpu")
    return TargetKind::Cpu;
  if (name == "cuda")
    return TargetKind::Cuda;
  return std::nullopt;
}

const char *blobFormatName(BlobFormat format) {
  switch (format) {
  case BlobFormat::ElfSharedObject:
    return "elf-shared-object";
  case BlobFormat::Ptx:
    return "ptx";
  case BlobFormat::Cubin:
    return "cubin";
  }
  return "?";
}

std::optional<BlobFormat> parseBlobFormat(std::string_view name) {
  if (name == "elf-shared-object")
    return BlobFormat::ElfSharedObject;
  if (name == "ptx")
    return BlobFormat::Ptx;
  if (name == "cubin")
    return BlobFormat::Cubin;
  return std::nullopt;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "," : "") + std::to_string(shape[i]);
  return text + "]";
}

int64_t TensorParam::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

uint64_t TensorParam::byteSize() const {
  return static_cast<uint64_t>(numElements()) * dtypeSize(dtype);
}

int64_t WeightDesc::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

const ModelEntryDesc *ModelManifest::findEntry(std::string_view name) const {
  for (const ModelEntryDesc &entry : entries)
    if (entry.name == name)
      return &entry;
  return nullptr;
}

const WeightDesc *ModelManifest::findWeight(std::string_view name) const {
  for (const WeightDesc &weight : weights)
    if (weight.name == name)
      return &weight;
  return nullptr;
}

std::vector<LaunchConfig> KernelDesc::launchSequence() const {
  if (!launches.empty())
    return launches;
  std::vector<LaunchConfig> one;
  if (launch) {
    one.push_back(*launch);
    one.back().entry = entry;
  }
  return one;
}

const TensorParam *KernelDesc::findParam(std::string_view name) const {
  for (const TensorParam &param : params)
    if (param.name == name)
      return &param;
  return nullptr;
}

const KernelDesc *Manifest::findKernel(std::string_view name) const {
  for (const KernelDesc &kernel : kernels)
    if (kernel.name == name)
      return &kernel;
  return nullptr;
}

const BlobDesc *Manifest::findBlob(std::string_view name) const {
  for (const BlobDesc &blob : blobs)
    if (blob.name == name)
      return &blob;
  return nullptr;
}

static uint64_t alignUp(uint64_t value) {
  return (value + kBlobAlignment - 1) / kBlobAlignment * kBlobAlignment;
}

/// The format of blob `name`: as `manifest.blobs` gives it, else the
/// default for the target (cpu: a shared object; cuda: a cubin if the bytes
/// are ELF, PTX text otherwise).
static BlobFormat blobFormatFor(const Manifest &manifest,
                                const std::string &name,
                                const std::vector<uint8_t> &bytes) {
  if (const BlobDesc *given = manifest.findBlob(name))
    return given->format;
  if (manifest.target.kind == TargetKind::Cpu)
    return BlobFormat::ElfSharedObject;
  static const uint8_t elfMagic[4] = {0x7f, 'E', 'L', 'F'};
  bool elf = bytes.size() >= 4 && std::memcmp(bytes.data(), elfMagic, 4) == 0;
  return elf ? BlobFormat::Cubin : BlobFormat::Ptx;
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

Error writePackage(const std::string &path, const Manifest &manifest,
                   const BlobMap &blobs) {
  // The manifest's length depends on the blob offsets it lists and the
  // offsets on its length: iterate to the fixed point (two or three rounds,
  // since alignment absorbs small changes).
  Manifest layout = manifest;
  std::map<std::string, Sha256Digest> digests;
  for (const auto &[name, bytes] : blobs)
    digests[name] = sha256(bytes.data(), bytes.size());
  std::string text;
  uint64_t base = 0;
  for (int round = 0;; ++round) {
    layout.blobs.clear();
    uint64_t offset = base;
    for (const auto &[name, bytes] : blobs) {
      layout.blobs.push_back({name, offset, bytes.size(), digests[name],
                              blobFormatFor(manifest, name, bytes)});
      offset = alignUp(offset + bytes.size());
    }
    Expected<std::string> json = manifestToJson(layout);
    if (!json)
      return Error::atFile(path, json.message());
    text = json.take();
    uint64_t newBase = alignUp(kHeaderSize + text.size());
    if (newBase == base)
      break;
    if (round == 16)
      return Error::atFile(path, "internal error: package layout does not "
                                 "converge");
    base = newBase;
  }
  if (Error err = verifyManifest(layout, path))
    return err;

  std::vector<uint8_t> header;
  static const char magic[RETC_PACKAGE_MAGIC_SIZE] = RETC_PACKAGE_MAGIC;
  header.insert(header.end(), magic, magic + RETC_PACKAGE_MAGIC_SIZE);
  appendLE(header, RETC_PACKAGE_VERSION, 4);
  appendLE(header, 0, 4);
  appendLE(header, text.size(), 8);
  Sha256Digest manifestDigest = sha256(text.data(), text.size());
  header.insert(header.end(), manifestDigest.begin(), manifestDigest.end());

  return writeFileAtomically(
      path,
      [&](std::FILE *file) {
        bool ok = std::fwrite(header.data(), 1, header.size(), file) ==
                      header.size() &&
                  std::fwrite(text.data(), 1, text.size(), file) == text.size();
        uint64_t position = kHeaderSize + text.size();
        static const uint8_t zeros[kBlobAlignment] = {};
        for (const BlobDesc &blob : layout.blobs) {
          if (!ok)
            break;
          ok = std::fwrite(zeros, 1, blob.offset - position, file) ==
               blob.offset - position;
          const std::vector<uint8_t> &bytes = blobs.at(blob.name);
          ok =
              ok && (bytes.empty() || std::fwrite(bytes.data(), 1, bytes.size(),
                                                  file) == bytes.size());
          position = blob.offset + blob.size;
        }
        return ok;
      },
      SpecialOutput::WriteInPlace);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//


Expected<Package> readPackage(const std::string &path) {
  std::vector<uint8_t> bytes;
  if (Error err = readWholeFile(path, bytes))
    return err;
  return parsePackage(std::move(bytes), path);
}

Expected<Package> parsePackage(std::vector<uint8_t> fileBytes,
                               const std::string &path) {
  Package package;
  package.path = path;
  package.bytes = std::move(fileBytes);
  const std::vector<uint8_t> &bytes = package.bytes;

  // Header.
  size_t magicBytes = std::min<size_t>(bytes.size(), RETC_PACKAGE_MAGIC_SIZE);
  if (bytes.empty() ||
      std::memcmp(bytes.data(), RETC_PACKAGE_MAGIC, magicBytes) != 0)
    return Error::atFile(path, "not a retc package (bad magic)");
  if (bytes.size() < kHeaderSize)
    return Error::atFile(path, "truncated: " + std::to_string(bytes.size()) +
                                   " bytes, too short for the " +
                                   std::to_string(kHeaderSize) +
                                   "-byte package header");
  uint64_t version = readLE(bytes.data() + 8, 4);
  uint64_t flags = readLE(bytes.data() + 12, 4);
  uint64_t manifestSize = readLE(bytes.data() + 16, 8);
  if (version != RETC_PACKAGE_VERSION)
    return Error::atFile(
        path, "unsupported package version " + std::to_string(version) +
                  " (this runtime reads version " +
                  std::to_string(RETC_PACKAGE_VERSION) +
                  (version < RETC_PACKAGE_VERSION
                       ? ", whose members all carry a SHA-256; compile the "
                         "package again with this retc)"
                       : ")"));
  if (flags != 0)
    return Error::atFile(path, "unsupported package flags " +
                                   std::to_string(flags) + " (expected 0)");
  if (manifestSize > bytes.size() - kHeaderSize)
    return Error::atFile(
        path, "truncated: the manifest (" + std::to_string(manifestSize) +
                  " bytes) extends past the end of the file (" +
                  std::to_string(bytes.size()) + " bytes)");

  // Manifest: its checksum before anything in it is believed.
  std::string_view text(
      reinterpret_cast<const char *>(bytes.data()) + kHeaderSize, manifestSize);
  Sha256Digest manifestDigest = sha256(text.data(), text.size());
  if (std::memcmp(manifestDigest.data(),
                  bytes.data() + offsetof(retc_package_header, manifest_sha256),
                  manifestDigest.size()) != 0)
    return Error::atFile(path, "the manifest is corrupt (its SHA-256 does "
                               "not match the one in the package header)");
  Expected<Manifest> manifest = parseManifest(text, path);
  if (!manifest)
    return manifest.error();
  package.manifest = manifest.take();

  // Blobs: inside the file, after the manifest, disjoint, intact.
  uint64_t manifestEnd = kHeaderSize + manifestSize;
  std::vector<const BlobDesc *> byOffset;
  for (const BlobDesc &blob : package.manifest.blobs) {
    std::string range = "bytes " + std::to_string(blob.offset) + ".." +
                        std::to_string(blob.offset + blob.size);
    if (blob.offset < manifestEnd)
      return Error::atFile(path, "blob '" + blob.name + "' (" + range +
                                     ") overlaps the header or manifest");
    if (blob.offset > bytes.size() || blob.size > bytes.size() - blob.offset)
      return Error::atFile(path, "truncated: blob '" + blob.name + "' (" +
                                     range +
                                     ") extends past the end of the file (" +
                                     std::to_string(bytes.size()) + " bytes)");
    byOffset.push_back(&blob);
  }
  std::sort(byOffset.begin(), byOffset.end(),
            [](const BlobDesc *a, const BlobDesc *b) {
              return a->offset < b->offset;
            });
  for (size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i - 1]->offset + byOffset[i - 1]->size > byOffset[i]->offset)
      return Error::atFile(path, "blobs '" + byOffset[i - 1]->name + "' and '" +
                                     byOffset[i]->name + "' overlap");
  // The bytes no checksum covers: zero padding before each blob, nothing
  // after the last.
  uint64_t end = manifestEnd;
  for (const BlobDesc *blob : byOffset) {
    const uint8_t *gap = bytes.data() + end;
    if (std::any_of(gap, gap + (blob->offset - end),
                    [](uint8_t byte) { return byte != 0; }))
      return Error::atFile(path, "the padding before blob '" + blob->name +
                                     "' (bytes " + std::to_string(end) + ".." +
                                     std::to_string(blob->offset) +
                                     ") is not zero");
    end = blob->offset + blob->size;
  }
  if (bytes.size() > end)
    return Error::atFile(
        path, "trailing bytes: " + std::to_string(bytes.size() - end) +
                  " bytes follow the last blob (the file "
                  "should end at byte " +
                  std::to_string(end) + ")");
  for (const BlobDesc &blob : package.manifest.blobs) {
    Sha256Digest digest = sha256(bytes.data() + blob.offset, blob.size);
    if (digest != blob.sha256)
      return Error::atFile(path, "blob '" + blob.name +
                                     "' is corrupt (its SHA-256 does not "
                                     "match the manifest's)");
  }
  return package;
}

} // namespace retc::rt
