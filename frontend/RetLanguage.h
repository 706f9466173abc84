//===- RetLanguage.h - reading a .ret model description ---------*- C++ -*-===//
//
// The entry point of the `.ret` language: lexes and parses a buffer
// (RetParser), checks it and resolves defaults and derived sizes (RetSema)
// into a ModelConfig. The language is described in docs/model-language.md.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_RETLANGUAGE_H
#define RETC_FRONTEND_RETLANGUAGE_H

#include "frontend/ModelConfig.h"

#include "llvm/Support/MemoryBuffer.h"

#include <memory>

namespace retc::frontend {

/// Reads the `.ret` text in `buffer` (its identifier names the file in
/// messages). Diagnostics go to `errs` in clang's format; returns false on
/// the first error.
bool readRetModel(std::unique_ptr<llvm::MemoryBuffer> buffer,
                  ModelConfig &config, llvm::raw_ostream &errs);

} // namespace retc::frontend

#endif // RETC_FRONTEND_RETLANGUAGE_H
