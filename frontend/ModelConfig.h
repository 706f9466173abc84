//===- ModelConfig.h - a whole RetNet model, as the user describes it -*- C++ -*-===//
//
// The resolved description of one RetNet model (docs/models.md, "The model,
// exactly"), whichever way it was written: a `.ret` file
// (frontend/RetLanguage) or an HF-style `config.json` (frontend/HFConfig). Every field is explicit here: defaults and
// derived sizes are filled in by the readers, and `verify` checks the
// invariants the rest of the compiler relies on.
//
// Plain C++ with no MLIR inside: the model builder turns it into graph-level
// IR, the package writer copies it into the manifest.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_MODELCONFIG_H
#define RETC_FRONTEND_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace retc::frontend {

/// Element type of the weights (and of activations between kernels).
enum class WeightType { F32, BF16, F16 };

/// How rotary embeddings pair the components of a head.
enum class RotaryLayout {
  RotateHalf,  ///< GPT-NeoX / flash-linear-attention: x[i] with x[i + D/2]
  Interleaved, ///< torchscale: x[2i] with x[2i + 1]
};

/// The per-head decay schedule.
enum class DecaySchedule {
  RetNet,   ///< gamma_h = 1 - 2^(-5-h)
  Paper,    ///< gamma = 1 - exp(linspace(log 1/32, log 1/512, H))
  Explicit, ///< `decayValues`, one per head
};

/// One RetNet model. Sizes are in elements; all of them are resolved.
struct ModelConfig {
  std::string name = "retnet"; ///< a C identifier-like name, informational

  int64_t hiddenSize = 0;       ///< d_model
  int64_t numLayers = 0;        ///< num_hidden_layers
  int64_t numHeads = 0;         ///< query heads
  int64_t numKVHeads = 0;       ///< key/value heads; divides numHeads
  int64_t headKDim = 0;         ///< hidden * expand_k / num_heads
  int64_t headVDim = 0;         ///< hidden * expand_v / num_heads
  int64_t intermediateSize = 0; ///< FFN width (SwiGLU)
  int64_t vocabSize = 0;

  double normEps = 1e-6;       ///< every RMSNorm
  double rotaryBase = 10000.0; ///< inv_freq = base^(-2i/D)
  RotaryLayout rotaryLayout = RotaryLayout::RotateHalf;
  DecaySchedule decay = DecaySchedule::RetNet;
  std::vector<double> decayValues; ///< numHeads values; only for Explicit
  bool tieWordEmbeddings = false;  ///< lm_head shares embeddings.weight
  bool useOutputGate = true;       ///< o = g_norm(o) * swish(x g_proj^T)
  WeightType weightType = WeightType::F32;
  /// The type the checkpoint stores its weights in, where its config says
  /// (an HF config.json's torch_dtype): the dtype of GPU packages compiled
  /// without --dtype. Not part of the `.ret` language.
  std::optional<WeightType> checkpointType;
  int64_t chunkSizeHint = 0; ///< 0: the compiler chooses

  /// The per-head decays gamma_h, h = 0..numHeads-1, for any schedule.
  std::vector<double> gammas() const;

  /// One broken invariant: the field it is about, by its `.ret` name
  /// ("hidden", "kv_heads", "key_dim", "ffn.width", "norm.eps", "decay", ...),
  /// and what is wrong with it, as a sentence without the "error:" prefix.
  struct Problem {
    std::string field;
    std::string message;
  };
  /// Every broken invariant, in field order; empty when the config is valid.
  std::vector<Problem> problems() const;

  /// Checks the invariants (positive sizes, divisibility, ranges). On failure
  /// returns false and writes one line per problem to `os`, each starting
  /// with `where` (for example "model.ret: error: ").
  bool verify(llvm::raw_ostream &os, llvm::StringRef where) const;

  /// Prints the configuration in the `.ret` language, every field explicit,
  /// so that reading the output back gives the same configuration.
  void print(llvm::raw_ostream &os) const;
};

/// The largest sizes retc accepts (the per-head tables and tiles are sized
/// from them; products of sizes stay far from int64 overflow).
constexpr int64_t kMaxHiddenSize = int64_t(1) << 20;
constexpr int64_t kMaxLayers = int64_t(1) << 16;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxHeadDim = 8192;
constexpr int64_t kMaxIntermediateSize = int64_t(1) << 24;
constexpr int64_t kMaxVocabSize = int64_t(1) << 28;
/// The longest chunk of the chunkwise prefill: models compile for the CPU,
/// whose lowering takes chunks up to 4096 (kMaxTile in
/// codegen/cpu/ConvertRetentionToCPU.cpp: a score tile is chunk x chunk).
constexpr int64_t kMaxChunkSize = 4096;

/// The smallest rotary base: the rotary op takes bases above 1, whose
/// frequencies base^(-2i/D) fall from 1 towards 0 across a head.
constexpr double kMinRotaryBase = 1.0;

/// The range of `norm.eps`. RMSNorm adds it to mean(x^2) in f32, so it must
/// be a normal f32 (1e39 overflows to infinity there and every logit came
/// out 0), and above 1 it would swamp the mean it is added to.
constexpr double kMinNormEps = 0x1p-126; // the smallest normal f32
constexpr double kMaxNormEps = 1.0;

/// Why `eps`, a positive finite number given as field `name`, cannot be a
/// norm epsilon (outside [kMinNormEps, kMaxNormEps]), as a sentence; nullopt
/// when it can.
std::optional<std::string> normEpsProblem(double eps, llvm::StringRef name);

/// The FFN width flash-linear-attention's GatedMLP derives when no
/// intermediate_size is given: int(hidden * ratio * 2 / 3), rounded up to a
/// multiple of 256. std::nullopt when that is beyond any supported size
/// (more than 2^40).
std::optional<int64_t> deriveIntermediateSize(int64_t hiddenSize,
                                              double hiddenRatio);

/// hidden * expand (a projection's total width) when it is an integer up to
/// a relative 1e-9 (Python's math.isclose, as MultiScaleRetention checks it);
/// std::nullopt otherwise.
std::optional<int64_t> expandedWidth(int64_t hiddenSize, double expand);

/// Whether `name` can be a model name in the `.ret` language
/// ([A-Za-z_][A-Za-z0-9_]*).
bool isModelName(llvm::StringRef name);

/// `value` with the fewest significant digits that read back as the same
/// double (so `1e-06`, `0.96875`, `10000`).
std::string shortestDouble(double value);

llvm::StringRef stringify(WeightType t);
llvm::StringRef stringify(RotaryLayout l);
llvm::StringRef stringify(DecaySchedule d);

/// Reads a model description: a `.ret` file, an HF-style checkpoint
/// directory (its `config.json`), or a `config.json` file. Diagnostics go to
/// `errs` in clang's format (`file:line:col: error: ...` with the offending
/// line and a caret where there is a position). Returns false on any error.
bool loadModelConfig(llvm::StringRef path, ModelConfig &config,
                     llvm::raw_ostream &errs);

} // namespace retc::frontend

#endif // RETC_FRONTEND_MODELCONFIG_H
