//===- RetLexer.cpp - tokens of the .ret model language -------------------===//
//
// See RetLexer.h.
//
//===----------------------------------------------------------------------===//
#include "frontend/RetLexer.h"

#include "llvm/ADT/StringExtras.h"

using namespace retc::frontend;

std::string Token::describe() const {
  if (kind == TokenKind::EndOfFile)
    return "the end of the file";
  return "'" + text.str() + "'";
}

static bool isIdentifierStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentifierChar(char c) { return llvm::isAlnum(c) || c == '_'; }

void RetLexer::skipSpaceAndComments() {
  while (cursor != buffer.end()) {
    if (*cursor == '#') {
      while (cursor != buffer.end() && *cursor != '\n')
        ++cursor;
    } else if (llvm::isSpace(*cursor)) {
      ++cursor;
    } else {
      return;
    }
  }
}

Token RetLexer::make(TokenKind kind, const char *start) {
  Token t;
  t.kind = kind;
  t.text = llvm::StringRef(start, cursor - start);
  return t;
}

// Takes the longest run that could belong to a number (digits, letters, '.',
// '_', and a sign right after an exponent mark), then checks its form, so that
// `12abc`, `1.2.3`, `1e` and `0x10` are one bad number, not several tokens.
Token RetLexer::lexNumber(const char *start) {
  if (*cursor == '-')
    ++cursor;
  while (cursor != buffer.end()) {
    char c = *cursor;
    bool sign = (c == '+' || c == '-') && cursor[-1] != '-' &&
                (cursor[-1] == 'e' || cursor[-1] == 'E');
    if (!isIdentifierChar(c) && c != '.' && !sign)
      break;
    ++cursor;
  }
  Token t = make(TokenKind::Integer, start);
  llvm::StringRef s = t.text;
  s.consume_front("-");
  auto digits = [&]() {
    size_t n = 0;
    while (n < s.size() && llvm::isDigit(s[n]))
      ++n;
    s = s.drop_front(n);
    return n;
  };
  bool ok = digits() > 0;
  if (ok && s.consume_front(".")) {
    t.kind = TokenKind::Float;
    ok = digits() > 0;
  }
  if (ok && (s.consume_front("e") || s.consume_front("E"))) {
    t.kind = TokenKind::Float;
    if (!s.consume_front("+"))
      s.consume_front("-");
    ok = digits() > 0;
  }
  if (!ok || !s.empty()) {
    t.kind = TokenKind::Error;
    t.error = "invalid number '" + t.text.str() +
              "'; numbers are written 64, 0.5, 1e-6 or 2.5e3";
  }
  return t;
}

Token RetLexer::next() {
  skipSpaceAndComments();
  const char *start = cursor;
  if (cursor == buffer.end())
    return make(TokenKind::EndOfFile, start);
  char c = *cursor;
  if (isIdentifierStart(c)) {
    while (cursor != buffer.end() && isIdentifierChar(*cursor))
      ++cursor;
    return make(TokenKind::Identifier, start);
  }
  if (llvm::isDigit(c) ||
      (c == '-' && cursor + 1 != buffer.end() && llvm::isDigit(cursor[1])))
    return lexNumber(start);
  if (c == '.' && cursor + 1 != buffer.end() && llvm::isDigit(cursor[1])) {
    ++cursor;
    while (cursor != buffer.end() &&
           (isIdentifierChar(*cursor) || *cursor == '.'))
      ++cursor;
    Token t = make(TokenKind::Error, start);
    t.error = "invalid number '" + t.text.str() +
              "'; write a digit before the '.' (0.5, not .5)";
    return t;
  }
  ++cursor;
  switch (c) {
  case '{':
    return make(TokenKind::LBrace, start);
  case '}':
    return make(TokenKind::RBrace, start);
  case '[':
    return make(TokenKind::LBracket, start);
  case ']':
    return make(TokenKind::RBracket, start);
  case '=':
    return make(TokenKind::Equal, start);
  case ';':
    return make(TokenKind::Semicolon, start);
  case ',':
    return make(TokenKind::Comma, start);
  default:
    break;
  }
  Token t = make(TokenKind::Error, start);
  if (llvm::isPrint(c))
    t.error = "unexpected character '" + t.text.str() + "'";
  else
    t.error = "unexpected byte 0x" + llvm::utohexstr(uint8_t(c), false, 2) +
              " (only ASCII text is allowed)";
  return t;
}
