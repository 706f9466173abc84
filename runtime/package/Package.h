//===- Package.h - The retc package file format -----------------*- C++ -*-===//
//
// A package is one file: the fixed `retc_package_header` of KernelABI.h, a
// JSON manifest describing the target and every kernel (entry point, shapes,
// parameters in ABI order), then the blobs (kernel binaries) the manifest
// lists, each at a 64-byte-aligned offset. The header holds the manifest's
// SHA-256 and the manifest each blob's, so that every byte of the file is
// checked. The compiler writes packages with `writePackage`; the runtime
// reads them with `readPackage`, which validates everything before any code
// is loaded.
// docs/package-format.md is the specification.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_PACKAGE_H
#define RETC_RUNTIME_PACKAGE_H

#include "runtime/DType.h"
#include "runtime/Sha256.h"
#include "runtime/Status.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace retc::rt {

/// The manifest format version this runtime reads and writes; equal to the
/// header's RETC_PACKAGE_VERSION.
inline constexpr int64_t kManifestVersion = 2;
/// Blobs start at offsets that are multiples of this.
inline constexpr uint64_t kBlobAlignment = 64;

/// What a kernel computes (manifest `kind`; optional, default retention):
/// retention (q, k, v[, s0] -> o, state) or linear, a GEMM (x, weight[,
/// residual] -> y).
enum class KernelKind { Retention, Linear };
/// How a retention kernel computes (docs/dialect.md, "The operator, exactly").
enum class KernelForm { Parallel, Chunkwise, Recurrent };
/// Whether the kernel reads or writes a parameter.
enum class ParamRole { Input, Output };
/// What the package's kernels run on.
enum class TargetKind { Cpu, Cuda };
/// What a blob holds: a CPU shared object, CUDA PTX text or a CUDA cubin.
enum class BlobFormat { ElfSharedObject, Ptx, Cubin };

/// Manifest spellings: "retention", "linear".
const char *kernelKindName(KernelKind kind);
std::optional<KernelKind> parseKernelKind(std::string_view name);
/// Manifest spellings: "parallel", "chunkwise", "recurrent".
const char *formName(KernelForm form);
std::optional<KernelForm> parseForm(std::string_view name);
/// Manifest spellings: "input", "output".
const char *roleName(ParamRole role);
std::optional<ParamRole> parseRole(std::string_view name);
/// Manifest spellings: "cpu", "cuda".
const char *targetKindName(TargetKind kind);
std::optional<TargetKind> parseTargetKind(std::string_view name);
/// Manifest spellings: "elf-shared-object", "ptx", "cubin".
const char *blobFormatName(BlobFormat format);
std::optional<BlobFormat> parseBlobFormat(std::string_view name);

/// Formats a shape as "[2,5,3,4]".
std::string formatShape(const std::vector<int64_t> &shape);

/// The machine the kernels were compiled for.
struct TargetDesc {
  TargetKind kind = TargetKind::Cpu;
  /// cpu: the LLVM target triple, e.g. "x86_64-unknown-linux-gnu".
  std::string triple;
  /// cpu: the CPU the code was tuned for (e.g. "znver5"); may be empty.
  std::string cpu;
  /// cpu: the target features, e.g. "+avx2,+fma"; may be empty.
  std::string features;
  /// cuda: the architecture: "sm_80", "sm_90" or "sm_90a" (CudaArch.h).
  std::string arch;
};

/// One kernel parameter: a dense row-major buffer.
struct TensorParam {
  std::string name;
  ParamRole role = ParamRole::Input;
  DType dtype = DType::F32;
  /// Dimensions, outermost first; all positive.
  std::vector<int64_t> shape;

  /// The number of elements (product of `shape`).
  int64_t numElements() const;
  /// The buffer size in bytes.
  uint64_t byteSize() const;
};

/// The problem size of a retention kernel: q, k are [B,T,H,K], v is
/// [B,T,H,V], states are [B,H,K,V].
struct RetentionShape {
  int64_t B = 0, T = 0, H = 0, K = 0, V = 0;
};

