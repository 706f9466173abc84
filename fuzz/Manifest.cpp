//===- Manifest.cpp - fuzzes the package manifest reader ------------------===//
//
// libFuzzer harness of parseManifest (runtime/package/Package.h), which
// readPackage runs on every package's manifest text. Oracle: besides the
// sanitizers, a manifest that reads and serializes (manifestToJson) must
// read back and serialize to the same text, as writePackage relies on.
//
//===----------------------------------------------------------------------===//
#include "runtime/package/Package.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

using namespace retc::rt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  Expected<Manifest> manifest = parseManifest(text, "fuzz.json");
  if (!manifest)
    return 0;
  Expected<std::string> json = manifestToJson(*manifest);
  if (!json)
    return 0; // a value JSON cannot hold, refused by the writer
  Expected<Manifest> again = parseManifest(*json, "serialized.json");
  if (!again) {
    std::fprintf(stderr,
                 "fuzz-manifest: the serialized manifest does not "
                 "read back: %s\n%s\n",
                 again.message().c_str(), json->c_str());
    std::abort();
  }
  Expected<std::string> json2 = manifestToJson(*again);
  if (!json2 || *json2 != *json) {
    std::fprintf(stderr,
                 "fuzz-manifest: the serialized manifest reads back as "
                 "another:\n%s\n--- serializes as ---\n%s\n",
                 json->c_str(), json2 ? json2->c_str() : "(error)");
    std::abort();
  }
  return 0;
}
