//===- PackageWriter.cpp - a compiled kernel into a package file ----------===//
//
// See PackageWriter.h.
//
//===----------------------------------------------------------------------===//
#include "tools/retc/PackageWriter.h"

#include "frontend/ModelBuilder.h"
#include "runtime/KernelABI.h"
#include "runtime/package/CompiledFor.h"

using namespace mlir;
using namespace mlir::retention;
namespace rt = retc::rt;

static rt::DType toDType(retc::frontend::WeightType t) {
  switch (t) {
  case retc::frontend::WeightType::F32:
    return rt::DType::F32;
  case retc::frontend::WeightType::BF16:
    return rt::DType::BF16;
  case retc::frontend::WeightType::F16:
    return rt::DType::F16;
  }
  return rt::DType::F32;
}

static rt::DType toDType(Type t) {
  if (t.isBF16())
    return rt::DType::BF16;
  if (t.isF16())
    return rt::DType::F16;
  return rt::DType::F32;
}

/// The kernel's manifest entry: everything but where its code lives.
static rt::KernelDesc describeKernel(const KernelSpec &spec, RetentionForm form,
                                     int64_t chunkSize) {
  const RetentionShape &s = spec.shape;
  rt::KernelDesc kernel;
  kernel.name = kKernelName.str();
  kernel.entry = kKernelName.str();
  kernel.form = *rt::parseForm(stringifyRetentionForm(form).str());
  if (form == RetentionForm::Chunkwise)
    kernel.chunkSize = std::min(chunkSize, s.T);
  kernel.dtype = toDType(spec.elementType);
  kernel.shape = {s.B, s.T, s.H, s.K, s.V};
  for (double g : spec.decay.getGammas(s.H))
    kernel.decay.push_back(g);
  kernel.scale = spec.scale ? *spec.scale : 1.0 / std::sqrt(double(s.K));
  auto param = [&](const char *name, rt::ParamRole role, rt::DType dtype,
                   std::vector<int64_t> shape) {
    kernel.params.push_back({name, role, dtype, std::move(shape)});
  };
  param("q", rt::ParamRole::Input, kernel.dtype, {s.B, s.T, s.H, s.K});
  param("k", rt::ParamRole::Input, kernel.dtype, {s.B, s.T, s.H, s.K});
  param("v", rt::ParamRole::Input, kernel.dtype, {s.B, s.T, s.H, s.V});
  if (spec.initialState)
    param("s0", rt::ParamRole::Input, rt::DType::F32, {s.B, s.H, s.K, s.V});
  param("o", rt::ParamRole::Output, kernel.dtype, {s.B, s.T, s.H, s.V});
  param("state", rt::ParamRole::Output, rt::DType::F32, {s.B, s.H, s.K, s.V});
  return kernel;
}

/// A manifest for `target` holding `kernel`, its code in the blob `blobName`
/// of `format`.
static rt::Manifest oneKernel(rt::TargetDesc target, rt::KernelDesc kernel,
                              const char *blobName, rt::BlobFormat format) {
  rt::Manifest manifest;
  manifest.producer = "retc 0.1.0";
  manifest.target = std::move(target);
  kernel.blob = blobName;
  manifest.kernels.push_back(std::move(kernel));
  rt::BlobDesc blob;
  blob.name = blobName;
  blob.format = format;
  manifest.blobs.push_back(blob);
  return manifest;
}

/// The linear kernel's manifest entry: everything but where its code lives.
static rt::KernelDesc describeLinearKernel(const LinearSpec &spec) {
  const LinearShape &s = spec.shape;
  rt::KernelDesc kernel;
  kernel.name = kLinearKernelName.str();
  kernel.entry = kLinearKernelName.str();
  kernel.kind = rt::KernelKind::Linear;
  kernel.dtype = toDType(spec.elementType);
  kernel.linear = {s.M, s.N, s.K};
  auto param = [&](const char *name, rt::ParamRole role,
                   std::vector<int64_t> shape) {
    kernel.params.push_back({name, role, kernel.dtype, std::move(shape)});
  };
  param("x", rt::ParamRole::Input, {s.M, s.K});
  param("weight", rt::ParamRole::Input, {s.N, s.K});
  if (spec.residual)
    param("residual", rt::ParamRole::Input, {s.M, s.N});
  param("y", rt::ParamRole::Output, {s.M, s.N});
  return kernel;
}

