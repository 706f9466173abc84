//===- CpuTarget.cpp - the CPU a package is compiled for ------------------===//
//
// See CpuTarget.h.
//
//===----------------------------------------------------------------------===//
#include "codegen/cpu/CpuTarget.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/X86TargetParser.h"

using namespace mlir;
using namespace mlir::retention;

/// The target for `cpu` with the enabled `features`, and the microkernel
/// shape they allow.
static CpuTarget makeTarget(llvm::StringRef cpu,
                            const llvm::StringMap<bool> &features) {
  CpuTarget t;
  t.triple = llvm::sys::getDefaultTargetTriple();
  t.cpu = cpu.str();
  std::vector<std::string> enabled;
  for (auto &f : features)
    if (f.second)
      enabled.push_back("+" + f.first().str());
  llvm::sort(enabled);
  t.features = llvm::join(enabled, ",");
  if (features.lookup("avx512f"))
    t.tile = {16, 8, 2};
  else if (features.lookup("avx2") && features.lookup("fma"))
    t.tile = {8, 4, 2};
  else
    t.tile = {4, 4, 2};
  return t;
}

CpuTarget CpuTarget::host() {
  return makeTarget(llvm::sys::getHostCPUName(),
                    llvm::sys::getHostCPUFeatures());
}

std::optional<CpuTarget> CpuTarget::named(llvm::StringRef cpu) {
  if (llvm::X86::parseArchX86(cpu, /*Only64Bit=*/true) ==
      llvm::X86::CK_None)
    return std::nullopt;
  llvm::SmallVector<llvm::StringRef> names;
  llvm::X86::getFeaturesForCPU(cpu, names);
  // The CPU's own features and everything they imply (avx512vl: avx512f).
  llvm::StringMap<bool> features;
  for (llvm::StringRef name : names) {
    features[name] = true;
    llvm::X86::updateImpliedFeatures(name, /*Enabled=*/true, features);
  }
  return makeTarget(cpu, features);
}

static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const CpuTarget &target) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  std::string error;
  llvm::Triple triple(target.triple);
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return llvm::createStringError("no LLVM target for '" + target.triple +
                                   "': " + error);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(
      llvmTarget->createTargetMachine(triple, target.cpu, target.features,
                                      options, llvm::Reloc::PIC_,
                                      std::nullopt,
                                      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for " +
                                   target.triple + " " + target.cpu);
  return std::move(machine);
}

llvm::Expected<std::unique_ptr<llvm::Module>>
mlir::retention::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                                   const CpuTarget &target) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "retc_kernels");
  if (!llvmModule)
    return llvm::createStringError("translation to LLVM IR failed");
  auto machine = createTargetMachine(target);
  if (!machine)
    return machine.takeError();
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());
  // Every function is tuned for the target CPU (vector width, features).
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", target.cpu);
    f.addFnAttr("target-features", target.features);
  }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(machine->get());
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(*llvmModule, mam);
  return llvmModule;
}

static llvm::Expected<std::string>
emitFile(llvm::Module &module, const CpuTarget &target,
         llvm::CodeGenFileType type) {
  auto machine = createTargetMachine(target);
  if (!machine)
    return machine.takeError();
  llvm::SmallVector<char, 0> out;
  llvm::raw_svector_ostream os(out);
  llvm::legacy::PassManager pm;
  if ((*machine)->addPassesToEmitFile(pm, os, nullptr, type))
    return llvm::createStringError("the target cannot emit this file type");
  pm.run(module);
  return std::string(out.begin(), out.end());
}

llvm::Expected<std::string>
mlir::retention::emitAssembly(llvm::Module &module, const CpuTarget &target) {
  return emitFile(module, target, llvm::CodeGenFileType::AssemblyFile);
}

/// Removes the temporary files it names when it goes out of scope.
namespace {
struct TempFiles {
  llvm::SmallVector<llvm::SmallString<128>> paths;
  ~TempFiles() {
    for (auto &p : paths)
      llvm::sys::fs::remove(p);
  }
};
} // namespace

llvm::Expected<std::string>
mlir::retention::emitSharedObject(llvm::Module &module,
                                  const CpuTarget &target, bool openmp) {
  auto object = emitFile(module, target, llvm::CodeGenFileType::ObjectFile);
  if (!object)
    return object.takeError();
  TempFiles temps;
  temps.paths.resize(3);
  int fd;
  if (auto ec = llvm::sys::fs::createTemporaryFile("retc-kernel", "o", fd,
                                                   temps.paths[0]))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  {
    // A write that fails (a full disk, a file-size limit) is an error naming
    // the file, not the stream's fatal "IO failure on output stream" when it
    // is destroyed; the temporaries go either way.
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << *object;
    os.close();
    if (std::error_code ec = os.error()) {
      os.clear_error();
      return llvm::createStringError(llvm::Twine("cannot write the object "
                                                 "file ") +
                                     temps.paths[0] + ": " + ec.message());
    }
  }
  if (auto ec = llvm::sys::fs::createTemporaryFile("retc-kernel", "so",
                                                   temps.paths[1]))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  if (auto ec = llvm::sys::fs::createTemporaryFile("retc-link", "log",
                                                   temps.paths[2]))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  llvm::StringRef libomp = RETC_LIBOMP_PATH;
  std::string rpath = llvm::sys::path::parent_path(libomp).str();
  llvm::SmallVector<llvm::StringRef> args = {
      RETC_LLD_PATH, "-shared", "--no-undefined-version", "-O2",
      "-o",          temps.paths[1], temps.paths[0],
      // Conversions the CPU may lack (f32 -> bf16 without AVX512-BF16, f16
      // without F16C) come from compiler-rt, linked in statically.
      RETC_CLANG_RT_BUILTINS};
  if (openmp)
    args.append({libomp, "-rpath", rpath});
  std::string error;
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(temps.paths[2]),
      llvm::StringRef(temps.paths[2])};
  int rc = llvm::sys::ExecuteAndWait(RETC_LLD_PATH, args, std::nullopt,
                                     redirects, 0, 0, &error);
  if (rc != 0) {
    // The linker's messages on one line: its errors where it names any
    // (a write past a file-size limit also makes ld.lld's signal handler
    // print a stack dump before it reports "failed to open ...: File too
    // large"), else all of them.
    std::string log, errors;
    if (auto buf = llvm::MemoryBuffer::getFile(temps.paths[2])) {
      llvm::SmallVector<llvm::StringRef> lines;
      (*buf)->getBuffer().split(lines, '\n', /*MaxSplit=*/-1,
                                /*KeepEmpty=*/false);
      for (llvm::StringRef line : lines) {
        line = line.trim();
        if (line.empty())
          continue;
        log += (log.empty() ? "" : "; ") + line.str();
        if (line.contains("error:"))
          errors += (errors.empty() ? "" : "; ") + line.str();
      }
    }
    if (!errors.empty())
      log = errors;
    return llvm::createStringError("linking the kernel with " +
                                   std::string(RETC_LLD_PATH) + " failed: " +
                                   (log.empty() ? error : log));
  }
  auto so = llvm::MemoryBuffer::getFile(temps.paths[1]);
  if (!so)
    return llvm::createStringError("cannot read the linked kernel: " +
                                   so.getError().message());
  return (*so)->getBuffer().str();
}
