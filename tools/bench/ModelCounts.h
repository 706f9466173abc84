//===- ModelCounts.h - A model's bytes, flops and random weights -*- C++ -*-===//
//
// What the whole-model benchmarks (retc-bench-model on the CPU,
// retc-bench-gpu-model on a GPU) share: the byte and flop counts of a
// model call, from the package manifest, random weights made in memory
// for exactly the tensors the manifest lists (handed to
// `Model::open(package, WeightMap)`), and the checks of the logits a timed
// run feeds back. No MLIR or LLVM headers, no OpenMP:
// the weights are filled by std::threads.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_TOOLS_BENCH_MODELCOUNTS_H
#define RETC_TOOLS_BENCH_MODELCOUNTS_H

#include "runtime/model/Model.h"
#include "runtime/package/Package.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace retc::bench {

/// What a weight is to the traffic and flop counts.
enum class WeightRole { Embedding, LmHead, Linear, Other };

WeightRole roleOf(const rt::WeightDesc &w);

/// Byte and flop counts of one model, from its manifest. Bytes are in the
/// manifest's weight dtypes (f32, or bf16/f16 matrices of a GPU package);
/// the state is f32.
struct ModelCounts {
  double linearParams = 0;  ///< every [out, in] weight of the layers
  int64_t linearCount = 0;
  double lmHeadParams = 0;  ///< lm_head, or the tied embedding table
  double otherParams = 0;   ///< norm weights
  double embeddingParams = 0;
  double embeddingRow = 0;  ///< hidden_size elements
  double totalParams = 0;
  double stateFloats = 0;   ///< layers * heads * K * V
  double vocab = 0;
  // The same in bytes (each weight in its manifest dtype).
  double linearBytes = 0, lmHeadBytes = 0, otherBytes = 0;
  double embeddingRowBytes = 0, totalBytes = 0;

  /// Weight bytes one decode step reads: linears, norms, lm_head, one
  /// embedding row.
  double decodeWeightBytes() const {
    return linearBytes + otherBytes + lmHeadBytes + embeddingRowBytes;
  }
  /// Weight bytes a prefill of `t` tokens reads: as decode with `t`
  /// embedding rows.
  double prefillWeightBytes(double t) const {
    return linearBytes + otherBytes + lmHeadBytes + t * embeddingRowBytes;
  }
  double stateBytes() const { return 4 * stateFloats; }
  double logitsRowBytes() const { return 4 * vocab; }
  /// Bytes of a call of `t` tokens with one logits row: weights, the state
  /// read and written, the logits row written.
  double callBytes(double t) const {
    return prefillWeightBytes(t) + 2 * stateBytes() + logitsRowBytes();
  }
  /// Flops of the linears (and lm_head, `heads` rows of it) of `t` tokens.
  double linearFlops(double t, double heads = 1) const {
    return 2 * linearParams * t + 2 * lmHeadParams * heads;
  }
  /// Retention's useful flops for `t` tokens: 4 * t * layers * heads * K *
  /// V (the state update k^T v and the read-out q S, 2 K V each per token
  /// and head; a chunkwise kernel's extra intra-chunk work not counted).
  double retentionFlops(double t) const { return 4 * t * stateFloats; }
  /// Bytes a batched decode step of `b` sequences must move: every
  /// weight once, each sequence's state read and written, its logits row.
  double batchStepBytes(double b) const {
    return decodeWeightBytes() + b * (2 * stateBytes() + logitsRowBytes());
  }
  /// Useful flops of a batched decode step of `b` sequences (b logits rows).
  double batchStepFlops(double b) const {
    return linearFlops(b, b) + retentionFlops(b);
  }
  /// Useful flops of a call of `t` tokens with one logits row.
  double callFlops(double t) const {
    return linearFlops(t) + retentionFlops(t);
  }
};

ModelCounts countModel(const rt::ModelManifest &m);

/// Random f32 weights for every manifest tensor in one 64-byte-aligned
/// allocation, each tensor at a 64-byte boundary (so Model::open uses them
/// in place when the manifest's dtype is f32, and converts them otherwise).
struct RandomWeights {
  struct Free {
    void operator()(float *p) const { std::free(p); }
  };
  std::unique_ptr<float[], Free> storage;
  rt::WeightMap map;
  /// Each manifest weight's first float, in manifest order.
  std::vector<const float *> data;
};

/// Linear weights and lm_head about N(0, 1/fan_in) (fan_in = the `in`
/// dimension), the embedding table N(0, 1) (unit-RMS rows, as the first
/// norm expects), norm weights N(1, 0.1^2). "About": each value is the sum
/// of four uniform 16-bit draws of a counter hash, centred and scaled
/// (exact normals would cost seconds for 10^9 values; a benchmark needs the
/// scale, not the tails). Filled by `threads` std::threads (0: all
/// hardware threads); the values do not depend on the thread count. Fails
/// (empty storage) only when the allocation does.
RandomWeights makeRandomWeights(const rt::ModelManifest &m, unsigned seed,
                                unsigned threads = 0);

/// The index of the largest logit (the first on ties): the next token a
/// timed decode feeds back.
int32_t argmax(const std::vector<float> &logits);

/// Whether every value is finite (a timed run's logits must be).
bool allFinite(const std::vector<float> &v);

} // namespace retc::bench

#endif // RETC_TOOLS_BENCH_MODELCOUNTS_H