/// The problem size of a linear kernel: y[M,N] = x[M,K] weight[N,K]^T
/// (+ residual[M,N]).
struct LinearShape {
  int64_t M = 0, N = 0, K = 0;
};

/// How a CUDA kernel is launched: one cuLaunchKernel with these dimensions.
struct LaunchConfig {
  /// The entry launched: in `KernelDesc::launches`, required; in
  /// `KernelDesc::launch`, empty (the kernel's `entry`).
  std::string entry;
  /// Blocks per grid, x, y, z; each >= 1 (x < 2^31, y and z <= 65535).
  std::array<int64_t, 3> grid = {1, 1, 1};
  /// Threads per block, x, y, z; each >= 1, product <= 1024.
  std::array<int64_t, 3> block = {1, 1, 1};
  /// Dynamic shared memory per block in bytes, in [0, kMaxSharedBytes].
  int64_t sharedBytes = 0;
};

/// The most dynamic shared memory a launch may ask for: 227 KiB, the sm_90
/// per-block limit (sm_80 allows 163 KiB; the device checks at launch).
inline constexpr int64_t kMaxSharedBytes = 227 * 1024;

/// One compiled kernel: a retention kernel, whose parameters are q, k, v,
/// optionally s0 (inputs), then o, state (outputs), or a linear kernel,
/// whose parameters are x, weight, optionally residual, then y
/// (KernelParams.h lists them with the shapes the sizes make).
struct KernelDesc {
  /// Unique within the package, e.g. "retention".
  std::string name;
  /// What it computes; the fields below say which kind each belongs to.
  KernelKind kind = KernelKind::Retention;
  /// retention: the computational form.
  KernelForm form = KernelForm::Chunkwise;
  /// retention: the chunk (tile) length; required for the chunkwise form.
  std::optional<int64_t> chunkSize;
  /// The entry symbol; on the CPU the blob exports
  /// `<entry>` RETC_CPU_ABI_SUFFIX with the `retc_cpu_kernel_fn` type; on
  /// CUDA the module holds the kernel (`.entry`) `<entry>` (KernelABI.h).
  std::string entry;
  /// The name of the blob holding the kernel's code.
  std::string blob;
  /// The element type of q, k, v and o (states are always f32); of a
  /// linear kernel, of every parameter.
  DType dtype = DType::F32;
  /// retention: the sizes (manifest `shape` {B, T, H, K, V}).
  RetentionShape shape;
  /// linear: the sizes (manifest `shape` {M, N, K}).
  LinearShape linear;
  /// retention: per-head decay gamma_h in (0, 1); H values.
  std::vector<double> decay;
  /// retention: the factor applied to q.
  double scale = 1.0;
  /// Parameters in ABI order: all inputs, then all outputs.
  std::vector<TensorParam> params;
  /// cuda: the launch configuration of a kernel launched once (manifest
  /// `launch`); exactly one of `launch` and `launches` is given on cuda,
  /// neither on the CPU.
  std::optional<LaunchConfig> launch;
  /// cuda: the launches of a kernel launched several times per run, in
  /// order (manifest `launches`), each naming its entry.
  std::vector<LaunchConfig> launches;
  /// cuda: bytes of scratch device memory the launches share (manifest
  /// `workspace_bytes`, default 0); when > 0 the runtime passes it as one
  /// more pointer after the parameters, to every launch, uninitialized.
  int64_t workspaceBytes = 0;

  /// The launches of one run, in order, each with its entry: `launches`, or
  /// `launch` with the kernel's `entry`.
  std::vector<LaunchConfig> launchSequence() const;

  /// The parameter named `name`, or nullptr.
  const TensorParam *findParam(std::string_view name) const;
};

/// Where a blob lies in the package file.
struct BlobDesc {
  std::string name;
  /// Byte offset from the start of the file; a multiple of kBlobAlignment.
  uint64_t offset = 0;
  uint64_t size = 0;
  /// SHA-256 of the blob's bytes.
  Sha256Digest sha256{};
  /// What the bytes are. Optional in the manifest of a CPU package
  /// (default elf-shared-object), required in a CUDA package.
  BlobFormat format = BlobFormat::ElfSharedObject;
};

