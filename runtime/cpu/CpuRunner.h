//===- CpuRunner.h - Running a kernel on the host CPU -----------*- C++ -*-===//
//
// The CPU KernelRunner: checks the host has the instruction-set extensions
// the package was compiled for (CpuFeatures.h), loads the shared object
// (CpuKernel.h) and calls it on the Session's host buffers.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_RUNTIME_CPURUNNER_H
#define RETC_RUNTIME_CPURUNNER_H

#include "runtime/cpu/CpuKernel.h"
#include "runtime/KernelRunner.h"
#include "runtime/package/Package.h"

#include <memory>

namespace retc::rt {

/// Fails with "<package>: compiled for a CPU with avx512f, which this CPU
/// lacks" if the host lacks a feature of the package's `target.features`
/// (CpuFeatures.h); run before any of the package's code is loaded.
Error checkHostCpuFeatures(const Package &package);
/// The same for `target`, a cpu target other than the package's own (a GPU
/// model's `model.host_target`).
Error checkHostCpuFeatures(const Package &package, const TargetDesc &target);

class CpuRunner : public KernelRunner {
public:
  /// A runner for `kernel` of `package`; both must outlive it.
  CpuRunner(const Package &package, const KernelDesc &kernel)
      : pkg(package), desc(kernel) {}

  /// Fails with "<package>: compiled for a CPU with avx512f, which this CPU
  /// lacks" before any code is loaded, then as CpuKernel::load does.
  Error load() override;
  Error run(const std::vector<void *> &host, const RunOptions &options,
            std::vector<double> *seconds) override;
  std::string where() const override { return "cpu"; }

private:
  const Package &pkg;
  const KernelDesc &desc;
  std::unique_ptr<CpuKernel> kernel;
};

} // namespace retc::rt

#endif // RETC_RUNTIME_CPURUNNER_H
