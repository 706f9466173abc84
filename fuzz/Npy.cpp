//===- Npy.cpp - fuzzes the .npy reader -----------------------------------===//
//
// libFuzzer harness of parseNpy (runtime/Npy.h), which readNpy, and so
// every `retc-run --input`, goes through. Oracle: besides the sanitizers,
// an array that reads holds as many elements as its shape says.
//
//===----------------------------------------------------------------------===//
#include "runtime/Npy.h"

#include <cstdint>
#include <cstdlib>

using namespace retc::rt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Expected<NpyArray> array = parseNpy(data, size, "fuzz.npy");
  if (!array)
    return 0;
  uint64_t count = 1;
  for (int64_t dim : array->shape)
    count *= static_cast<uint64_t>(dim);
  if (count != array->data.size())
    std::abort();
  return 0;
}
