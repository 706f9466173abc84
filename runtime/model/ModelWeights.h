//===- ModelWeights.h - A checkpoint's tensors against a model --*- C++ -*-===//
//
// A model package lists the weights its code reads (manifest
// `model.weights`, in ABI order). `bindWeights` matches the tensors of a
// checkpoint (a safetensors file or arrays in memory) against that list by
// name, reports every missing, extra, misnamed (with the closest manifest
// name) or misshapen tensor, and produces one 64-byte-aligned pointer per
// manifest weight in the manifest's dtype: the checkpoint's bytes where they
// already are that dtype and aligned, else an owned converted copy.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODELWEIGHTS_H
#define RETC_RUNTIME_MODELWEIGHTS_H

#include "runtime/AlignedBuffer.h"
#include "runtime/package/Package.h"
#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace retc::rt {

/// A tensor offered for a weight: where its bytes are and what they hold.
struct WeightSource {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  /// Dense row-major elements of `dtype`; must outlive the binding when
  /// used in place.
  const void *data = nullptr;
};

/// The weights in the order of `model.weights`.
struct BoundWeights {
  /// One pointer per manifest weight, 64-byte aligned.
  std::vector<const void *> pointers;
  /// The converted or realigned copies `pointers` may point into.
  std::vector<AlignedVector<uint8_t>> owned;
  /// How many weights are used in place and how many were copied.
  size_t inPlace = 0, copied = 0;
};

/// At most this many problems are listed; the rest are counted.
inline constexpr size_t kMaxWeightProblems = 20;

/// Binds `sources` to `model.weights`. `file` names the checkpoint in
/// messages. On failure the message holds one line `<file>: <problem>` per
/// problem (missing tensor, extra tensor with a "did you mean" for a close
/// missing name, wrong shape), separated by '\n', at most
/// kMaxWeightProblems of them and then a count of the rest.
Expected<BoundWeights> bindWeights(const ModelManifest &model,
                                   const std::vector<WeightSource> &sources,
                                   const std::string &file);

/// The Levenshtein distance between `a` and `b` (for name suggestions).
size_t editDistance(const std::string &a, const std::string &b);

} // namespace retc::rt

#endif // RETC_RUNTIME_MODELWEIGHTS_H
