//===- ModelCode.h - The shared object of a model package -------*- C++ -*-===//
//
// Internal to runtime/model: what a cpu model's code and a cuda model's
// host program have in common. Both are the shared object of manifest
// `model.blob`, loaded once, checked against the manifest (its
// retc_compiled_for record) and asked for one exported function per entry.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_MODEL_MODELCODE_H
#define RETC_RUNTIME_MODEL_MODELCODE_H

#include "runtime/Status.h"
#include "runtime/package/Package.h"

#include <string>
#include <utility>
#include <vector>

namespace retc::rt {

/// Loads the shared object of `pkg`'s model (which stays loaded until the
/// process exits, as CPU kernels' do), checks what it records it was
/// compiled for against the manifest, and returns the address of every
/// entry's symbol, by entry name, in manifest order. The host CPU is the
/// caller's to check first. Fails with "<package>: blob 'model.so' of the
/// model does not export the entry symbol ..." and the like.
Expected<std::vector<std::pair<std::string, void *>>>
loadModelEntries(const Package &pkg);

} // namespace retc::rt

#endif // RETC_RUNTIME_MODEL_MODELCODE_H
