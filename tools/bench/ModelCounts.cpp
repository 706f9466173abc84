//===- ModelCounts.cpp - A model's bytes, flops and random weights --------===//
//
// Implements ModelCounts.h.
//
//===----------------------------------------------------------------------===//
#include "tools/bench/ModelCounts.h"

#include "runtime/DType.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace retc::bench {

WeightRole roleOf(const rt::WeightDesc &w) {
  if (w.name == "model.embeddings.weight")
    return WeightRole::Embedding;
  if (w.name == "lm_head.weight")
    return WeightRole::LmHead;
  if (w.shape.size() == 2)
    return WeightRole::Linear;
  return WeightRole::Other; // norm weights
}

ModelCounts countModel(const rt::ModelManifest &m) {
  ModelCounts c;
  double embeddingBytes = 0;
  for (const rt::WeightDesc &w : m.weights) {
    double n = double(w.numElements());
    double size = double(rt::dtypeSize(w.dtype));
    c.totalParams += n;
    c.totalBytes += n * size;
    switch (roleOf(w)) {
    case WeightRole::Embedding:
      c.embeddingParams = n;
      embeddingBytes = n * size;
      c.embeddingRow = double(w.shape.back());
      c.embeddingRowBytes = c.embeddingRow * size;
      break;
    case WeightRole::LmHead:
      c.lmHeadParams = n;
      c.lmHeadBytes = n * size;
      break;
    case WeightRole::Linear:
      c.linearParams += n;
      c.linearBytes += n * size;
      ++c.linearCount;
      break;
    case WeightRole::Other:
      c.otherParams += n;
      c.otherBytes += n * size;
      break;
    }
  }
  if (m.config.tieWordEmbeddings) {
    c.lmHeadParams = c.embeddingParams;
    c.lmHeadBytes = embeddingBytes;
  }
  c.stateFloats = 1;
  for (int64_t d : m.stateShape)
    c.stateFloats *= double(d);
  c.vocab = double(m.config.vocabSize);
  return c;
}

namespace {

/// splitmix64: a fast, well-mixed 64-bit hash of a counter.
inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// Fills out[begin, end) of stream `stream` with approximately N(mean,
/// stddev^2) values: the sum of four uniform 16-bit draws (from one
/// splitmix64 of the element's index), centred and scaled to the variance.
void fillNormal(float *out, size_t begin, size_t end, float mean, float stddev,
                unsigned seed, unsigned stream) {
  // Each 16-bit draw has variance (2^16)^2 / 12; four of them 2^32 / 3.
  const float scale = stddev * std::sqrt(3.0f) / 65536.0f;
  const uint64_t base = splitmix64((uint64_t(seed) << 32) | stream);
  for (size_t i = begin; i < end; ++i) {
    uint64_t r = splitmix64(base + uint64_t(i));
    float sum = float(r & 0xffff) + float((r >> 16) & 0xffff) +
                float((r >> 32) & 0xffff) + float(r >> 48);
    out[i] = mean + scale * (sum - 2.0f * 65535.0f);
  }
}

} // namespace

RandomWeights makeRandomWeights(const rt::ModelManifest &m, unsigned seed,
                                unsigned threads) {
  RandomWeights rw;
  std::vector<size_t> offsets;
  size_t total = 0;
  for (const rt::WeightDesc &w : m.weights) {
    offsets.push_back(total);
    total += (size_t(w.numElements()) + 15) / 16 * 16; // 64-byte steps
  }
  rw.storage.reset(static_cast<float *>(
      std::aligned_alloc(64, std::max<size_t>(total, 16) * sizeof(float))));
  if (!rw.storage)
    return rw;
  struct Fill {
    float *p;
    size_t n;
    float mean, stddev;
  };
  std::vector<Fill> fills;
  for (size_t i = 0; i < m.weights.size(); ++i) {
    const rt::WeightDesc &w = m.weights[i];
    float *p = rw.storage.get() + offsets[i];
    size_t n = size_t(w.numElements());
    switch (roleOf(w)) {
    case WeightRole::Embedding:
      fills.push_back({p, n, 0.0f, 1.0f});
      break;
    case WeightRole::LmHead:
    case WeightRole::Linear:
      fills.push_back({p, n, 0.0f, 1.0f / std::sqrt(float(w.shape.back()))});
      break;
    case WeightRole::Other:
      fills.push_back({p, n, 1.0f, 0.1f});
      break;
    }
    rw.map[w.name] = rt::WeightView{rt::DType::F32, w.shape, p};
    rw.data.push_back(p);
  }
  // Every tensor split into equal slices, one per thread (first touch by
  // the thread that fills it).
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  auto work = [&](unsigned t) {
    for (size_t i = 0; i < fills.size(); ++i) {
      const Fill &f = fills[i];
      size_t begin = f.n * t / threads, end = f.n * (t + 1) / threads;
      fillNormal(f.p, begin, end, f.mean, f.stddev, seed, unsigned(i));
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work, t);
  work(0);
  for (std::thread &thread : pool)
    thread.join();
  return rw;
}

int32_t argmax(const std::vector<float> &logits) {
  return int32_t(std::max_element(logits.begin(), logits.end()) -
                 logits.begin());
}

bool allFinite(const std::vector<float> &v) {
  for (float x : v)
    if (!std::isfinite(x))
      return false;
  return true;
}

} // namespace retc::bench
