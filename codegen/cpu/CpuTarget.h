//===- CpuTarget.h - the CPU a package is compiled for ----------*- C++ -*-===//
//
// The host CPU's description (triple, name, features, microkernel shape) and
// the back end: LLVM dialect -> optimized LLVM IR -> assembly or object ->
// a shared object linked with ld.lld against libomp.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_CPU_CPUTARGET_H
#define RETC_CODEGEN_CPU_CPUTARGET_H

#include "codegen/cpu/TileEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir::retention {

/// The CPU a package targets and the microkernel shape chosen for it.
struct CpuTarget {
  std::string triple;
  std::string cpu;
  std::string features; ///< "+avx2,+fma,..." as LLVM spells them
  MicroTile tile;

  /// The machine retc runs on: AVX-512 gets 16 lanes (8 x 2 registers
  /// tiles), AVX2 8 lanes (4 x 2), anything else 4 lanes.
  static CpuTarget host();

  /// An x86-64 CPU by LLVM name ("znver4", "x86-64-v3", "skylake-avx512",
  /// ...) with the features that name implies; nullopt for an unknown name.
  static std::optional<CpuTarget> named(llvm::StringRef cpu);
};

/// Translates an LLVM-dialect module to LLVM IR for `target`, optimized at
/// -O3 with the target's cost model.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                  const CpuTarget &target);

/// Assembly text of `module` for `target`.
llvm::Expected<std::string> emitAssembly(llvm::Module &module,
                                         const CpuTarget &target);

/// A shared object (the bytes of the .so) holding `module`'s code, linked
/// with ld.lld against libomp unless `openmp` is false (a GPU model's host
/// program, which runs no parallel loops and must load where there is no
/// libomp).
llvm::Expected<std::string> emitSharedObject(llvm::Module &module,
                                             const CpuTarget &target,
                                             bool openmp = true);

} // namespace mlir::retention

#endif // RETC_CODEGEN_CPU_CPUTARGET_H