static rt::TargetDesc cpuTarget(const CpuTarget &target) {
  rt::TargetDesc desc;
  desc.kind = rt::TargetKind::Cpu;
  desc.triple = target.triple;
  desc.cpu = target.cpu;
  desc.features = target.features;
  return desc;
}

/// The kernel's launches as the manifest lists them: one launch of its own
/// entry as `launch`, several as `launches` with the workspace they share.
static void describeLaunches(rt::KernelDesc &kernel,
                             const GpuLaunches &launches) {
  for (const GpuLaunch &launch : launches.launches) {
    rt::LaunchConfig config;
    config.entry = launch.entry;
    for (int i = 0; i < 3; ++i) {
      config.grid[i] = launch.grid[i];
      config.block[i] = launch.block[i];
    }
    config.sharedBytes = launch.sharedBytes; // dynamic; static tiles not counted
    kernel.launches.push_back(config);
  }
  // One launch of the kernel's own entry keeps the single-launch form.
  if (kernel.launches.size() == 1 && kernel.launches[0].entry == kernel.entry) {
    kernel.launch = kernel.launches[0];
    kernel.launch->entry.clear();
    kernel.launches.clear();
  }
  kernel.workspaceBytes = launches.workspaceBytes;
}

static rt::Manifest oneGpuKernel(const GpuTargetInfo &gpu,
                                 rt::KernelDesc kernel,
                                 const GpuLaunches &launches, bool isPtx) {
  rt::TargetDesc target;
  target.kind = rt::TargetKind::Cuda;
  target.arch = gpu.name.str();
  describeLaunches(kernel, launches);
  if (isPtx)
    return oneKernel(std::move(target), std::move(kernel), "kernel.ptx",
                     rt::BlobFormat::Ptx);
  return oneKernel(std::move(target), std::move(kernel), "kernel.cubin",
                   rt::BlobFormat::Cubin);
}

rt::Manifest mlir::retention::describeKernelPackage(const KernelSpec &spec,
                                                    RetentionForm form,
                                                    int64_t chunkSize,
                                                    const CpuTarget &target) {
  return oneKernel(cpuTarget(target), describeKernel(spec, form, chunkSize),
                   "kernel.so", rt::BlobFormat::ElfSharedObject);
}

rt::Manifest mlir::retention::describeGpuKernelPackage(
    const KernelSpec &spec, RetentionForm form, GpuScheduleAttr schedule,
    const GpuTargetInfo &gpu, const GpuLaunches &launches, bool isPtx) {
  rt::KernelDesc kernel = describeKernel(spec, form, schedule.getChunk());
  // The kernel's own chunk (on tensor cores a chunk longer than T is T
  // padded to 16 rows).
  if (form == RetentionForm::Chunkwise)
    kernel.chunkSize = schedule.getChunk();
  return oneGpuKernel(gpu, std::move(kernel), launches, isPtx);
}

rt::Manifest
mlir::retention::describeLinearKernelPackage(const LinearSpec &spec,
                                             const CpuTarget &target) {
  return oneKernel(cpuTarget(target), describeLinearKernel(spec), "kernel.so",
                   rt::BlobFormat::ElfSharedObject);
}

rt::Manifest mlir::retention::describeGpuLinearKernelPackage(
    const LinearSpec &spec, const GpuTargetInfo &gpu,
    const GpuLaunches &launches, bool isPtx) {
  return oneGpuKernel(gpu, describeLinearKernel(spec), launches, isPtx);
}

