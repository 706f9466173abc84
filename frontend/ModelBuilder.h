//===- ModelBuilder.h - graph-level IR of a whole RetNet model -*- C++ -*-===//
//
// Builds, from a ModelConfig, one module holding the model's three entry
// points (prefill, decode, forward) as functions over the graph-level ops of
// the retention dialect, and lists the weights the entry points take, in
// ABI order, with their checkpoint names and shapes.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_MODELBUILDER_H
#define RETC_FRONTEND_MODELBUILDER_H

#include "frontend/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace retc::frontend {

/// One weight tensor of the model, as the checkpoint names it.
struct WeightInfo {
  std::string name;           ///< e.g. "model.layers.0.attn.q_proj.weight"
  std::vector<int64_t> shape; ///< row-major; linear weights are [out, in]
  /// The matrices (embedding, projections, LM head) are of the config's
  /// weightType; the norms' scale vectors are f32 (converted at load).
  WeightType type = WeightType::F32;
};

/// The weights of `config`, in the order the entry points take them.
std::vector<WeightInfo> listWeights(const ModelConfig &config);

/// The weights of one layer, named after "model.layers.{l}.", in the order
/// they follow one another in listWeights.
std::vector<WeightInfo> layerWeights(const ModelConfig &config);

/// One entry point of a model package.
struct EntryPoint {
  llvm::StringRef name; ///< prefill, decode, forward
  llvm::StringRef form; ///< the retention form it computes with
};

/// The entry points every model package has, in order.
llvm::ArrayRef<EntryPoint> entryPoints();

/// Builds the graph-level module of `config`:
///
///   func.func @prefill(%num_tokens: index, %position: index,
///                      %all_logits: index, %tokens: memref<1xi32>,
///                      %state: memref<LxHxKxVxf32>,
///                      %logits: memref<1xVOCABxf32>,
///                      %weights: memref<NWEIGHTSxi64>)
///       attributes {retention.form = "chunkwise"}
///   func.func private @prefill_layer(%num_tokens: index, %position: index,
///                      %layer: index, %h: memref<1xHIDDENxf32>,
///                      %state: memref<LxHxKxVxf32>, %w0, %w1, ...)
///
/// (likewise @decode and @forward), the buffers in the ABI's shapes
/// (runtime/KernelABI.h, retc_model_call; `weights` is its table of weight
/// addresses, read with retention.model_weight): tokens, h and logits are
/// reshaped to their dynamic lengths inside. Weight matrices, and the
/// activations that feed projections and retention (norm outputs, q, k, v,
/// the retention output, the SwiGLU product), are of `config.weightType`;
/// the residual stream h, the state and the logits are f32 whatever it is
/// (every op sums in f32). The entry embeds the tokens,
/// calls its layer function for l = 0 .. L-1 in a loop with layer l's
/// weights (listWeights order: 1 + l * layerWeights(config).size() + j)
/// and computes the logits; the layer function updates h and state slice
/// l in place. Bodies are graph-level ops on tensors. Verifier messages go
/// to the context.
///
/// With `deviceDecode` (GPU packages), every entry takes one more buffer
/// last, `%positions: memref<1xi64>`, which only @decode uses: its rotary
/// reads the token's position there (`retention.rotary ... positions`),
/// and after the logits it writes the greedy next token into `tokens` and
/// the next position into `positions` (`retention.next_token`). So a
/// decode step needs nothing from the host that the step before did not
/// leave on the device, and can be replayed as one CUDA graph.
///
/// With `maxBatch` >= 1, one more entry:
///
///   func.func @decode_batch(%num_rows, %position, %all_logits, %tokens,
///                           %state: memref<LxSxHxKxVxf32>, %logits,
///                           %weights, %positions)
///       attributes {retention.form = "recurrent"}
///
/// one decode step of `num_rows` (1 .. S = maxBatch) sequences: row b
/// takes token b at position `positions[b]`, continues the state in slot
/// b of the pool (`state`, layer-major: the slots of one layer are
/// adjacent, so each layer's retention sees one [B, H, K, V] block), and
/// gets logits row b; with `deviceDecode`, also its greedy next token and
/// position (as @decode). `position` and `all_logits` are not used (every
/// row has its logits). It takes `positions` on the CPU too (the only CPU
/// entry that does).
///
/// With `maxBatch` >= 1 and `packedPrefill`, one more:
///
///   func.func @prefill_batch(%num_tokens, %position, %all_logits, %tokens,
///                            %state: memref<LxSxHxKxVxf32>, %logits,
///                            %weights, %positions,
///                            %num_sequences: index,
///                            %offsets: memref<1xi64>)
///       attributes {retention.form = "chunkwise"}
///
/// the prefill of N = `num_sequences` (1 .. S) fresh prompts packed one
/// after another in `tokens` (prompt n is tokens [offsets[n],
/// offsets[n+1]), offsets[0] = 0, offsets[N] = num_tokens, every prompt
/// at least one token): each token at its position in `positions`
/// (num_tokens of them), prompt n's retention from a zero state (the
/// `segments` of retention.retention) and its final state into slot n of
/// the pool, its last token's logits into row n of `logits` ([N,
/// vocab]). `position` and `all_logits` are not used.
struct ModelModuleOptions {
  /// GPU packages: decode reads its position from, and leaves its next
  /// token and position in, device memory (above).
  bool deviceDecode = false;
  /// The most sequences one @decode_batch step takes; 0: no such entry.
  int64_t maxBatch = 0;
  /// With maxBatch: also @prefill_batch (above).
  bool packedPrefill = false;
};

/// The entry of a batched decode step (ModelModuleOptions::maxBatch).
EntryPoint decodeBatchEntry();
/// The entry of a packed prefill of several prompts
/// (ModelModuleOptions::packedPrefill).
EntryPoint prefillBatchEntry();

mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
buildModelModule(mlir::MLIRContext &ctx, const ModelConfig &config,
                 llvm::StringRef sourceName,
                 const ModelModuleOptions &options = {});

} // namespace retc::frontend

#endif // RETC_FRONTEND_MODELBUILDER_H
