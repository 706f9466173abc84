//===- RetLanguage.cpp - fuzzes the .ret reader ---------------------------===//
//
// libFuzzer harness of readRetModel (frontend/RetLanguage.h), the entry
// loadModelConfig and so `retc MODEL.ret` use: lexer, parser and checks.
// Oracle: besides the sanitizers, a model that reads must print as `.ret`
// text that reads back to the same printout (retc --emit=config's promise).
//
//===----------------------------------------------------------------------===//
#include "frontend/RetLanguage.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace retc::frontend;

/// Reads `text` named `name` (the tools' buffers end in a NUL, as
/// getMemBufferCopy's do); diagnostics go to `errs`.
static bool readText(llvm::StringRef text, llvm::StringRef name,
                     ModelConfig &config, llvm::raw_ostream &errs) {
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      llvm::MemoryBuffer::getMemBufferCopy(text, name);
  return readRetModel(std::move(buffer), config, errs);
}

static std::string printed(const ModelConfig &config) {
  std::string text;
  llvm::raw_string_ostream os(text);
  config.print(os);
  return text;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  ModelConfig config;
  // llvm::nulls() still formats every diagnostic, then drops it.
  if (!readText(text, "fuzz.ret", config, llvm::nulls()))
    return 0;
  std::string first = printed(config);
  ModelConfig again;
  if (!readText(first, "printed.ret", again, llvm::errs())) {
    llvm::errs() << "fuzz-ret-language: the printout does not read back:\n"
                 << first;
    std::abort();
  }
  std::string second = printed(again);
  if (second != first) {
    llvm::errs() << "fuzz-ret-language: the printout reads back as another "
                    "model:\n"
                 << first << "--- reads back as ---\n"
                 << second;
    std::abort();
  }
  return 0;
}
