//===- CudaTests.cpp - Unit checks of the CUDA backend, no GPU needed -*- C++
//-*-===//
//
// CUDA error formatting (with and without the driver's own names), loading
// a driver library that is missing, not a driver, or the toolkit's stub;
// the architecture rules; the cuda manifest (launch, blob formats) through
// the writer and the reader; and the CPU feature check.
//
//===----------------------------------------------------------------------===//
#include "runtime/cpu/CpuFeatures.h"
#include "runtime/cuda/CudaArch.h"
#include "runtime/cuda/CudaDriver.h"
#include "runtime/package/Package.h"
#include "runtime/tests/Check.h"

#include <cstdlib>
#include <cstring>

#include <unistd.h>

using namespace retc::rt;

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

void testErrorFormatting() {
  CHECK(formatCudaError("cuModuleLoadData", 218, cudaErrorName(218),
                        cudaErrorString(218)) ==
            "cuModuleLoadData failed: CUDA_ERROR_INVALID_PTX (a PTX JIT "
            "compilation failed)",
        "invalid ptx");
  CHECK(formatCudaError("cuInit", 12345, cudaErrorName(12345),
                        cudaErrorString(12345)) ==
            "cuInit failed: CUDA error 12345",
        "unknown code: %s",
        formatCudaError("cuInit", 12345, nullptr, nullptr).c_str());
  CHECK(formatCudaError("cuX", 1, "NAME", "two\nlines") ==
            "cuX failed: NAME (two lines)",
        "one line");

  // A driver that cannot name its errors (the stub library; or none of its
  // entry points resolved) falls back on the built-in table.
  CudaDriver none{};
  CHECK(none.errorMessage("cuMemAlloc", 2) ==
            "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)",
        "%s", none.errorMessage("cuMemAlloc", 2).c_str());
  CHECK(!none.check(0, "cuInit"), "success is not an error");
  Error err = none.check(700, "cuStreamSynchronize");
  CHECK(err && err.message() ==
                   "cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS "
                   "(an illegal memory access was encountered)",
        "%s", err.message().c_str());

  // A driver that names its errors is asked first.
  CudaDriver named{};
  named.getErrorName = [](int, const char **name) {
    *name = "CUDA_ERROR_FROM_DRIVER";
    return 0;
  };
  named.getErrorString = [](int, const char **) { return 1; };
  CHECK(named.errorMessage("cuLaunchKernel", 218) ==
            "cuLaunchKernel failed: CUDA_ERROR_FROM_DRIVER (a PTX JIT "
            "compilation failed)",
        "%s", named.errorMessage("cuLaunchKernel", 218).c_str());
}

void testDriverLoading() {
  auto missing = CudaDriver::open("/nonexistent/libcuda.so.1");
  CHECK(!missing &&
            missing.message().rfind(
                "no CUDA driver found (/nonexistent/libcuda.so.1): ", 0) == 0,
        "%s", missing.message().c_str());
  auto libc = CudaDriver::open("libc.so.6");
  CHECK(!libc && libc.message() ==
                     "CUDA driver libc.so.6 lacks cuInit (driver too old?)",
        "%s", libc.message().c_str());
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (::access(stub, R_OK) == 0) {
    auto stubbed = CudaDriver::open(stub);
    CHECK(!stubbed && stubbed.message() ==
                          "cuInit failed: CUDA_ERROR_STUB_LIBRARY (CUDA "
                          "driver is a stub library)",
          "%s", stubbed.message().c_str());
  }
}

