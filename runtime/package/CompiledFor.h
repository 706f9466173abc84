//===- CompiledFor.h - What a blob's code was compiled for ------*- C++ -*-===//
//
// A package's checksums (Package.h) show that nothing changed after it was
// written; they cannot show that the manifest describes the code. So retc
// records in the code itself what it compiled it for: every blob exports
// the NUL-terminated text RETC_COMPILED_FOR_SYMBOL (KernelABI.h), made by
// `describeCompiledFor` from the manifest retc is about to write, and the
// runtime, before it calls any of that code, compares it with the text the
// manifest it read makes (`checkCompiledFor`). The text has one line per
// manifest field that the code depends on, keyed by the field's path:
//
//   retc-compiled-for 1
//   target.kind cpu
//   target.features +avx,+avx2,...
//   kernels[0].entry retention
//   kernels[0].shape B=1 T=37 H=1 K=4 V=4
//   kernels[0].params[3] s0 input f32 [1,1,4,4]
//   model.weights[2] model.layers.0.attn.q_proj.weight f32 [16,16]
//   ...
//
// so that a mismatch names the field (docs/package-format.md, "What the
// code was compiled for").
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_PACKAGE_COMPILEDFOR_H
#define RETC_RUNTIME_PACKAGE_COMPILEDFOR_H

#include "runtime/Status.h"
#include "runtime/package/Package.h"

#include <string>
#include <string_view>

namespace retc::rt {

/// The first line of the text; a reader refuses any other.
inline constexpr const char *kCompiledForVersionLine = "retc-compiled-for 1";

/// The text the code in blob `blob` records: the version line, the target,
/// and every field of each kernel whose code is in `blob` and of the model
/// if its code is there (not the kernel's blob name, the producer or the
/// blob table), one `<field path> <value>` line each, ending in '\n'. Of
/// a GPU model (a cuda target), the host program (`model.blob`) records
/// the target, `model.host_target`, the model's fields as a CPU model's
/// code does, `model.kernels`, `model.max_tokens` and `model.arena_bytes`;
/// the CUDA module (`model.kernels_blob`) the target and `model.kernels`.
std::string describeCompiledFor(const Manifest &manifest,
                                const std::string &blob);

/// Compares `recorded`, the text read from the code, with `expected`, what
/// describeCompiledFor makes of the manifest; on a difference fails with
/// "<context> was compiled for something other than the manifest
/// describes: manifest field 'kernels[0].params[3]' is "o output f32
/// [1,37,1,4]" where the code has "s0 input f32 [1,1,4,4]"" (or "... which
/// the code does not have", "the code has field ... which the manifest
/// lacks"). `context` names the blob ("<package>: blob 'kernel.so' of
/// kernel 'retention'").
Error checkCompiledFor(std::string_view expected, std::string_view recorded,
                       const std::string &context);

} // namespace retc::rt

#endif // RETC_RUNTIME_PACKAGE_COMPILEDFOR_H
