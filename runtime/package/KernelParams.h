//===- KernelParams.h - The parameters each kernel kind has -----*- C++ -*-===//
//
// What a kernel's kind and sizes make of its parameter list: the names, in
// ABI order, their roles, whether each is required, and the dtype and shape
// each must have. The manifest checks (Manifest.cpp) compare a manifest's
// `params` with this; the record of what code was compiled for
// (CompiledFor.cpp) and retc-run --describe print the sizes the same way.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_PACKAGE_KERNELPARAMS_H
#define RETC_RUNTIME_PACKAGE_KERNELPARAMS_H

#include "runtime/package/Package.h"

#include <string>
#include <vector>

namespace retc::rt {

/// One parameter a kernel of its kind has (or, if not `required`, may
/// have), with the dtype and shape its sizes make.
struct ExpectedParam {
  const char *name;
  ParamRole role;
  bool required;
  DType dtype;
  std::vector<int64_t> shape;
  /// Why it has that dtype, for messages: "the kernel dtype", "states are
  /// always f32".
  const char *dtypeReason;
};

/// The parameters of `kernel`'s kind in ABI order (inputs, then outputs),
/// with the dtypes and shapes `kernel.dtype` and its sizes make.
std::vector<ExpectedParam> expectedParams(const KernelDesc &kernel);

/// The parameter names of `kind`, for messages: "q, k, v, s0, o, state".
std::string paramNames(KernelKind kind);

/// The kernel's sizes as messages and the compiled-for record write them:
/// "B=2 T=5 H=3 K=4 V=6" (retention) or "M=3 N=5 K=7" (linear).
std::string describeSizes(const KernelDesc &kernel);

} // namespace retc::rt

#endif // RETC_RUNTIME_PACKAGE_KERNELPARAMS_H