/// The sizes and constants of a whole RetNet model (manifest
/// `model.config`; docs/models.md, "The model, exactly").
struct ModelConfigDesc {
  /// The model's name (optional in the manifest; informational).
  std::string name;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKVHeads = 0;
  int64_t headKDim = 0;
  int64_t headVDim = 0;
  int64_t intermediateSize = 0;
  int64_t vocabSize = 0;
  double normEps = 1e-6;
  double rotaryBase = 10000.0;
  /// "rotate_half" (x[i] with x[i + D/2]) or "interleaved" (x[2i] with
  /// x[2i+1]); optional in the manifest, default rotate_half.
  std::string rotaryLayout = "rotate_half";
  bool tieWordEmbeddings = false;
  bool useOutputGate = true;
  /// Per-head decay gamma_h in (0, 1); numHeads values.
  std::vector<double> decay;
};

/// One weight tensor of a model (manifest `model.weights[i]`).
struct WeightDesc {
  /// The checkpoint's name, e.g. "model.layers.0.attn.q_proj.weight".
  std::string name;
  DType dtype = DType::F32;
  /// Dimensions, outermost first; all positive. Linear weights are
  /// [out, in].
  std::vector<int64_t> shape;

  /// The number of elements (product of `shape`).
  int64_t numElements() const;
};

/// One entry point of a model (manifest `model.entries[i]`).
struct ModelEntryDesc {
  /// "prefill", "decode", "forward", "decode_batch" or "prefill_batch";
  /// unique within the model.
  std::string name;
  /// The exported symbol, a retc_model_entry_fn (KernelABI.h), e.g.
  /// "retc_model_prefill".
  std::string symbol;
  /// How its retention layers compute.
  KernelForm form = KernelForm::Chunkwise;
  /// The chunk length; required for the chunkwise form.
  std::optional<int64_t> chunkSize;
};

/// One kernel of a GPU model's CUDA module (manifest `model.kernels[i]`);
/// word [0] of a launch request (KernelABI.h) is its index.
struct ModelKernelDesc {
  /// The kernel's `.entry` name, a C identifier.
  std::string entry;
  /// The most dynamic shared memory a launch of it asks for, in bytes, in
  /// [0, kMaxSharedBytes]; above 48 KiB the runtime raises the kernel's
  /// limit.
  int64_t sharedBytes = 0;
};

/// The manifest's `model` section: a whole model compiled into one CPU
/// shared object whose entries follow `retc_model_entry_fn` (a cpu target),
/// or, with a cuda target, a host program (a CPU shared object whose
/// entries follow `retc_gpu_model_entry_fn`) and the CUDA module of the
/// kernels it launches. The fields marked cuda are required for a cuda
/// model and absent from a cpu one.
struct ModelManifest {
  /// The blob holding the shared object (cuda: the host program).
  std::string blob;
  ModelConfigDesc config;
  /// The weights in ABI order (the order of `retc_model_call.weights`);
  /// exactly the tensors a checkpoint must hold.
  std::vector<WeightDesc> weights;
  /// The per-sequence state: always f32, [layers, heads, head_k_dim,
  /// head_v_dim].
  DType stateDType = DType::F32;
  std::vector<int64_t> stateShape;
  /// The entry points, at least one.
  std::vector<ModelEntryDesc> entries;

  /// cuda: what the host program was compiled for (manifest
  /// `model.host_target`: triple, cpu, features as a cpu `target` has;
  /// kind is Cpu).
  std::optional<TargetDesc> hostTarget;
  /// cuda: the blob holding the CUDA module (ptx or cubin).
  std::string kernelsBlob;
  /// cuda: the module's kernels, at least one, in launch-request order.
  std::vector<ModelKernelDesc> kernels;
  /// cuda: the most tokens one call of prefill or forward takes (decode
  /// takes 1), in [1, 2^31]; longer inputs are split into several calls.
  int64_t maxTokens = 0;
  /// cuda: bytes of device scratch per call, in [0, 2^40].
  int64_t arenaBytes = 0;
  /// The most sequences one decode_batch call takes, in [0,
  /// kMaxModelBatch]; 0 (absent from the manifest): no decode_batch entry.
  /// The entry's state is a pool of that many slots, [layers, max_batch,
  /// heads, head_k_dim, head_v_dim].
  int64_t maxBatch = 0;

