//===- RetParser.cpp - the grammar of the .ret model language -------------===//
//
// See RetParser.h. Every method returns false after reporting an error; the
// first error ends the parse.
//
//===----------------------------------------------------------------------===//
#include "frontend/RetParser.h"

using namespace retc::frontend;
using llvm::SMLoc;
using llvm::SMRange;

namespace {
class RetParser {
public:
  RetParser(SourceDiagnostics &diags, llvm::StringRef buffer)
      : diags(diags), lexer(buffer) {
    consume();
  }

  std::optional<RetModel> parseFile();

private:
  /// Moves to the next token; a malformed token is an error at once.
  bool consume() {
    previousEnd = current.text.data() ? current.end() : SMLoc();
    current = lexer.next();
    if (current.is(TokenKind::Error)) {
      diags.error(current.range(), current.error);
      return false;
    }
    return true;
  }
  bool error(const llvm::Twine &message) {
    if (current.is(TokenKind::Error))
      return false; // already reported
    diags.error(current.range(), message);
    return false;
  }
  /// An error just after the previous token (a missing ';' or '=').
  bool errorAfterPrevious(const llvm::Twine &message) {
    diags.error(previousEnd, message);
    return false;
  }

  bool parseItem(RetModel &model);
  bool parseBlock(Token name, RetBlock &block);
  bool parseFieldRest(Token name, RetField &field);
  bool parseValue(const Token &name, RetValue &value);
  bool parseList(const Token &name, RetValue &value);

  SourceDiagnostics &diags;
  RetLexer lexer;
  Token current;
  SMLoc previousEnd;
};
} // namespace

std::optional<RetModel> RetParser::parseFile() {
  RetModel model;
  if (current.is(TokenKind::Error))
    return std::nullopt;
  if (current.is(TokenKind::EndOfFile)) {
    error("expected 'model NAME { ... }', the file is empty");
    return std::nullopt;
  }
  if (!current.is(TokenKind::Identifier) || current.text != "model") {
    error("expected 'model NAME { ... }' at the start of the file, got " +
          current.describe());
    return std::nullopt;
  }
  model.keyword = current;
  if (!consume())
    return std::nullopt;
  if (!current.is(TokenKind::Identifier)) {
    error("expected the model's name after 'model', got " + current.describe());
    return std::nullopt;
  }
  model.name = current;
  if (!consume())
    return std::nullopt;
  if (!current.is(TokenKind::LBrace)) {
    error("expected '{' after 'model " + model.name.text + "', got " +
          current.describe());
    return std::nullopt;
  }
  Token open = current;
  if (!consume())
    return std::nullopt;
  while (!current.is(TokenKind::RBrace)) {
    if (current.is(TokenKind::EndOfFile)) {
      error("expected '}' to close model '" + model.name.text +
            "' before the end of the file");
      diags.note(open.range(), "model '" + model.name.text + "' opened here");
      return std::nullopt;
    }
    if (!parseItem(model))
      return std::nullopt;
  }
  if (!consume())
    return std::nullopt;
  if (!current.is(TokenKind::EndOfFile)) {
    error("unexpected " + current.describe() + " after the end of model '" +
          model.name.text + "'; a file describes one model");
    return std::nullopt;
  }
  return model;
}

bool RetParser::parseItem(RetModel &model) {
  if (!current.is(TokenKind::Identifier))
    return error("expected a field name or '}', got " + current.describe());
  Token name = current;
  if (!consume())
    return false;
  if (current.is(TokenKind::LBrace)) {
    model.blocks.emplace_back();
    return parseBlock(name, model.blocks.back());
  }
  model.fields.emplace_back();
  return parseFieldRest(name, model.fields.back());
}

bool RetParser::parseBlock(Token name, RetBlock &block) {
  block.name = name;
  block.open = current;
  if (!consume())
    return false;
  while (!current.is(TokenKind::RBrace)) {
    if (current.is(TokenKind::EndOfFile)) {
      error("expected '}' to close block '" + name.text +
            "' before the end of the file");
      diags.note(block.open.range(), "block '" + name.text + "' opened here");
      return false;
    }
    if (!current.is(TokenKind::Identifier))
      return error("expected a field name or '}' in block '" + name.text +
                   "', got " + current.describe());
    Token fieldName = current;
    if (!consume())
      return false;
    if (current.is(TokenKind::LBrace)) {
      diags.error(fieldName.range(),
                  "blocks do not nest: '" + fieldName.text +
                      "' cannot open a block inside block '" + name.text + "'");
      return false;
    }
    block.fields.emplace_back();
    if (!parseFieldRest(fieldName, block.fields.back()))
      return false;
  }
  return consume();
}

bool RetParser::parseFieldRest(Token name, RetField &field) {
  field.name = name;
  if (!current.is(TokenKind::Equal))
    return error("expected '=' or '{' after '" + name.text + "', got " +
                 current.describe());
  if (!consume())
    return false;
  if (!parseValue(name, field.value))
    return false;
  if (!current.is(TokenKind::Semicolon))
    return errorAfterPrevious("expected ';' after the value of '" + name.text +
                              "'");
  return consume();
}

bool RetParser::parseValue(const Token &name, RetValue &value) {
  value.token = current;
  if (current.is(TokenKind::LBracket))
    return parseList(name, value);
  if (!current.isNumber() && !current.is(TokenKind::Identifier))
    return error("expected a value (a number, a word or a [list]) after '" +
                 name.text + " =', got " + current.describe());
  value.range = current.range();
  return consume();
}

bool RetParser::parseList(const Token &name, RetValue &value) {
  value.isList = true;
  Token open = current;
  if (!consume())
    return false;
  while (!current.is(TokenKind::RBracket)) {
    if (current.is(TokenKind::EndOfFile)) {
      error("expected ']' to close the list of '" + name.text +
            "' before the end of the file");
      diags.note(open.range(), "list opened here");
      return false;
    }
    if (!current.isNumber())
      return error("expected a number in the list of '" + name.text +
                   "', got " + current.describe());
    value.elements.push_back(current);
    if (!consume())
      return false;
    if (current.is(TokenKind::Comma)) {
      if (!consume())
        return false;
    } else if (!current.is(TokenKind::RBracket) &&
               !current.is(TokenKind::EndOfFile)) {
      return error("expected ',' or ']' after a number in the list of '" +
                   name.text + "', got " + current.describe());
    }
  }
  value.range = SMRange(open.loc(), current.end());
  return consume();
}

std::optional<RetModel> retc::frontend::parseRetModel(SourceDiagnostics &diags,
                                                      unsigned bufferID) {
  llvm::StringRef buffer =
      diags.getSourceMgr().getMemoryBuffer(bufferID)->getBuffer();
  RetParser parser(diags, buffer);
  return parser.parseFile();
}
