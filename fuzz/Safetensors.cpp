//===- Safetensors.cpp - fuzzes the safetensors reader --------------------===//
//
// libFuzzer harness of SafetensorsFile::parse (runtime/model/Safetensors.h),
// which SafetensorsFile::open, and so every model's weights, goes through.
// A file that validates has every tensor converted to f32, as
// ModelWeights does: ASan sees any tensor that reaches outside the buffer.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/Safetensors.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

using namespace retc::rt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Expected<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::parse(data, size, "fuzz.safetensors");
  if (!file)
    return 0;
  std::vector<float> values;
  for (const SafetensorsTensor &tensor : (*file)->tensors()) {
    if (tensor.numElements * dtypeSize(tensor.dtype) > size ||
        (*file)->find(tensor.name) == nullptr)
      std::abort();
    values.resize(tensor.numElements);
    convertToF32(tensor.data, values.data(), tensor.numElements, tensor.dtype);
  }
  return 0;
}
