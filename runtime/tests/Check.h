//===- Check.h - The runtime unit checks' CHECK macro -----------*- C++ -*-===//
//
// A minimal self-checking harness shared by the files of retc-runtime-tests:
// CHECK(cond, fmt, ...) counts a check and prints one line if it fails.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_TESTS_CHECK_H
#define RETC_RUNTIME_TESTS_CHECK_H

#include "runtime/package/Package.h"

#include <cstdio>
#include <string>
#include <vector>

namespace retc::rt::test {
inline int failures = 0;
inline int checks = 0;

/// The groups of checks in CudaTests.cpp (CUDA error formatting, the cuda
/// manifest, architecture rules, the driver loader) and CpuFeaturesTests
/// (feature parsing and the override hook); `dir` is a scratch directory.
void testCuda(const std::string &dir);
void testCpuFeatures();
/// ModelTests.cpp: safetensors, the manifest model section, weight binding,
/// Model::open up to loading code, SequenceState files, the C API.
void testModel(const std::string &dir);
/// True where CudaDeclsCheck.cpp was compiled against the toolkit's cuda.h.
bool cudaDeclsChecked();
/// GpuModelTests.cpp: the manifest of a cuda model (every field and each
/// bad one), the records of its two blobs, launch requests and copies, and
/// Model::open up to the GPU.
void testGpuModel(const std::string &dir);

/// ModelTests.cpp: the weight list of the model contract for `c` (every
/// weight f32), and a small cpu model manifest (2 layers, hidden 16, vocab
/// 50; no blobs).
std::vector<WeightDesc> contractWeights(const ModelConfigDesc &c);
Manifest modelManifest();

inline bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}
/// Replaces the first `from` in `text` by `to`; false if absent.
inline bool replaceOnce(std::string &text, const std::string &from,
                        const std::string &to) {
  size_t at = text.find(from);
  if (at == std::string::npos)
    return false;
  text.replace(at, from.size(), to);
  return true;
}
/// Expects the manifest JSON of `m` with `from` replaced by `to` to fail
/// parsing with a message containing `want` (ModelTests.cpp).
void expectBadManifestJson(const Manifest &m, const char *label,
                           const std::string &from, const std::string &to,
                           const std::string &want);
} // namespace retc::rt::test

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    ++::retc::rt::test::checks;                                                \
    if (!(cond)) {                                                             \
      ++::retc::rt::test::failures;                                            \
      std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);              \
      std::printf(__VA_ARGS__);                                                \
      std::printf("\n");                                                       \
    }                                                                          \
  } while (0)

#endif // RETC_RUNTIME_TESTS_CHECK_H
