//===- HFConfig.h - reading an HF-style RetNet config.json ------*- C++ -*-===//
//
// Reads the config.json that flash-linear-attention's RetNetConfig writes
// (model_type "retnet", as in the public fla-hub/retnet-* checkpoints) into a
// ModelConfig, with RetNetConfig's defaults for absent fields and the sizes
// MultiScaleRetention and GatedMLP derive from them. Options retc does not
// implement (short convolutions, feature maps, hybrid attention layers, norms
// without weights, other activations) are refused by name; so is any field
// outside the known set and an explicit allow-list of fields that do not
// change the forward pass. The mapping is tabled in docs/model-language.md.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_HFCONFIG_H
#define RETC_FRONTEND_HFCONFIG_H

#include "frontend/ModelConfig.h"

#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace retc::frontend {

/// Reads the JSON text in `buffer` (its identifier names the file in
/// messages). `checkpointDirectory`, when not empty, names the model. Errors
/// go to `errs` as `file:line:col: error: ...` with the line and a caret where
/// the field is found in the text, `file: error: ...` otherwise; returns false
/// on the first one.
bool readHFConfig(std::unique_ptr<llvm::MemoryBuffer> buffer,
                  llvm::StringRef checkpointDirectory, ModelConfig &config,
                  llvm::raw_ostream &errs);

} // namespace retc::frontend

#endif // RETC_FRONTEND_HFCONFIG_H
