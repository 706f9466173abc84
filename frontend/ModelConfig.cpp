//===- ModelConfig.cpp - the resolved model description ---------------------===//
//
// Placeholder until the .ret language and the config.json reader land.
//
//===----------------------------------------------------------------------===//
#include "frontend/ModelConfig.h"

namespace retc::frontend {
std::vector<double> ModelConfig::gammas() const { return {}; }
bool ModelConfig::verify(llvm::raw_ostream &os, llvm::StringRef where) const {
  return true;
}
void ModelConfig::print(llvm::raw_ostream &os) const {}
bool loadModelConfig(llvm::StringRef path, ModelConfig &config,
                     llvm::raw_ostream &errs) {
  errs << path << ": error: model descriptions are not implemented yet\n";
  return false;
}
} // namespace retc::frontend
