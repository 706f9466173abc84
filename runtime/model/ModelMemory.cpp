//===- ModelMemory.cpp - What a model package takes in memory -------------===//
//
// See ModelMemory.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/ModelMemory.h"
#include "runtime/KernelABI.h"

#include <algorithm>
#include <cstdio>
#include <unistd.h>
#include <optional>

namespace retc::rt {

namespace {

/// `a` * `b` * `c`, or nullopt on overflow.
std::optional<uint64_t> product(uint64_t a, uint64_t b, uint64_t c = 1) {
  uint64_t ab, abc;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc))
    return std::nullopt;
  return abc;
}

/// `bytes` rounded up to `align`, or nullopt on overflow.
std::optional<uint64_t> alignUp(uint64_t bytes, uint64_t align) {
  uint64_t padded;
  if (__builtin_add_overflow(bytes, align - 1, &padded))
    return std::nullopt;
  return padded / align * align;
}

} // namespace

Expected<ModelMemory> planModelMemory(const Package &package) {
  const ModelManifest &model = *package.manifest.model;
  bool cuda = package.manifest.target.kind == TargetKind::Cuda;
  auto tooLarge = [&](const std::string &what) {
    return Error::atFile(package.path,
                         what + " would take more than 2^64 bytes");
  };
  // Weights: each at a 256-byte boundary on a GPU (one allocation), 64 on
  // a CPU (each its own buffer, as bound).
  uint64_t align = cuda ? RETC_CUDA_BUFFER_ALIGNMENT : 64;
  ModelMemory memory;
  uint64_t total = 0;
  for (const WeightDesc &weight : model.weights) {
    std::optional<uint64_t> bytes = product(
        static_cast<uint64_t>(weight.numElements()), dtypeSize(weight.dtype));
    std::optional<uint64_t> start = alignUp(total, align);
    uint64_t end;
    if (!bytes || !start || __builtin_add_overflow(*start, *bytes, &end))
      return tooLarge("the weights");
    memory.weightOffsets.push_back(*start);
    total = end;
  }
  memory.weightBytes = total;

  const ModelConfigDesc &c = model.config;
  std::optional<uint64_t> stateElements =
      product(static_cast<uint64_t>(c.numLayers),
              static_cast<uint64_t>(c.numHeads),
              static_cast<uint64_t>(c.headKDim));
  std::optional<uint64_t> state =
      stateElements ? product(*stateElements,
                              static_cast<uint64_t>(c.headVDim), sizeof(float))
                    : std::nullopt;
  if (!state)
    return tooLarge("the state");
  memory.stateBytes = *state;
  std::optional<uint64_t> batch =
      product(memory.stateBytes, static_cast<uint64_t>(model.maxBatch));
  if (!batch)
    return tooLarge("a batch's states");
  memory.batchBytes = *batch;
  if (!cuda)
    return memory;

  // A call's rows: tokens of prefill and forward, or decode_batch's
  // sequences.
  uint64_t rows = static_cast<uint64_t>(
      std::max(model.maxTokens, model.maxBatch));
  std::optional<uint64_t> logits =
      product(rows, static_cast<uint64_t>(c.vocabSize), sizeof(float));
  if (!logits)
    return tooLarge("the logits (max_tokens x vocab_size floats)");
  memory.logitBytes = *logits;
  memory.arenaBytes = static_cast<uint64_t>(model.arenaBytes);
  memory.tokenBytes = rows * sizeof(int32_t);
  memory.positionBytes =
      static_cast<uint64_t>(std::max<int64_t>(model.maxBatch, 1)) *
      sizeof(int64_t);
  uint64_t sum = 0;
  for (uint64_t part : {memory.weightBytes, memory.arenaBytes,
                        memory.tokenBytes, memory.logitBytes,
                        memory.positionBytes})
    if (__builtin_add_overflow(sum, part, &sum))
      return tooLarge("the model");
  return memory;
}

Error checkHostMemory(uint64_t bytes, const std::string &what) {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || size <= 0)
    return Error::success();
  uint64_t physical = static_cast<uint64_t>(pages) * static_cast<uint64_t>(size);
  if (bytes <= physical)
    return Error::success();
  return Error::failure(what + " would take " + formatBytes(bytes) +
                        ", more than this machine's " + formatBytes(physical) +
                        " of memory");
}

std::string formatBytes(uint64_t bytes) {
  static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1000 && unit < 6) {
    value /= 1000;
    ++unit;
  }
  char text[32];
  if (unit == 0)
    std::snprintf(text, sizeof text, "%llu B",
                  static_cast<unsigned long long>(bytes));
  else
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

} // namespace retc::rt
