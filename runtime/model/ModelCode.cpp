//===- ModelCode.cpp - The shared object of a model package ---------------===//
//
// See ModelCode.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/model/ModelCode.h"
#include "runtime/cpu/CpuKernel.h"
#include "runtime/package/CompiledFor.h"

#include <dlfcn.h>

namespace retc::rt {

Expected<std::vector<std::pair<std::string, void *>>>
loadModelEntries(const Package &pkg) {
  const ModelManifest &manifest = *pkg.manifest.model;
  const BlobDesc *blob = pkg.manifest.findBlob(manifest.blob);
  std::string context = pkg.path + ": blob '" + blob->name + "' of the model";
  Expected<void *> handle =
      loadSharedObject(pkg.blobData(*blob), blob->size, context);
  if (!handle)
    return handle.error();
  Expected<std::string> recorded = readCompiledFor(*handle, context);
  if (!recorded)
    return recorded.error();
  if (Error err = checkCompiledFor(
          describeCompiledFor(pkg.manifest, blob->name), *recorded, context))
    return err;
  std::vector<std::pair<std::string, void *>> entries;
  for (const ModelEntryDesc &entry : manifest.entries) {
    ::dlerror();
    void *address = ::dlsym(*handle, entry.symbol.c_str());
    if (!address)
      return Error::failure(context + " does not export the entry symbol '" +
                            entry.symbol + "' (entry '" + entry.name + "')");
    entries.emplace_back(entry.name, address);
  }
  return entries;
}

} // namespace retc::rt
