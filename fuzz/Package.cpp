//===- Package.cpp - fuzzes the package reader ----------------------------===//
//
// libFuzzer harness of parsePackage (runtime/package/Package.h), which
// readPackage, and so `retc-run`, the C API and the benchmarks, go
// through: header, manifest, blob ranges and checksums. Oracle: besides
// the sanitizers, every blob of a package that reads lies inside it.
//
//===----------------------------------------------------------------------===//
#include "runtime/package/Package.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace retc::rt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  Expected<Package> package = parsePackage(std::move(bytes), "fuzz.retpkg");
  if (!package)
    return 0;
  for (const BlobDesc &blob : package->manifest.blobs)
    if (blob.offset > size || blob.size > size - blob.offset)
      std::abort();
  return 0;
}
