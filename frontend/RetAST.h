//===- RetAST.h - the syntax tree of a .ret model description ---*- C++ -*-===//
//
// What the parser builds: a model with its fields (`name = value;`) and blocks
// (`name { fields }`), every piece with its place in the source. No meaning
// is attached yet: RetSema checks names, types and ranges and resolves the
// ModelConfig.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_RETAST_H
#define RETC_FRONTEND_RETAST_H

#include "frontend/RetLexer.h"

#include <vector>

namespace retc::frontend {

/// The right-hand side of a field: one token (a number or a word) or a list.
struct RetValue {
  Token token; ///< number or identifier; '[' for a list
  bool isList = false;
  std::vector<Token> elements; ///< the list's entries (numbers)
  llvm::SMRange range;         ///< the whole value, brackets included
};

/// `name = value;`
struct RetField {
  Token name;
  RetValue value;
};

/// `name { field* }`
struct RetBlock {
  Token name;
  Token open; ///< the '{'
  std::vector<RetField> fields;
};

/// `model name { (field | block)* }`
struct RetModel {
  Token keyword; ///< 'model'
  Token name;
  std::vector<RetField> fields;
  std::vector<RetBlock> blocks;
};

} // namespace retc::frontend

#endif // RETC_FRONTEND_RETAST_H
