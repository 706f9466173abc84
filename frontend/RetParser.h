//===- RetParser.h - the grammar of the .ret model language -----*- C++ -*-===//
//
// Recursive descent over RetLexer's tokens into a RetModel (RetAST.h):
//
//   file   ::= 'model' IDENT '{' item* '}' EOF
//   item   ::= IDENT '=' value ';' | IDENT '{' field* '}'
//   field  ::= IDENT '=' value ';'
//   value  ::= NUMBER | IDENT | '[' [NUMBER (',' NUMBER)* [',']] ']'
//
// Stops at the first syntax error, reported clang-style through
// SourceDiagnostics with the offending line and a caret.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_RETPARSER_H
#define RETC_FRONTEND_RETPARSER_H

#include "frontend/RetAST.h"
#include "frontend/SourceDiagnostics.h"

#include <optional>

namespace retc::frontend {

/// Parses the SourceMgr buffer `bufferID`. Returns std::nullopt after
/// reporting a syntax error.
std::optional<RetModel> parseRetModel(SourceDiagnostics &diags,
                                      unsigned bufferID);

} // namespace retc::frontend

#endif // RETC_FRONTEND_RETPARSER_H