void testArch() {
  CHECK(parseCudaArch("sm_90a") && parseCudaArch("sm_90a")->archSpecific,
        "sm_90a");
  CHECK(!parseCudaArch("sm_75") && !parseCudaArch("sm_90 ") &&
            !parseCudaArch(""),
        "unknown archs");
  const std::string a100 = "device 0 (NVIDIA A100)";
  Error err = checkCudaArch("sm_90", BlobFormat::Ptx, 8, 0, a100);
  CHECK(err && err.message() ==
                   "package targets sm_90 but device 0 (NVIDIA A100) is sm_80",
        "%s", err.message().c_str());
  CHECK(!checkCudaArch("sm_80", BlobFormat::Ptx, 9, 0, "d"), "ptx forward");
  CHECK(!checkCudaArch("sm_90", BlobFormat::Ptx, 10, 0, "d"), "ptx forward");
  CHECK(!checkCudaArch("sm_80", BlobFormat::Cubin, 8, 6, "d"), "cubin minor");
  CHECK(!checkCudaArch("sm_90a", BlobFormat::Ptx, 9, 0, "d"), "sm_90a");
  CHECK(!checkCudaArch("sm_90a", BlobFormat::Cubin, 9, 0, "d"), "sm_90a");
  err = checkCudaArch("sm_80", BlobFormat::Cubin, 9, 0, "device 1 (H)");
  CHECK(err && contains(err.message(), "package holds a cubin for sm_80, "
                                       "which device 1 (H) (sm_90) cannot "
                                       "run"),
        "%s", err.message().c_str());
  err = checkCudaArch("sm_90a", BlobFormat::Ptx, 10, 0, "device 0 (B)");
  CHECK(err && err.message() == "package targets sm_90a, which runs only on "
                                "sm_90, but device 0 (B) is sm_100",
        "%s", err.message().c_str());
  CHECK(checkCudaArch("sm_100", BlobFormat::Ptx, 10, 0, "d"), "unknown arch");
}

Manifest cudaManifest() {
  Manifest m;
  m.producer = "retc-runtime-tests";
  m.target.kind = TargetKind::Cuda;
  m.target.arch = "sm_90";
  KernelDesc k;
  k.name = "retention";
  k.form = KernelForm::Recurrent;
  k.entry = "retention";
  k.blob = "kernel.ptx";
  k.dtype = DType::F16;
  k.shape = {1, 1, 2, 64, 64};
  k.decay = {0.5, 0.75};
  k.scale = 0.125;
  k.params = {{"q", ParamRole::Input, DType::F16, {1, 1, 2, 64}},
              {"k", ParamRole::Input, DType::F16, {1, 1, 2, 64}},
              {"v", ParamRole::Input, DType::F16, {1, 1, 2, 64}},
              {"s0", ParamRole::Input, DType::F32, {1, 2, 64, 64}},
              {"o", ParamRole::Output, DType::F16, {1, 1, 2, 64}},
              {"state", ParamRole::Output, DType::F32, {1, 2, 64, 64}}};
  LaunchConfig launch;
  launch.grid = {2, 1, 1};
  launch.block = {128, 1, 1};
  launch.sharedBytes = 65536;
  k.launch = launch;
  m.kernels.push_back(k);
  return m;
}

