//===- Manifest.cpp - Manifest JSON: schema, parsing, checks ----*- C++ -*-===//
//
// The JSON side of the package format: turning manifest text into a
// `Manifest` while naming the path of any missing or ill-typed field
// (`kernels[0].params[2].shape`), the semantic checks every manifest must
// pass (`verifyManifest`), and serialization back to JSON; the `model`
// section's part is ModelManifest.cpp. nlohmann::json exceptions are caught
// here; none leaves these files.
//
//===----------------------------------------------------------------------===//
#include "runtime/package/Package.h"

#include "runtime/cuda/CudaArch.h"

#include "runtime/package/JsonParse.h"
#include "runtime/package/KernelParams.h"
#include "runtime/package/ManifestReader.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <tuple>

namespace retc::rt {

using namespace manifest;

namespace manifest {

bool isIdentifier(const std::string &name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9'))
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

bool getFormAndChunk(FieldReader &reader, const Json &value,
                     const std::string &path, KernelForm &form,
                     std::optional<int64_t> &chunkSize) {
  std::string name;
  if (!reader.getString(value, path, "form", name))
    return false;
  std::optional<KernelForm> parsed = parseForm(name);
  if (!parsed)
    return reader.fail("manifest field '" + FieldReader::join(path, "form") +
                       "' has unknown form '" + name +
                       "' (expected parallel, chunkwise or recurrent)");
  form = *parsed;
  if (const Json *chunk = reader.member(value, path, "chunk_size", false)) {
    int64_t size;
    if (!reader.asInt(*chunk, FieldReader::join(path, "chunk_size"), size))
      return false;
    chunkSize = size;
  }
  return true;
}

bool parseCpuTarget(FieldReader &reader, const Json &object,
                    const std::string &path, TargetDesc &target) {
  if (!reader.getString(object, path, "triple", target.triple))
    return false;
  if (const Json *cpu = reader.member(object, path, "cpu", false))
    if (!reader.asString(*cpu, FieldReader::join(path, "cpu"), target.cpu))
      return false;
  if (const Json *features = reader.member(object, path, "features", false))
    if (!reader.asString(*features, FieldReader::join(path, "features"),
                         target.features))
      return false;
  return true;
}

} // namespace manifest

namespace {

/// Removes nlohmann's "[json.exception.parse_error.101] parse error at line
/// 1, column 5: " prefix and keeps the message on one line.
std::string cleanParseMessage(const std::string &what) {
  std::string message = stripJsonExceptionPrefix(what);
  for (char &c : message)
    if (static_cast<unsigned char>(c) < 0x20)
      c = ' ';
  return message;
}

bool parseTarget(FieldReader &reader, const Json &root, TargetDesc &target) {
  const Json *object = reader.getObject(root, "", "target");
  if (!object)
    return false;
  std::string kind;
  if (!reader.getString(*object, "target", "kind", kind))
    return false;
  std::optional<TargetKind> parsed = parseTargetKind(kind);
  if (!parsed)
    return reader.fail(
        "manifest field 'target.kind' has unknown target kind '" + kind +
        "' (expected cpu or cuda)");
  target.kind = *parsed;
  if (target.kind == TargetKind::Cuda)
    return reader.getString(*object, "target", "arch", target.arch);
  return parseCpuTarget(reader, *object, "target", target);
}

bool parseParam(FieldReader &reader, const Json &value, const std::string &path,
                TensorParam &param) {
  if (!reader.asObject(value, path) ||
      !reader.getString(value, path, "name", param.name))
    return false;
  std::string role;
  if (!reader.getString(value, path, "role", role))
    return false;
  std::optional<ParamRole> parsedRole = parseRole(role);
  if (!parsedRole)
    return reader.fail("manifest field '" + FieldReader::join(path, "role") +
                       "' has unknown role '" + role +
                       "' (expected input or output)");
  param.role = *parsedRole;
  return reader.getDType(value, path, param.dtype) &&
         reader.getShape(value, path, param.shape);
}

/// A `[x, y, z]` member of a launch object: exactly three integers.
bool parseDims(FieldReader &reader, const Json &object, const std::string &path,
               const char *key, std::array<int64_t, 3> &out) {
  const Json *value = reader.getArray(object, path, key);
  if (!value)
    return false;
  std::string dimsPath = FieldReader::join(path, key);
  if (value->size() != 3)
    return reader.fail("manifest field '" + dimsPath +
                       "' must have 3 values (x, y, z), not " +
                       std::to_string(value->size()));
  for (size_t i = 0; i < 3; ++i)
    if (!reader.asInt((*value)[i], FieldReader::at(dimsPath, i), out[i]))
      return false;
  return true;
}

bool parseLaunch(FieldReader &reader, const Json &value,
                 const std::string &path, LaunchConfig &launch) {
  return reader.asObject(value, path) &&
         parseDims(reader, value, path, "grid", launch.grid) &&
         parseDims(reader, value, path, "block", launch.block) &&
         reader.getInt(value, path, "shared_bytes", launch.sharedBytes);
}

/// The optional `kind` of a kernel (default retention).
bool getKernelKind(FieldReader &reader, const Json &value,
                   const std::string &path, KernelKind &kind) {
  const Json *member = reader.member(value, path, "kind", /*required=*/false);
  if (!member)
    return true;
  std::string name;
  std::string where = FieldReader::join(path, "kind");
  if (!reader.asString(*member, where, name))
    return false;
  std::optional<KernelKind> parsed = parseKernelKind(name);
  if (!parsed)
    return reader.fail("manifest field '" + where + "' has unknown kernel " +
                       "kind '" + name + "' (expected retention or linear)");
  kind = *parsed;
  return true;
}

/// The fields of a retention kernel that a linear kernel does not have.
constexpr const char *kRetentionOnlyFields[] = {"form", "chunk_size", "decay",
                                                "scale"};

/// `shape`: {B, T, H, K, V} for retention, {M, N, K} for linear (positivity
/// is checked later).
bool parseKernelShape(FieldReader &reader, const Json &value,
                      const std::string &path, KernelDesc &kernel) {
  const Json *shape = reader.getObject(value, path, "shape");
  if (!shape)
    return false;
  std::string shapePath = FieldReader::join(path, "shape");
  if (kernel.kind == KernelKind::Linear) {
    LinearShape &dims = kernel.linear;
    return reader.getInt(*shape, shapePath, "M", dims.M) &&
           reader.getInt(*shape, shapePath, "N", dims.N) &&
           reader.getInt(*shape, shapePath, "K", dims.K);
  }
  RetentionShape &dims = kernel.shape;
  return reader.getInt(*shape, shapePath, "B", dims.B) &&
         reader.getInt(*shape, shapePath, "T", dims.T) &&
         reader.getInt(*shape, shapePath, "H", dims.H) &&
         reader.getInt(*shape, shapePath, "K", dims.K) &&
         reader.getInt(*shape, shapePath, "V", dims.V);
}

bool parseKernel(FieldReader &reader, const Json &value,
                 const std::string &path, KernelDesc &kernel) {
  if (!reader.asObject(value, path) ||
      !reader.getString(value, path, "name", kernel.name) ||
      !getKernelKind(reader, value, path, kernel.kind))
    return false;
  bool retention = kernel.kind == KernelKind::Retention;
  if (retention &&
      !getFormAndChunk(reader, value, path, kernel.form, kernel.chunkSize))
    return false;
  if (!retention)
    for (const char *key : kRetentionOnlyFields)
      if (reader.member(value, path, key, /*required=*/false))
        return reader.fail("manifest field '" + FieldReader::join(path, key) +
                           "' applies to retention kernels, not to a " +
                           kernelKindName(kernel.kind) + " kernel");
  if (!reader.getString(value, path, "entry", kernel.entry) ||
      !reader.getString(value, path, "blob", kernel.blob) ||
      !reader.getDType(value, path, kernel.dtype) ||
      !parseKernelShape(reader, value, path, kernel))
    return false;

  if (retention) {
    const Json *decay = reader.getArray(value, path, "decay");
    if (!decay)
      return false;
    std::string decayPath = FieldReader::join(path, "decay");
    for (size_t i = 0; i < decay->size(); ++i) {
      double gamma;
      if (!reader.asNumber((*decay)[i], FieldReader::at(decayPath, i), gamma))
        return false;
      kernel.decay.push_back(gamma);
    }
    const Json *scale = reader.member(value, path, "scale");
    if (!scale || !reader.asNumber(*scale, FieldReader::join(path, "scale"),
                                   kernel.scale))
      return false;
  }

  const Json *params = reader.getArray(value, path, "params");
  if (!params)
    return false;
  std::string paramsPath = FieldReader::join(path, "params");
  for (size_t i = 0; i < params->size(); ++i) {
    TensorParam param;
    if (!parseParam(reader, (*params)[i], FieldReader::at(paramsPath, i),
                    param))
      return false;
    kernel.params.push_back(std::move(param));
  }

  if (const Json *launch = reader.member(value, path, "launch", false)) {
    kernel.launch.emplace();
    if (!parseLaunch(reader, *launch, FieldReader::join(path, "launch"),
                     *kernel.launch))
      return false;
  }
  if (const Json *launches = reader.member(value, path, "launches", false)) {
    std::string launchesPath = FieldReader::join(path, "launches");
    if (!reader.asArray(*launches, launchesPath))
      return false;
    for (size_t i = 0; i < launches->size(); ++i) {
      std::string at = FieldReader::at(launchesPath, i);
      LaunchConfig launch;
      if (!parseLaunch(reader, (*launches)[i], at, launch) ||
          !reader.getString((*launches)[i], at, "entry", launch.entry))
        return false;
      kernel.launches.push_back(std::move(launch));
    }
  }
  if (const Json *workspace =
          reader.member(value, path, "workspace_bytes", false))
    if (!reader.asInt(*workspace, FieldReader::join(path, "workspace_bytes"),
                      kernel.workspaceBytes))
      return false;
  return true;
}

bool parseBlob(FieldReader &reader, const Json &value, const std::string &path,
               TargetKind target, BlobDesc &blob) {
  if (!reader.asObject(value, path) ||
      !reader.getString(value, path, "name", blob.name))
    return false;
  const Json *offset = reader.member(value, path, "offset");
  if (!offset ||
      !reader.asUInt(*offset, FieldReader::join(path, "offset"), blob.offset))
    return false;
  const Json *size = reader.member(value, path, "size");
  if (!size ||
      !reader.asUInt(*size, FieldReader::join(path, "size"), blob.size))
    return false;
  std::string checksum;
  if (!reader.getString(value, path, "sha256", checksum))
    return false;
  std::optional<Sha256Digest> digest = parseSha256Hex(checksum);
  if (!digest)
    return reader.fail("manifest field '" + FieldReader::join(path, "sha256") +
                       "' must be 64 lowercase hex digits, not '" + checksum +
                       "'");
  blob.sha256 = *digest;

  // Optional for CPU packages (which predate it), required for CUDA ones.
  const Json *format = reader.member(value, path, "format", false);
  if (!format) {
    if (target == TargetKind::Cuda)
      return reader.fail("manifest is missing field '" +
                         FieldReader::join(path, "format") +
                         "' (required for cuda packages: ptx or cubin)");
    blob.format = BlobFormat::ElfSharedObject;
    return true;
  }
  std::string name;
  if (!reader.asString(*format, FieldReader::join(path, "format"), name))
    return false;
  std::optional<BlobFormat> parsed = parseBlobFormat(name);
  if (!parsed)
    return reader.fail("manifest field '" + FieldReader::join(path, "format") +
                       "' has unknown format '" + name +
                       "' (expected elf-shared-object, ptx or cubin)");
  blob.format = *parsed;
  return true;
}


/// The launch configuration of a CUDA kernel: every dimension within the
/// hardware's limits, at most 1024 threads per block.
bool verifyLaunch(FieldReader &reader, const LaunchConfig &launch,
                  const std::string &path) {
  static const char *axes[] = {"x", "y", "z"};
  const int64_t gridMax[] = {(int64_t(1) << 31) - 1, 65535, 65535};
  const int64_t blockMax[] = {1024, 1024, 64};
  for (auto [key, dims, limits] :
       {std::make_tuple("grid", &launch.grid, gridMax),
        std::make_tuple("block", &launch.block, blockMax)}) {
    std::string dimsPath = FieldReader::join(path, key);
    for (size_t i = 0; i < 3; ++i) {
      int64_t dim = (*dims)[i];
      std::string at = FieldReader::at(dimsPath, i);
      if (dim <= 0)
        return reader.fail("manifest field '" + at +
                           "' must be positive, not " + std::to_string(dim));
      if (dim > limits[i])
        return reader.fail("manifest field '" + at + "' is " +
                           std::to_string(dim) + ", more than the " + axes[i] +
                           " limit " + std::to_string(limits[i]));
    }
  }
  int64_t threads = launch.block[0] * launch.block[1] * launch.block[2];
  if (threads > 1024)
    return reader.fail(
        "manifest field '" + FieldReader::join(path, "block") + "' is " +
        formatShape({launch.block.begin(), launch.block.end()}) + ": " +
        std::to_string(threads) + " threads per block, at most 1024");
  if (launch.sharedBytes < 0 || launch.sharedBytes > kMaxSharedBytes)
    return reader.fail(
        "manifest field '" + FieldReader::join(path, "shared_bytes") + "' is " +
        std::to_string(launch.sharedBytes) + ", expected 0 to " +
        std::to_string(kMaxSharedBytes) + " (227 KiB, the sm_90 limit)");
  return true;
}

bool verifyRetentionFields(FieldReader &reader, const KernelDesc &kernel,
                           const std::string &path);
bool verifyParams(FieldReader &reader, const KernelDesc &kernel,
                  const std::string &path);

bool verifyKernel(FieldReader &reader, const Manifest &manifest,
                  const KernelDesc &kernel, const std::string &path) {
  auto field = [&](const char *key) { return FieldReader::join(path, key); };
  if (kernel.name.empty())
    return reader.fail("manifest field '" + field("name") + "' is empty");
  if (!isIdentifier(kernel.entry))
    return reader.fail("manifest field '" + field("entry") + "' is '" +
                       kernel.entry + "', not a C identifier");
  const BlobDesc *blob = manifest.findBlob(kernel.blob);
  if (!blob)
    return reader.fail("manifest field '" + field("blob") + "' names blob '" +
                       kernel.blob + "', which the blob table does not list");
  bool cuda = manifest.target.kind == TargetKind::Cuda;
  bool codeFits = cuda ? blob->format != BlobFormat::ElfSharedObject
                       : blob->format == BlobFormat::ElfSharedObject;
  if (!codeFits) {
    size_t index = static_cast<size_t>(blob - manifest.blobs.data());
    return reader.fail("manifest field '" + FieldReader::at("blobs", index) +
                       ".format' is '" + blobFormatName(blob->format) +
                       "' but kernel '" + kernel.name + "' targets " +
                       targetKindName(manifest.target.kind) + " (expected " +
                       (cuda ? "ptx or cubin" : "elf-shared-object") + ")");
  }
  bool several = !kernel.launches.empty();
  if (cuda && !kernel.launch && !several)
    return reader.fail("manifest is missing field '" + field("launch") +
                       "' (required for cuda kernels)");
  if (cuda && kernel.launch && several)
    return reader.fail("manifest fields '" + field("launch") + "' and '" +
                       field("launches") + "' exclude each other");
  std::pair<const char *, bool> cudaOnly[] = {
      {"launch", bool(kernel.launch)},
      {"launches", several},
      {"workspace_bytes", kernel.workspaceBytes != 0}};
  for (auto [key, given] : cudaOnly)
    if (!cuda && given)
      return reader.fail("manifest field '" + field(key) +
                         "' is only valid for cuda kernels");
  if (kernel.launch && !verifyLaunch(reader, *kernel.launch, field("launch")))
    return false;
  for (size_t i = 0; i < kernel.launches.size(); ++i) {
    std::string at = FieldReader::at(field("launches"), i);
    if (!verifyLaunch(reader, kernel.launches[i], at))
      return false;
    if (!isIdentifier(kernel.launches[i].entry))
      return reader.fail("manifest field '" + FieldReader::join(at, "entry") +
                         "' is '" + kernel.launches[i].entry +
                         "', not a C identifier");
  }
  if (kernel.workspaceBytes < 0 ||
      kernel.workspaceBytes > (int64_t(1) << 40))
    return reader.fail("manifest field '" + field("workspace_bytes") +
                       "' is " + std::to_string(kernel.workspaceBytes) +
                       ", expected 0 to 2^40");
  if (kernel.kind == KernelKind::Linear) {
    // What a writer may have filled in by mistake (a reader refuses the
    // fields themselves).
    if (kernel.chunkSize || !kernel.decay.empty())
      return reader.fail("manifest field '" +
                         field(kernel.chunkSize ? "chunk_size" : "decay") +
                         "' applies to retention kernels, not to a linear "
                         "kernel");
    const LinearShape &s = kernel.linear;
    std::pair<const char *, int64_t> dims[] = {
        {"M", s.M}, {"N", s.N}, {"K", s.K}};
    for (auto [name, dim] : dims)
      if (dim <= 0 || dim > (int64_t(1) << 31))
        return reader.fail("manifest field '" + field("shape") + "." + name +
                           "' must be in [1, 2^31], not " +
                           std::to_string(dim));
  } else if (!verifyRetentionFields(reader, kernel, path)) {
    return false;
  }
  return verifyParams(reader, kernel, path);
}

/// A retention kernel's chunk, sizes, decay and scale.
bool verifyRetentionFields(FieldReader &reader, const KernelDesc &kernel,
                           const std::string &path) {
  auto field = [&](const char *key) { return FieldReader::join(path, key); };
  if (kernel.chunkSize && *kernel.chunkSize <= 0)
    return reader.fail("manifest field '" + field("chunk_size") +
                       "' must be positive, not " +
                       std::to_string(*kernel.chunkSize));
  if (kernel.form == KernelForm::Chunkwise && !kernel.chunkSize)
    return reader.fail("manifest is missing field '" + field("chunk_size") +
                       "' (required for the chunkwise form)");

  const RetentionShape &s = kernel.shape;
  std::pair<const char *, int64_t> dims[] = {
      {"B", s.B}, {"T", s.T}, {"H", s.H}, {"K", s.K}, {"V", s.V}};
  for (auto [name, dim] : dims)
    if (dim <= 0 || dim > (int64_t(1) << 31))
      return reader.fail("manifest field '" + field("shape") + "." + name +
                         "' must be in [1, 2^31], not " + std::to_string(dim));

  if (static_cast<int64_t>(kernel.decay.size()) != s.H)
    return reader.fail(
        "manifest field '" + field("decay") + "' has " +
        std::to_string(kernel.decay.size()) +
        " values, expected one per head (H = " + std::to_string(s.H) + ")");
  for (size_t h = 0; h < kernel.decay.size(); ++h)
    if (!(kernel.decay[h] > 0.0 && kernel.decay[h] < 1.0)) {
      char value[32];
      std::snprintf(value, sizeof(value), "%g", kernel.decay[h]);
      return reader.fail("manifest field '" +
                         FieldReader::at(field("decay"), h) + "' is " + value +
                         ", expected a value in (0, 1)");
    }
  if (!std::isfinite(kernel.scale))
    return reader.fail("manifest field '" + field("scale") +
                       "' must be a finite number");
  return true;
}

/// Parameters: the names of the kernel's kind with the right role, dtype
/// and shape (KernelParams.h); unique; inputs before outputs; every
/// required one present.
bool verifyParams(FieldReader &reader, const KernelDesc &kernel,
                  const std::string &path) {
  auto field = [&](const char *key) { return FieldReader::join(path, key); };
  std::vector<ExpectedParam> expected = expectedParams(kernel);
  std::set<std::string> seen;
  bool sawOutput = false;
  for (size_t i = 0; i < kernel.params.size(); ++i) {
    const TensorParam &param = kernel.params[i];
    std::string paramPath = FieldReader::at(field("params"), i);
    const ExpectedParam *known = nullptr;
    for (const ExpectedParam &candidate : expected)
      if (param.name == candidate.name)
        known = &candidate;
    if (!known)
      return reader.fail("manifest field '" + paramPath + ".name' is '" +
                         param.name + "', not a " +
                         kernelKindName(kernel.kind) + " parameter (" +
                         paramNames(kernel.kind) + ")");
    if (!seen.insert(param.name).second)
      return reader.fail("manifest field '" + paramPath +
                         ".name' repeats parameter '" + param.name + "'");
    if (param.role != known->role)
      return reader.fail("manifest field '" + paramPath + ".role' is '" +
                         roleName(param.role) + "' but '" + param.name +
                         "' is an " + roleName(known->role));
    if (param.role == ParamRole::Output)
      sawOutput = true;
    else if (sawOutput)
      return reader.fail("manifest field '" + paramPath + "' is input '" +
                         param.name +
                         "' after an output; inputs must come first");
    int64_t elements = 1;
    for (int64_t dim : param.shape) {
      if (dim <= 0)
        return reader.fail("manifest field '" + paramPath +
                           ".shape' has a non-positive dimension: " +
                           formatShape(param.shape));
      if (__builtin_mul_overflow(elements, dim, &elements) ||
          elements > kMaxElements)
        return reader.fail("manifest field '" + paramPath + ".shape' " +
                           formatShape(param.shape) +
                           " has too many elements (at most 2^40)");
    }
    if (param.dtype != known->dtype)
      return reader.fail("manifest field '" + paramPath + ".dtype' is '" +
                         dtypeName(param.dtype) + "' but '" + param.name +
                         "' must be " + dtypeName(known->dtype) + " (" +
                         known->dtypeReason + ")");
    if (param.shape != known->shape)
      return reader.fail("manifest field '" + paramPath + ".shape' is " +
                         formatShape(param.shape) + " but the kernel shape (" +
                         describeSizes(kernel) + ") makes '" + param.name +
                         "' " + formatShape(known->shape));
  }
  for (const ExpectedParam &candidate : expected)
    if (candidate.required && !seen.count(candidate.name))
      return reader.fail("manifest field '" + field("params") +
                         "' lacks the required parameter '" + candidate.name +
                         "'");
  return true;
}

} // namespace

Error verifyManifest(const Manifest &manifest, const std::string &file) {
  FieldReader reader(file);
  if (manifest.target.kind == TargetKind::Cuda &&
      !parseCudaArch(manifest.target.arch))
    reader.fail("manifest field 'target.arch' is '" + manifest.target.arch +
                "', expected " + supportedCudaArchs());
  if (manifest.target.kind == TargetKind::Cpu && manifest.target.triple.empty())
    reader.fail("manifest field 'target.triple' is empty");

  std::set<std::string> blobNames;
  for (size_t i = 0; i < manifest.blobs.size() && !reader.failed(); ++i) {
    const BlobDesc &blob = manifest.blobs[i];
    std::string path = FieldReader::at("blobs", i);
    if (blob.name.empty())
      reader.fail("manifest field '" + path + ".name' is empty");
    else if (!blobNames.insert(blob.name).second)
      reader.fail("manifest field '" + path + ".name' repeats blob '" +
                  blob.name + "'");
    else if (blob.offset % kBlobAlignment != 0)
      reader.fail("manifest field '" + path + ".offset' is " +
                  std::to_string(blob.offset) + ", not a multiple of " +
                  std::to_string(kBlobAlignment));
  }

  if (manifest.kernels.empty() && !manifest.model)
    reader.fail("manifest field 'kernels' is empty (allowed only in a model "
                "package, which has a 'model' section)");
  std::set<std::string> kernelNames;
  for (size_t i = 0; i < manifest.kernels.size() && !reader.failed(); ++i) {
    std::string path = FieldReader::at("kernels", i);
    if (!verifyKernel(reader, manifest, manifest.kernels[i], path))
      break;
    if (!kernelNames.insert(manifest.kernels[i].name).second)
      reader.fail("manifest field '" + path + ".name' repeats kernel '" +
                  manifest.kernels[i].name + "'");
  }
  if (manifest.model && !reader.failed())
    verifyModel(reader, manifest, *manifest.model);
  return reader.takeError();
}

Expected<Manifest> parseManifest(std::string_view text,
                                 const std::string &file) {
  // Bounded before parsing (JsonParse.h).
  if (std::optional<size_t> deep = findJsonNestingBeyond(text))
    return Error::atFile(file, "manifest " + describeJsonNestingAt(*deep));
  Json root;
  try {
    if (std::optional<JsonDuplicateKey> duplicate =
            parseJsonRefusingDuplicates(text, root))
      return Error::atFile(file, "manifest field '" +
                                     joinJsonPath(duplicate->path,
                                                  duplicate->key) +
                                     "' is given twice");
  } catch (const Json::parse_error &e) {
    return Error::atFile(file, "invalid JSON in manifest at byte " +
                                   std::to_string(e.byte) + ": " +
                                   cleanParseMessage(e.what()));
  } catch (const Json::exception &e) {
    return Error::atFile(file, "invalid JSON in manifest: " +
                                   cleanParseMessage(e.what()));
  }

  FieldReader reader(file);
  Manifest manifest;
  if (!root.is_object())
    return Error::atFile(file, "manifest must be a JSON object, not " +
                                   describeJsonKind(root));
  std::string format;
  if (reader.getString(root, "", "format", format) && format != "retc-package")
    reader.fail("manifest field 'format' is '" + format +
                "', expected 'retc-package'");
  int64_t version = 0;
  if (!reader.failed() && reader.getInt(root, "", "version", version) &&
      version != kManifestVersion)
    reader.fail("unsupported manifest version " + std::to_string(version) +
                " (this runtime reads version " +
                std::to_string(kManifestVersion) + ")");
  if (!reader.failed())
    reader.getString(root, "", "producer", manifest.producer);
  if (!reader.failed())
    parseTarget(reader, root, manifest.target);
  if (!reader.failed())
    if (const Json *kernels = reader.getArray(root, "", "kernels"))
      for (size_t i = 0; i < kernels->size() && !reader.failed(); ++i) {
        KernelDesc kernel;
        if (parseKernel(reader, (*kernels)[i], FieldReader::at("kernels", i),
                        kernel))
          manifest.kernels.push_back(std::move(kernel));
      }
  if (!reader.failed())
    if (const Json *model = reader.member(root, "", "model", false)) {
      manifest.model.emplace();
      parseModel(reader, *model, manifest.target.kind, *manifest.model);
    }
  if (!reader.failed())
    if (const Json *blobs = reader.getArray(root, "", "blobs"))
      for (size_t i = 0; i < blobs->size() && !reader.failed(); ++i) {
        BlobDesc blob;
        if (parseBlob(reader, (*blobs)[i], FieldReader::at("blobs", i),
                      manifest.target.kind, blob))
          manifest.blobs.push_back(std::move(blob));
      }
  if (reader.failed())
    return reader.takeError();
  if (Error err = verifyManifest(manifest, file))
    return err;
  return manifest;
}

Expected<std::string> manifestToJson(const Manifest &manifest) {
  OrderedJson root;
  root["format"] = "retc-package";
  root["version"] = kManifestVersion;
  root["producer"] = manifest.producer;

  const TargetDesc &target = manifest.target;
  OrderedJson targetJson;
  targetJson["kind"] = targetKindName(target.kind);
  if (target.kind == TargetKind::Cpu) {
    targetJson["triple"] = target.triple;
    targetJson["cpu"] = target.cpu;
    targetJson["features"] = target.features;
  } else {
    targetJson["arch"] = target.arch;
  }
  root["target"] = std::move(targetJson);

  OrderedJson kernels = OrderedJson::array();
  for (const KernelDesc &kernel : manifest.kernels) {
    OrderedJson k;
    bool retention = kernel.kind == KernelKind::Retention;
    k["name"] = kernel.name;
    k["kind"] = kernelKindName(kernel.kind);
    if (retention) {
      k["form"] = formName(kernel.form);
      if (kernel.chunkSize)
        k["chunk_size"] = *kernel.chunkSize;
    }
    k["entry"] = kernel.entry;
    k["blob"] = kernel.blob;
    k["dtype"] = dtypeName(kernel.dtype);
    if (retention) {
      const RetentionShape &s = kernel.shape;
      k["shape"] = {
          {"B", s.B}, {"T", s.T}, {"H", s.H}, {"K", s.K}, {"V", s.V}};
      for (double gamma : kernel.decay)
        if (!std::isfinite(gamma))
          return Error::failure("manifest: a decay value is not finite");
      if (!std::isfinite(kernel.scale))
        return Error::failure("manifest: the scale is not finite");
      k["decay"] = kernel.decay;
      k["scale"] = kernel.scale;
    } else {
      const LinearShape &s = kernel.linear;
      k["shape"] = {{"M", s.M}, {"N", s.N}, {"K", s.K}};
    }
    OrderedJson params = OrderedJson::array();
    for (const TensorParam &param : kernel.params)
      params.push_back({{"name", param.name},
                        {"role", roleName(param.role)},
                        {"dtype", dtypeName(param.dtype)},
                        {"shape", param.shape}});
    k["params"] = std::move(params);
    if (kernel.launch)
      k["launch"] = {{"grid", kernel.launch->grid},
                     {"block", kernel.launch->block},
                     {"shared_bytes", kernel.launch->sharedBytes}};
    if (!kernel.launches.empty()) {
      OrderedJson launches = OrderedJson::array();
      for (const LaunchConfig &l : kernel.launches)
        launches.push_back({{"entry", l.entry},
                            {"grid", l.grid},
                            {"block", l.block},
                            {"shared_bytes", l.sharedBytes}});
      k["launches"] = std::move(launches);
    }
    if (kernel.workspaceBytes)
      k["workspace_bytes"] = kernel.workspaceBytes;
    kernels.push_back(std::move(k));
  }
  root["kernels"] = std::move(kernels);

  if (manifest.model) {
    Expected<OrderedJson> model =
        modelToJson(*manifest.model, manifest.target.kind);
    if (!model)
      return model.error();
    root["model"] = model.take();
  }

  OrderedJson blobs = OrderedJson::array();
  for (const BlobDesc &blob : manifest.blobs) {
    blobs.push_back({{"name", blob.name},
                     {"offset", blob.offset},
                     {"size", blob.size},
                     {"sha256", toHex(blob.sha256)},
                     {"format", blobFormatName(blob.format)}});
  }
  root["blobs"] = std::move(blobs);

  try {
    return root.dump(2) + "\n";
  } catch (const OrderedJson::exception &e) {
    return Error::failure(std::string("manifest: cannot serialize: ") +
                          cleanParseMessage(e.what()));
  }
}

} // namespace retc::rt