  /// The entry named `name` ("prefill", ...), or nullptr.
  const ModelEntryDesc *findEntry(std::string_view name) const;
  /// The weight named `name`, or nullptr.
  const WeightDesc *findWeight(std::string_view name) const;
};

/// The entry names a model may have, in the order the manifest lists them
/// (decode_batch: models compiled with a max_batch; prefill_batch: cpu
/// models compiled with a max_batch).
inline constexpr const char *kModelEntryNames[] = {
    "prefill", "decode", "forward", "decode_batch", "prefill_batch"};

/// The largest `max_batch` (a grid dimension of the batched step's kernels
/// counts the sequences).
inline constexpr int64_t kMaxModelBatch = 4096;

/// The manifest (format "retc-package", version kManifestVersion).
struct Manifest {
  /// Who wrote the package, e.g. "retc 0.1.0".
  std::string producer;
  TargetDesc target;
  /// The kernels; may be empty only when `model` is present.
  std::vector<KernelDesc> kernels;
  /// A whole model (optional; a model package).
  std::optional<ModelManifest> model;
  /// Filled in by writePackage; read from the file by readPackage.
  std::vector<BlobDesc> blobs;

  /// The kernel named `name`, or nullptr.
  const KernelDesc *findKernel(std::string_view name) const;
  /// The blob named `name`, or nullptr.
  const BlobDesc *findBlob(std::string_view name) const;
};

/// A validated package held in memory.
struct Package {
  /// The file it was read from (used in messages).
  std::string path;
  Manifest manifest;
  /// The whole file.
  std::vector<uint8_t> bytes;

  /// The bytes of `blob` (which must belong to this package's manifest).
  const uint8_t *blobData(const BlobDesc &blob) const {
    return bytes.data() + blob.offset;
  }
};

/// Blob contents by blob name.
using BlobMap = std::map<std::string, std::vector<uint8_t>>;

/// Writes a package to `path`: header (with the manifest's SHA-256),
/// `manifest` (whose `blobs` field is recomputed from `blobs`: offsets,
/// sizes, SHA-256s), then the blobs in
/// name order. Each blob's format is taken from the `manifest.blobs` entry of
/// the same name if there is one; otherwise it is elf-shared-object in a CPU
/// package and, in a CUDA package, cubin if the bytes start with the ELF
/// magic and ptx if not. Fails if the manifest would not pass `readPackage`'s
/// checks. The file is written under a temporary name and renamed into place
/// (through symbolic links, which stay links); a character device or FIFO
/// (/dev/null) is written in place; other kinds of file are refused.
Error writePackage(const std::string &path, const Manifest &manifest,
                   const BlobMap &blobs);

/// Reads and validates the package at `path`: header, the manifest's
/// SHA-256 (before it is parsed), manifest syntax and schema, consistency
/// of every kernel's parameters with its shape, blob ranges, zero padding,
/// no bytes after the last blob, and each blob's SHA-256. Every failure is
/// one line `<path>: <problem>`.
Expected<Package> readPackage(const std::string &path);

/// Reads and validates a package file's contents, `bytes`, as readPackage
/// does; `path` names it in messages and becomes the package's path.
Expected<Package> parsePackage(std::vector<uint8_t> bytes,
                               const std::string &path);

/// Serializes `manifest` (including its `blobs`) as the manifest JSON text.
/// Fails on values JSON cannot hold (non-finite numbers, invalid UTF-8).
Expected<std::string> manifestToJson(const Manifest &manifest);

/// Parses and validates manifest JSON text; `file` prefixes the messages.
/// Blob ranges and checksums are not checked (that needs the file).
Expected<Manifest> parseManifest(std::string_view json,
                                 const std::string &file);

/// Checks the semantic rules of the manifest (unique names, parameters
/// consistent with the kernel shape, blobs referenced exist, ...).
Error verifyManifest(const Manifest &manifest, const std::string &file);

} // namespace retc::rt

#endif // RETC_RUNTIME_PACKAGE_H
