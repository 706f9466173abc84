//===- RetSema.h - meaning of a parsed .ret model description ---*- C++ -*-===//
//
// Checks a RetModel against the language's fields (unknown names with a
// did-you-mean, duplicates, conflicting pairs, missing required fields, value
// types, ranges) and resolves it into a ModelConfig: defaults as in
// flash-linear-attention's RetNetConfig, head dims from expand factors and
// the FFN width from hidden_ratio exactly as docs/models.md ("The model,
// exactly") says. Every message points at the offending source.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_RETSEMA_H
#define RETC_FRONTEND_RETSEMA_H

#include "frontend/ModelConfig.h"
#include "frontend/RetAST.h"
#include "frontend/SourceDiagnostics.h"

namespace retc::frontend {

/// Resolves `model` into `config`. Returns false after reporting the first
/// error.
bool resolveRetModel(const RetModel &model, SourceDiagnostics &diags,
                     ModelConfig &config);

} // namespace retc::frontend

#endif // RETC_FRONTEND_RETSEMA_H
