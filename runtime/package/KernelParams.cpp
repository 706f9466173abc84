//===- KernelParams.cpp - The parameters each kernel kind has ---*- C++ -*-===//
//
// See KernelParams.h.
//
//===----------------------------------------------------------------------===//
#include "runtime/package/KernelParams.h"

namespace retc::rt {

namespace {
constexpr const char *kKernelDType = "the kernel dtype";
constexpr const char *kStateDType = "states are always f32";

std::vector<ExpectedParam> retentionParams(const KernelDesc &kernel) {
  const RetentionShape &s = kernel.shape;
  DType t = kernel.dtype;
  std::vector<int64_t> qk = {s.B, s.T, s.H, s.K}, v = {s.B, s.T, s.H, s.V},
                       state = {s.B, s.H, s.K, s.V};
  return {
      {"q", ParamRole::Input, true, t, qk, kKernelDType},
      {"k", ParamRole::Input, true, t, qk, kKernelDType},
      {"v", ParamRole::Input, true, t, v, kKernelDType},
      {"s0", ParamRole::Input, false, DType::F32, state, kStateDType},
      {"o", ParamRole::Output, true, t, v, kKernelDType},
      {"state", ParamRole::Output, true, DType::F32, state, kStateDType},
  };
}

std::vector<ExpectedParam> linearParams(const KernelDesc &kernel) {
  const LinearShape &s = kernel.linear;
  DType t = kernel.dtype;
  return {
      {"x", ParamRole::Input, true, t, {s.M, s.K}, kKernelDType},
      {"weight", ParamRole::Input, true, t, {s.N, s.K}, kKernelDType},
      {"residual", ParamRole::Input, false, t, {s.M, s.N}, kKernelDType},
      {"y", ParamRole::Output, true, t, {s.M, s.N}, kKernelDType},
  };
}
} // namespace

std::vector<ExpectedParam> expectedParams(const KernelDesc &kernel) {
  return kernel.kind == KernelKind::Linear ? linearParams(kernel)
                                           : retentionParams(kernel);
}

std::string paramNames(KernelKind kind) {
  KernelDesc any;
  any.kind = kind;
  std::string names;
  for (const ExpectedParam &param : expectedParams(any))
    names += (names.empty() ? "" : ", ") + std::string(param.name);
  return names;
}

std::string describeSizes(const KernelDesc &kernel) {
  if (kernel.kind == KernelKind::Linear) {
    const LinearShape &s = kernel.linear;
    return "M=" + std::to_string(s.M) + " N=" + std::to_string(s.N) +
           " K=" + std::to_string(s.K);
  }
  const RetentionShape &s = kernel.shape;
  return "B=" + std::to_string(s.B) + " T=" + std::to_string(s.T) +
         " H=" + std::to_string(s.H) + " K=" + std::to_string(s.K) +
         " V=" + std::to_string(s.V);
}

} // namespace retc::rt