/// The model section both targets share: config, weights, state and entry
/// points (symbols `<prefix><name>`), its code in `blob`.
static rt::ModelManifest describeModel(const retc::frontend::ModelConfig &config,
                                       int64_t chunkSize, int64_t maxBatch,
                                       bool packedPrefill,
                                       llvm::StringRef blob,
                                       llvm::StringRef symbolPrefix) {
  rt::ModelManifest model;
  model.blob = blob.str();
  rt::ModelConfigDesc &c = model.config;
  c.name = config.name;
  c.hiddenSize = config.hiddenSize;
  c.numLayers = config.numLayers;
  c.numHeads = config.numHeads;
  c.numKVHeads = config.numKVHeads;
  c.headKDim = config.headKDim;
  c.headVDim = config.headVDim;
  c.intermediateSize = config.intermediateSize;
  c.vocabSize = config.vocabSize;
  c.normEps = config.normEps;
  c.rotaryBase = config.rotaryBase;
  c.rotaryLayout = retc::frontend::stringify(config.rotaryLayout).str();
  c.tieWordEmbeddings = config.tieWordEmbeddings;
  c.useOutputGate = config.useOutputGate;
  c.decay = config.gammas();
  for (const retc::frontend::WeightInfo &w :
       retc::frontend::listWeights(config))
    model.weights.push_back({w.name, toDType(w.type), w.shape});
  model.stateShape = {config.numLayers, config.numHeads, config.headKDim,
                      config.headVDim};
  std::vector<retc::frontend::EntryPoint> entries(
      retc::frontend::entryPoints().begin(),
      retc::frontend::entryPoints().end());
  if (maxBatch > 0)
    entries.push_back(retc::frontend::decodeBatchEntry());
  if (maxBatch > 0 && packedPrefill)
    entries.push_back(retc::frontend::prefillBatchEntry());
  model.maxBatch = maxBatch;
  for (const retc::frontend::EntryPoint &e : entries) {
    rt::ModelEntryDesc entry;
    entry.name = e.name.str();
    entry.symbol = symbolPrefix.str() + e.name.str();
    entry.form = *rt::parseForm(e.form.str());
    if (entry.form == rt::KernelForm::Chunkwise)
      entry.chunkSize = chunkSize;
    model.entries.push_back(std::move(entry));
  }
  return model;
}

rt::Manifest
mlir::retention::describeModelPackage(const retc::frontend::ModelConfig &config,
                                      int64_t chunkSize, int64_t maxBatch,
                                      const CpuTarget &target) {
  rt::Manifest manifest;
  manifest.producer = "retc 0.1.0";
  manifest.target = cpuTarget(target);
  manifest.model =
      describeModel(config, chunkSize, maxBatch, /*packedPrefill=*/true,
                    "model.so",
                    RETC_MODEL_ENTRY_PREFIX);
  rt::BlobDesc blob;
  blob.name = "model.so";
  blob.format = rt::BlobFormat::ElfSharedObject;
  manifest.blobs.push_back(blob);
  return manifest;
}

rt::Manifest mlir::retention::describeGpuModelPackage(
    const retc::frontend::ModelConfig &config, int64_t chunkSize,
    const GpuTargetInfo &gpu, const CpuTarget &host,
    const std::vector<rt::ModelKernelDesc> &kernels, int64_t maxTokens,
    int64_t maxBatch, int64_t arenaBytes, bool isPtx) {
  rt::Manifest manifest;
  manifest.producer = "retc 0.1.0";
  manifest.target.kind = rt::TargetKind::Cuda;
  manifest.target.arch = gpu.name.str();
  rt::ModelManifest model =
      describeModel(config, chunkSize, maxBatch, /*packedPrefill=*/false,
                    "model-host.so",
                    RETC_GPU_MODEL_ENTRY_PREFIX);
  model.hostTarget = cpuTarget(host);
  model.kernelsBlob = isPtx ? "model.ptx" : "model.cubin";
  model.kernels = kernels;
  model.maxTokens = maxTokens;
  model.arenaBytes = arenaBytes;

  rt::BlobDesc hostBlob;
  hostBlob.name = model.blob;
  hostBlob.format = rt::BlobFormat::ElfSharedObject;
  manifest.blobs.push_back(hostBlob);
  rt::BlobDesc kernelsBlob;
  kernelsBlob.name = model.kernelsBlob;
  kernelsBlob.format = isPtx ? rt::BlobFormat::Ptx : rt::BlobFormat::Cubin;
  manifest.blobs.push_back(kernelsBlob);
  manifest.model = std::move(model);
  return manifest;
}

std::string mlir::retention::compiledForText(const rt::Manifest &manifest,
                                             llvm::StringRef blob) {
  return rt::describeCompiledFor(
      manifest, blob.empty() ? manifest.blobs.front().name : blob.str());
}

llvm::Error mlir::retention::writePackageFile(llvm::StringRef path,
                                              const rt::Manifest &manifest,
                                              llvm::StringRef code,
                                              llvm::StringRef secondCode) {
  rt::BlobMap blobs;
  blobs[manifest.blobs.front().name] =
      std::vector<uint8_t>(code.bytes_begin(), code.bytes_end());
  if (manifest.blobs.size() > 1)
    blobs[manifest.blobs[1].name] =
        std::vector<uint8_t>(secondCode.bytes_begin(), secondCode.bytes_end());
  if (rt::Error err = rt::writePackage(path.str(), manifest, blobs))
    return llvm::createStringError(err.message());
  return llvm::Error::success();
}