void testManifest(const std::string &dir) {
  BlobMap blobs;
  const char ptx[] = ".version 8.0\n.target sm_90\n.address_size 64\n";
  blobs["kernel.ptx"].assign(ptx, ptx + sizeof(ptx) - 1);
  blobs["other.cubin"] = {0x7f, 'E', 'L', 'F', 2, 1, 1};

  // Round trip; formats inferred from the bytes.
  std::string path = dir + "/cuda.retpkg";
  Error err = writePackage(path, cudaManifest(), blobs);
  CHECK(!err, "%s", err.message().c_str());
  Expected<Package> pkg = readPackage(path);
  CHECK(pkg, "%s", pkg.message().c_str());
  if (pkg) {
    const KernelDesc &k = pkg->manifest.kernels[0];
    CHECK(k.launch && k.launch->grid[0] == 2 && k.launch->block[0] == 128 &&
              k.launch->sharedBytes == 65536,
          "launch round-trips");
    const BlobDesc *ptxBlob = pkg->manifest.findBlob("kernel.ptx");
    const BlobDesc *cubin = pkg->manifest.findBlob("other.cubin");
    CHECK(ptxBlob && ptxBlob->format == BlobFormat::Ptx, "ptx inferred");
    CHECK(cubin && cubin->format == BlobFormat::Cubin, "cubin inferred");
  }
  // Several launches and a workspace round-trip; the single-launch form
  // reads back as one launch of the kernel's entry.
  {
    Manifest m = cudaManifest();
    LaunchConfig one = *m.kernels[0].launch;
    m.kernels[0].launch.reset();
    for (const char *entry : {"retention_states", "retention_scan",
                              "retention"}) {
      one.entry = entry;
      m.kernels[0].launches.push_back(one);
    }
    m.kernels[0].launches[1].grid = {64, 2, 1};
    m.kernels[0].launches[1].sharedBytes = 0;
    m.kernels[0].workspaceBytes = 1 << 20;
    std::string several = dir + "/several.retpkg";
    err = writePackage(several, m, blobs);
    CHECK(!err, "%s", err.message().c_str());
    Expected<Package> read = readPackage(several);
    CHECK(read, "%s", read.message().c_str());
    if (read) {
      const KernelDesc &k = read->manifest.kernels[0];
      std::vector<LaunchConfig> seq = k.launchSequence();
      CHECK(!k.launch && seq.size() == 3 && seq[0].entry == "retention_states" &&
                seq[1].entry == "retention_scan" && seq[2].entry == "retention" &&
                seq[1].grid[0] == 64 && seq[1].grid[1] == 2 &&
                seq[1].sharedBytes == 0 && seq[2].sharedBytes == 65536 &&
                k.workspaceBytes == (1 << 20),
          "launches and workspace_bytes round-trip");
    }
    if (pkg) {
      std::vector<LaunchConfig> seq =
          pkg->manifest.kernels[0].launchSequence();
      CHECK(seq.size() == 1 && seq[0].entry == "retention" &&
                seq[0].grid[0] == 2 && pkg->manifest.kernels[0].workspaceBytes == 0,
            "a single launch is a sequence of one");
    }
    // A hand-written old manifest (one `launch`, no workspace) still parses.
    Expected<std::string> json = manifestToJson([&] {
      Manifest old = cudaManifest();
      old.blobs = {{"kernel.ptx", 64, 3, {}, BlobFormat::Ptx}};
      return old;
    }());
    CHECK(json && json->find("\"launches\"") == std::string::npos &&
              json->find("\"workspace_bytes\"") == std::string::npos &&
              json->find("\"launch\": {") != std::string::npos,
          "single-launch manifests keep the version-1 form");
  }

  // An explicit format wins over inference.
  Manifest given = cudaManifest();
  given.blobs.push_back({"other.cubin", 0, 0, {}, BlobFormat::Ptx});
  err = writePackage(dir + "/given.retpkg", given, blobs);
  Expected<Package> givenPkg = readPackage(dir + "/given.retpkg");
  CHECK(!err && givenPkg &&
            givenPkg->manifest.findBlob("other.cubin")->format ==
                BlobFormat::Ptx,
        "explicit format: %s %s", err.message().c_str(),
        givenPkg.message().c_str());

  // The writer refuses what the reader would.
  struct Case {
    void (*edit)(Manifest &);
    const char *message;
  } cases[] = {
      {[](Manifest &m) { m.kernels[0].launch.reset(); },
       "manifest is missing field 'kernels[0].launch' (required for cuda "
       "kernels)"},
      {[](Manifest &m) {
         m.kernels[0].launch->block = {64, 32, 1};
       },
       "manifest field 'kernels[0].launch.block' is [64,32,1]: 2048 threads "
       "per block, at most 1024"},
      {[](Manifest &m) { m.kernels[0].launch->grid[2] = 0; },
       "manifest field 'kernels[0].launch.grid[2]' must be positive, not 0"},
      {[](Manifest &m) { m.kernels[0].launch->sharedBytes = 232449; },
       "manifest field 'kernels[0].launch.shared_bytes' is 232449, expected "
       "0 to 232448 (227 KiB, the sm_90 limit)"},
      {[](Manifest &m) {
         LaunchConfig l = *m.kernels[0].launch;
         l.entry = "retention";
         m.kernels[0].launches = {l};
       },
       "manifest fields 'kernels[0].launch' and 'kernels[0].launches' "
       "exclude each other"},
      {[](Manifest &m) {
         LaunchConfig l = *m.kernels[0].launch;
         l.entry = "not an id";
         m.kernels[0].launch.reset();
         m.kernels[0].launches = {l};
       },
       "manifest field 'kernels[0].launches[0].entry' is 'not an id', not a "
       "C identifier"},
      {[](Manifest &m) {
         LaunchConfig l = *m.kernels[0].launch;
         l.entry = "retention";
         l.block = {2048, 1, 1};
         m.kernels[0].launch.reset();
         m.kernels[0].launches = {l};
       },
       "manifest field 'kernels[0].launches[0].block[0]' is 2048, more than "
       "the x limit 1024"},
      {[](Manifest &m) { m.kernels[0].workspaceBytes = -1; },
       "manifest field 'kernels[0].workspace_bytes' is -1, expected 0 to "
       "2^40"},
      {[](Manifest &m) { m.target.arch = "sm_86"; },
       "manifest field 'target.arch' is 'sm_86', expected sm_80, sm_90 or "
       "sm_90a"},
      {[](Manifest &m) {
         m.blobs = {{"kernel.ptx", 0, 0, {}, BlobFormat::ElfSharedObject}};
       },
       "manifest field 'blobs[0].format' is 'elf-shared-object' but kernel "
       "'retention' targets cuda (expected ptx or cubin)"},
  };
  for (const Case &c : cases) {
    Manifest m = cudaManifest();
    c.edit(m);
    err = writePackage(dir + "/bad.retpkg", m, blobs);
    CHECK(err && contains(err.message(), c.message), "%s (want %s)",
          err.message().c_str(), c.message);
  }

  // The reader names the path of an ill-formed launch.
  Expected<std::string> json = manifestToJson([&] {
    Manifest m = cudaManifest();
    m.blobs = {{"kernel.ptx", 64, 3, {}, BlobFormat::Ptx}};
    return m;
  }());
  CHECK(json, "%s", json.message().c_str());
  if (json) {
    std::string text = *json;
    size_t at = text.find("\"grid\": [");
    CHECK(at != std::string::npos, "grid in JSON");
    std::string bad = text;
    bad.replace(at, std::strlen("\"grid\""), "\"grit\"");
    Expected<Manifest> parsed = parseManifest(bad, "m.json");
    CHECK(!parsed && parsed.message() == "m.json: manifest is missing field "
                                         "'kernels[0].launch.grid'",
          "%s", parsed.message().c_str());
    Expected<Manifest> good = parseManifest(text, "m.json");
    CHECK(good, "%s", good.message().c_str());
  }
}

} // namespace

void retc::rt::test::testCuda(const std::string &dir) {
  testErrorFormatting();
  testDriverLoading();
  testArch();
  testManifest(dir);
}

void retc::rt::test::testCpuFeatures() {
#if defined(__x86_64__)
  ::unsetenv("RETC_CPU_FEATURES_OVERRIDE");
  CHECK(hostHasCpuFeature("sse2") == std::optional<bool>(true),
        "every x86-64 CPU has sse2");
  CHECK(!hostHasCpuFeature("prefer-256-bit"), "not a detectable feature");
  ::setenv("RETC_CPU_FEATURES_OVERRIDE", "+avx, avx2,fma", 1);
  CHECK(hostHasCpuFeature("avx2") == std::optional<bool>(true), "override");
  CHECK(hostHasCpuFeature("avx512f") == std::optional<bool>(false), "override");
  std::vector<std::string> missing =
      missingCpuFeatures("+avx2,+avx512f,-avx512bw,+foo,avx512dq,,+fma");
  CHECK(missing == std::vector<std::string>({"avx512f", "avx512dq"}),
        "missing: %zu", missing.size());
  ::unsetenv("RETC_CPU_FEATURES_OVERRIDE");
#endif
}
