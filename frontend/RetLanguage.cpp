//===- RetLanguage.cpp - reading a .ret model description -----------------===//
//
// See RetLanguage.h.
//
//===----------------------------------------------------------------------===//
#include "frontend/RetLanguage.h"
#include "frontend/RetParser.h"
#include "frontend/RetSema.h"

using namespace retc::frontend;

bool retc::frontend::readRetModel(std::unique_ptr<llvm::MemoryBuffer> buffer,
                                  ModelConfig &config,
                                  llvm::raw_ostream &errs) {
  llvm::SourceMgr sourceMgr;
  unsigned bufferID = sourceMgr.AddNewSourceBuffer(std::move(buffer), {});
  SourceDiagnostics diags(sourceMgr, errs);
  std::optional<RetModel> model = parseRetModel(diags, bufferID);
  if (!model)
    return false;
  return resolveRetModel(*model, diags, config);
}
