//===- ModelWeights.cpp - A checkpoint's tensors against a model -*- C++
//-*-===//
//
// See ModelWeights.h. Conversions between element types go through float32
// in blocks (DType.h), so a bf16 checkpoint of any size needs no temporary
// beyond one block.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/ModelWeights.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace retc::rt {

size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// "[64,32] bf16" for messages.
static std::string describeTensor(const std::vector<int64_t> &shape,
                                  DType type) {
  return formatShape(shape) + " " + dtypeName(type);
}

/// Copies `count` elements of `from` at `src` into `dst` as `to`.
static void convertElements(const void *src, DType from, void *dst, DType to,
                            size_t count) {
  if (from == to) {
    std::memcpy(dst, src, count * dtypeSize(to));
    return;
  }
  if (to == DType::F32) {
    convertToF32(src, static_cast<float *>(dst), count, from);
    return;
  }
  if (from == DType::F32) {
    convertFromF32(static_cast<const float *>(src), dst, count, to);
    return;
  }
  constexpr size_t kBlock = 1 << 14;
  std::vector<float> block(kBlock);
  const auto *in = static_cast<const uint8_t *>(src);
  auto *out = static_cast<uint8_t *>(dst);
  for (size_t done = 0; done < count; done += kBlock) {
    size_t n = std::min(kBlock, count - done);
    convertToF32(in + done * dtypeSize(from), block.data(), n, from);
    convertFromF32(block.data(), out + done * dtypeSize(to), n, to);
  }
}

Expected<BoundWeights> bindWeights(const ModelManifest &model,
                                   const std::vector<WeightSource> &sources,
                                   const std::string &file) {
  std::map<std::string, const WeightSource *> byName;
  for (const WeightSource &source : sources)
    byName.emplace(source.name, &source);

  // Manifest weights the checkpoint lacks, and checkpoint tensors the
  // manifest does not list.
  std::vector<const WeightDesc *> missing;
  for (const WeightDesc &weight : model.weights)
    if (!byName.count(weight.name))
      missing.push_back(&weight);
  std::vector<const WeightSource *> extra;
  for (const WeightSource &source : sources)
    if (!model.findWeight(source.name))
      extra.push_back(&source);

  std::vector<std::string> problems;
  size_t unlisted = 0;
  auto report = [&](const std::string &problem) {
    if (problems.size() < kMaxWeightProblems)
      problems.push_back(file + ": " + problem);
    else
      ++unlisted;
  };

  // An extra tensor close to a missing name is reported as misnamed, and
  // that missing name is not reported again.
  std::set<const WeightDesc *> suggested;
  for (const WeightSource *source : extra) {
    if (problems.size() >= kMaxWeightProblems) {
      ++unlisted;
      continue;
    }
    // The closest missing name among those within max(3, length / 4) edits
    // (the longer name's length).
    const WeightDesc *best = nullptr;
    size_t bestDistance = 0;
    for (const WeightDesc *weight : missing) {
      if (suggested.count(weight))
        continue;
      size_t distance = editDistance(source->name, weight->name);
      size_t limit = std::max<size_t>(
          3, std::max(source->name.size(), weight->name.size()) / 4);
      if (distance <= limit && (!best || distance < bestDistance)) {
        best = weight;
        bestDistance = distance;
      }
    }
    if (best) {
      suggested.insert(best);
      report("tensor '" + source->name +
             "' is not a weight of the model; did you mean '" + best->name +
             "' (missing, " + describeTensor(best->shape, best->dtype) + ")?");
    } else {
      report("tensor '" + source->name + "' (" +
             describeTensor(source->shape, source->dtype) +
             ") is not a weight of the model");
    }
  }
  for (const WeightDesc *weight : missing)
    if (!suggested.count(weight))
      report("missing tensor '" + weight->name + "' (" +
             describeTensor(weight->shape, weight->dtype) + ")");
  for (const WeightDesc &weight : model.weights) {
    auto it = byName.find(weight.name);
    if (it != byName.end() && it->second->shape != weight.shape)
      report("tensor '" + weight.name + "' has shape " +
             formatShape(it->second->shape) + ", but the model needs " +
             formatShape(weight.shape));
  }
  if (!problems.empty()) {
    std::string message;
    for (const std::string &line : problems)
      message += (message.empty() ? "" : "\n") + line;
    if (unlisted)
      message += "\n" + file + ": ... and " + std::to_string(unlisted) +
                 " more problem" + (unlisted == 1 ? "" : "s");
    return Error::failure(message);
  }

  BoundWeights bound;
  for (const WeightDesc &weight : model.weights) {
    const WeightSource &source = *byName.at(weight.name);
    size_t count = static_cast<size_t>(weight.numElements());
    bool aligned =
        reinterpret_cast<uintptr_t>(source.data) % kBufferAlignment == 0;
    if (source.dtype == weight.dtype && aligned) {
      bound.pointers.push_back(source.data);
      ++bound.inPlace;
      continue;
    }
    AlignedVector<uint8_t> copy(count * dtypeSize(weight.dtype));
    convertElements(source.data, source.dtype, copy.data(), weight.dtype,
                    count);
    bound.pointers.push_back(copy.data());
    bound.owned.push_back(std::move(copy));
    ++bound.copied;
  }
  return bound;
}

} // namespace retc::rt
