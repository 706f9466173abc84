//===- RetLexer.h - tokens of the .ret model language ----------*- C++ -*-===//
//
// Splits a `.ret` model description into tokens: identifiers, numbers,
// `{ } [ ] = ; ,`, with `#` comments to the end of the line. Every token keeps
// its place in the source buffer so that diagnostics can point at it.
// The grammar is in docs/model-language.md.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_FRONTEND_RETLEXER_H
#define RETC_FRONTEND_RETLEXER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

#include <string>

namespace retc::frontend {

/// What a token is.
enum class TokenKind {
  Identifier, ///< [A-Za-z_][A-Za-z0-9_]*
  Integer,    ///< -?[0-9]+
  Float,     ///< -?[0-9]+(.[0-9]+)?([eE][+-]?[0-9]+)? with a '.' or an exponent
  LBrace,    ///< {
  RBrace,    ///< }
  LBracket,  ///< [
  RBracket,  ///< ]
  Equal,     ///< =
  Semicolon, ///< ;
  Comma,     ///< ,
  EndOfFile,
  Error, ///< a malformed token; `error` says what is wrong with it
};

/// One token: its kind and its text, a slice of the source buffer.
struct Token {
  TokenKind kind = TokenKind::EndOfFile;
  llvm::StringRef text;
  std::string error; ///< for TokenKind::Error: the message

  llvm::SMLoc loc() const { return llvm::SMLoc::getFromPointer(text.data()); }
  llvm::SMLoc end() const {
    return llvm::SMLoc::getFromPointer(text.data() + text.size());
  }
  llvm::SMRange range() const { return {loc(), end()}; }
  bool is(TokenKind k) const { return kind == k; }
  bool isNumber() const {
    return kind == TokenKind::Integer || kind == TokenKind::Float;
  }
  /// How a message names the token: `'text'`, or "the end of the file".
  std::string describe() const;
};

/// Turns a source buffer (which must stay alive) into tokens, one at a time.
class RetLexer {
public:
  explicit RetLexer(llvm::StringRef buffer)
      : buffer(buffer), cursor(buffer.begin()) {}

  /// The next token; EndOfFile forever once the buffer is exhausted.
  Token next();

private:
  Token make(TokenKind kind, const char *start);
  Token lexNumber(const char *start);
  void skipSpaceAndComments();

  llvm::StringRef buffer;
  const char *cursor;
};

} // namespace retc::frontend

#endif // RETC_FRONTEND_RETLEXER_H
