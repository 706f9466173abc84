//===- HFConfig.cpp - fuzzes the config.json reader -----------------------===//
//
// libFuzzer harness of readHFConfig (frontend/HFConfig.h), the entry
// loadModelConfig and so `retc CHECKPOINT` use. Oracle: besides the
// sanitizers, a config that reads must print as `.ret` text that the .ret
// reader reads back to the same printout (test/frontend/hf-config.test's
// round trip).
//
//===----------------------------------------------------------------------===//
#include "frontend/HFConfig.h"
#include "frontend/RetLanguage.h"

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <string>

using namespace retc::frontend;

static std::string printed(const ModelConfig &config) {
  std::string text;
  llvm::raw_string_ostream os(text);
  config.print(os);
  return text;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      llvm::MemoryBuffer::getMemBufferCopy(text, "config.json");
  ModelConfig config;
  // llvm::nulls() still formats every diagnostic, then drops it.
  if (!readHFConfig(std::move(buffer), /*checkpointDirectory=*/"", config,
                    llvm::nulls()))
    return 0;
  std::string first = printed(config);
  std::unique_ptr<llvm::MemoryBuffer> reprinted =
      llvm::MemoryBuffer::getMemBufferCopy(first, "printed.ret");
  ModelConfig again;
  if (!readRetModel(std::move(reprinted), again, llvm::errs())) {
    llvm::errs() << "fuzz-hf-config: the printout does not read back:\n"
                 << first;
    std::abort();
  }
  std::string second = printed(again);
  if (second != first) {
    llvm::errs() << "fuzz-hf-config: the printout reads back as another "
                    "model:\n"
                 << first << "--- reads back as ---\n"
                 << second;
    std::abort();
  }
  return 0;
}
