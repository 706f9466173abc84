//===- retc.cpp - the retc compiler driver ---------------------------------===//
//
// Options and I/O only: builds the graph-level IR of the requested kernel
// (frontend/), runs the pipelines of codegen/Pipelines.h stage by stage,
// stops where --emit says, and writes a package.
//
//===----------------------------------------------------------------------===//
#include "codegen/Pipelines.h"
#include "codegen/common/CompiledForRecord.h"
#include "codegen/cpu/CpuTarget.h"
#include "codegen/gpu/CompiledGpuModule.h"
#include "codegen/gpu/GemvKernel.h"
#include "codegen/gpu/GpuTargetInfo.h"
#include "dialect/RetentionDialect.h"
#include "dialect/RetentionOps.h"
#include "frontend/KernelSpec.h"
#include "frontend/LinearSpec.h"
#include "frontend/ModelBuilder.h"
#include "frontend/ModelConfig.h"
#include "runtime/FileIO.h"
#include "tools/retc/PackageWriter.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

using namespace mlir;
using namespace mlir::retention;
namespace cl = llvm::cl;

namespace {
/// Where compilation stops (--emit).
enum class Stage {
  Config,
  Retention,
  Form,
  Schedule,
  Loops,
  Buffers,
  LLVM,
  LLVMIR,
  Asm,
  Package
};

cl::OptionCategory category("retc options");

cl::opt<std::string> modelPath(
    cl::Positional,
    cl::desc("<model: a .ret file, an HF-style checkpoint directory or its "
             "config.json>"),
    cl::init(""), cl::cat(category));
cl::opt<std::string> kernelName(
    "kernel",
    cl::desc("the kernel to compile: 'retention', or 'linear' (a GEMM with "
             "f32 accumulation, y[M,N] = x[M,K] weight[N,K]^T (+ residual), "
             "the projections of a model)"),
    cl::value_desc("retention|linear"), cl::cat(category));
cl::opt<RetentionForm> form(
    "form", cl::desc("the computational form (default: auto, chosen from T)"),
    cl::values(clEnumValN(RetentionForm::Auto, "auto",
                          "recurrent for T = 1, parallel for T <= 64, else "
                          "chunkwise"),
               clEnumValN(RetentionForm::Parallel, "parallel",
                          "masked attention over the whole sequence"),
               clEnumValN(RetentionForm::Chunkwise, "chunkwise",
                          "attention inside chunks, a state across chunks"),
               clEnumValN(RetentionForm::Recurrent, "recurrent",
                          "one state update per token")),
    cl::init(RetentionForm::Auto), cl::cat(category));
cl::opt<int64_t> chunk("chunk",
                       cl::desc("chunk size of the chunkwise form (default "
                                "64; on GPUs with 16-bit inputs and K > 128 "
                                "32, except where sm_90a's wgmma kernel "
                                "takes the shape; with --gpu-mma-all=false "
                                "and 16-bit inputs the largest of 32, 16 "
                                "whose staged tiles fit; a model's prefill: "
                                "the model's chunk hint, else 64)"),
                       cl::value_desc("C"), cl::init(64), cl::cat(category));
cl::opt<std::string>
    shape("shape",
          cl::desc("sizes: retention: batch, sequence length, heads, key "
                   "dim, value dim; linear: rows (tokens), outputs, inputs"),
          cl::value_desc("B,T,H,K,V|M,N,K"), cl::cat(category));
cl::opt<std::string> dtype(
    "dtype",
    cl::desc("retention: element type of q, k, v and the output (the state "
             "is always f32); linear: of x, weight, residual and y (f32 only "
             "on the cpu target); models: the model's dtype, overriding its "
             "description's: of the weight matrices and of the activations "
             "that feed projections and retention (norm scales, the "
             "residual stream, the state and the logits stay f32; bf16 and "
             "f16 need a GPU target; the runtime converts checkpoints of "
             "another type at load)"),
    cl::value_desc("f32|bf16|f16"), cl::init("f32"), cl::cat(category));
cl::opt<bool> residual("residual",
                       cl::desc("linear: the kernel takes residual [M,N] "
                                "and adds it to its output"),
                       cl::cat(category));
cl::opt<bool> initialState("initial-state",
                           cl::desc("the kernel takes an initial state s0 "
                                    "[B,H,K,V] (f32)"),
                           cl::cat(category));
cl::opt<std::string>
    decay("decay",
          cl::desc("per-head decay: 'retnet' (1 - 2^(-5-h)), 'paper' "
                   "(1 - exp(linspace(log 1/32, log 1/512, H))) or one value "
                   "in (0,1) per head"),
          cl::value_desc("retnet|paper|g0,g1,..."), cl::init("retnet"),
          cl::cat(category));
cl::opt<std::string> scale("scale",
                           cl::desc("factor applied to q (default K^-1/2)"),
                           cl::value_desc("S"), cl::cat(category));
cl::opt<std::string> target(
    "target",
    cl::desc("target: 'cpu' (the host CPU) or an NVIDIA GPU architecture "
             "(sm_80, sm_90, sm_90a)"),
    cl::value_desc("cpu|sm_80|sm_90|sm_90a"), cl::init("cpu"),
    cl::cat(category));
cl::opt<int64_t> maxTokens(
    "max-tokens",
    cl::desc("GPU models: the most tokens one prefill or forward call "
             "takes (longer inputs are split into calls by the runtime); "
             "sizes the activation arena"),
    cl::value_desc("N"), cl::init(1024), cl::cat(category));
cl::opt<int64_t> maxBatch(
    "max-batch",
    cl::desc("Models: add the entry decode_batch, one decode step of up to N "
             "sequences at once, each at its own position with its own state "
             "slot, and on the CPU prefill_batch, the prefill of up to N "
             "prompts packed into one call (0: no such entries)"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<std::string> gpuBinary(
    "gpu-binary",
    cl::desc("GPU: what the package holds: 'ptx' (compiled by the driver "
             "on first load; runs on the target architecture and newer) or "
             "'cubin' (from ptxas here; runs on the target's major "
             "architecture only)"),
    cl::value_desc("ptx|cubin"), cl::init("ptx"), cl::cat(category));
cl::opt<std::string> cpuName(
    "cpu",
    cl::desc("CPU target: the x86-64 CPU to compile for, by LLVM name "
             "(e.g. x86-64-v3, x86-64-v4, znver4, skylake-avx512); its "
             "features decide the vector width and are recorded in the "
             "package, which refuses to run where they are missing"),
    cl::value_desc("name|host"), cl::init("host"), cl::cat(category));
cl::opt<std::string> cudaToolkit(
    "cuda-toolkit",
    cl::desc("GPU: the CUDA toolkit whose libdevice (and, for cubins, "
             "ptxas) compile the kernel"),
    cl::value_desc("dir"), cl::init("/usr/local/cuda"), cl::cat(category));
cl::opt<int64_t> gpuBlock("gpu-block",
                          cl::desc("GPU, chunkwise and parallel forms: threads "
                                   "per block (value columns per block), a "
                                   "multiple of 32; 0 chooses from the shape "
                                   "and the target's SM count"),
                          cl::value_desc("N"), cl::init(0),
                          cl::cat(category));
cl::opt<bool> gpuMmaAll(
    "gpu-mma-all",
    cl::desc("GPU, chunkwise form with bf16/f16 inputs: every chunk matmul "
             "on tensor cores, the state in registers (chunk and K multiples "
             "of 16, V of 8; other shapes, and f32, take the SIMT kernel); "
             "default chunk 64. On by default; --gpu-mma-all=false selects "
             "the SIMT kernel with only the score tile on tensor cores"),
    cl::init(true), cl::cat(category));
cl::opt<int64_t> gpuVSlice("gpu-v-slice",
                           cl::desc("with --gpu-mma-all: value columns per "
                                    "block, 16, 32, 64 or 128 (16 per warp); "
                                    "0 chooses from the shape"),
                           cl::value_desc("N"), cl::init(0),
                           cl::cat(category));
cl::opt<int64_t> gpuSegments(
    "gpu-segments",
    cl::desc("with --gpu-mma-all, chunkwise form: split T into N segments "
             "(segment states, a scan, then outputs: three launches and a "
             "workspace) so that small B*H fills the GPU; 0 chooses from "
             "the shape, 1 is the single kernel"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<int64_t> gpuStages(
    "gpu-stages",
    cl::desc("with --gpu-mma-all, chunkwise form: buffers of staged q, k, v "
             "rows; N > 1 keeps the next N - 1 chunks' copies (cp.async) in "
             "flight while this one is computed, 1 stages each chunk in "
             "turn; 0 chooses (2 for the outputs, 3 for the segment states "
             "kernel, where they fit in the target's shared memory)"),
    cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<bool> gpuWgmma(
    "gpu-wgmma",
    cl::desc("with --target=sm_90a and --gpu-mma-all, chunkwise form: the "
             "kernel on wgmma (warpgroup MMA, chunk 64, K up to 256, "
             "v-slice 0, 64 or 128). The default on sm_90a where the shape "
             "allows it (else the mma.sync kernel, or for f32 and V not a "
             "multiple of 8 the SIMT one); --gpu-wgmma makes it an "
             "error where the shape does not, --gpu-wgmma=false selects the "
             "mma.sync kernel (docs/gpu-codegen.md)"),
    cl::init(false), cl::cat(category));
cl::opt<std::string> gemmSchedule(
    "gemm-schedule",
    cl::desc("--kernel=linear on a GPU target: the kernel's "
             "#retention.gemm_schedule instead of the one retc chooses, its "
             "parameters as --emit=schedule prints them, e.g. 'kernel = "
             "mma_sync, block_m = 64, block_n = 128, block_k = 32, warps_m = "
             "2, warps_n = 4, stages = 4' (shared_bytes is filled in); checked "
             "against the shape and the target (docs/gpu-codegen.md, \"GEMM "
             "kernels\")"),
    cl::value_desc("PARAMS"), cl::cat(category));
cl::opt<std::string> output("o",
                            cl::desc("output file ('-' for stdout; default "
                                     "stdout for --emit stages before "
                                     "package)"),
                            cl::value_desc("file"), cl::cat(category));
cl::opt<Stage> emit(
    "emit", cl::desc("stop after a stage and print it"),
    cl::values(
        clEnumValN(Stage::Config, "config",
                   "models: the resolved model description, in the .ret "
                   "language"),
        clEnumValN(Stage::Retention, "retention",
                   "graph-level IR: one retention.retention op (a linear "
                   "kernel: one retention.linear; a model: its entry points "
                   "over graph ops)"),
        clEnumValN(Stage::Form, "form",
                   "after form selection (a model: and elementwise fusion)"),
        clEnumValN(Stage::Schedule, "schedule",
                   "GPU: each form op with the #retention.gpu_schedule it "
                   "will be lowered with (kernel family, chunk, block, "
                   "slices, stages, segments, shared memory), and on "
                   "stderr a remark saying why (a GPU model: the host "
                   "program's launches and every kernel function)"),
        clEnumValN(Stage::Loops, "loops",
                   "tiled, vectorized loop nests (scf, vector, memref); "
                   "GPU: the kernels as gpu.modules"),
        clEnumValN(Stage::Buffers, "buffers",
                   "after bufferization, outputs as parameters (a GPU "
                   "model: the host program on the arena, with its launch "
                   "and copy requests)"),
        clEnumValN(Stage::LLVM, "llvm",
                   "LLVM dialect with OpenMP and the package entry point "
                   "(GPU: NVVM; a GPU model: the host program, then the "
                   "kernels)"),
        clEnumValN(Stage::LLVMIR, "llvm-ir",
                   "optimized LLVM IR (CPU code: a kernel, a model, a GPU "
                   "model's host program)"),
        clEnumValN(Stage::Asm, "asm", "target assembly"),
        clEnumValN(Stage::Package, "package",
                   "the package file (the default)")),
    cl::init(Stage::Package), cl::cat(category));

/// Prints "retc: error: <message>" and returns 1.
int error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "retc") << message << "\n";
  return 1;
}

/// llvm::cl keeps the last of a repeated option silently; retc takes each
/// option once, so a repeat (which one was meant?) is an error naming the
/// option. Returns the exit status, 0 when no option is repeated.
int refuseRepeatedOptions() {
  std::vector<cl::Option *> repeated;
  for (const auto &entry : cl::getRegisteredOptions())
    if (entry.second->getNumOccurrences() > 1 &&
        llvm::is_contained(entry.second->Categories, &category))
      repeated.push_back(entry.second);
  if (repeated.empty())
    return 0;
  // The one whose last occurrence comes first on the command line.
  cl::Option *first = *llvm::min_element(
      repeated, [](cl::Option *a, cl::Option *b) {
        return a->getPosition() < b->getPosition();
      });
  std::string name =
      (first->ArgStr.size() == 1 ? "-" : "--") + first->ArgStr.str();
  return error(name + " is given " + llvm::Twine(first->getNumOccurrences()) +
               " times; give each option once");
}

/// Writes `text` to the output file (stdout by default): a regular file
/// through a temporary renamed into place, a character device (/dev/null)
/// or FIFO in place (docs/retc.md, "Output files").
int writeOutput(llvm::StringRef text) {
  auto body = [&](std::FILE *file) {
    return std::fwrite(text.data(), 1, text.size(), file) == text.size();
  };
  if (output.empty() || output == "-") {
    errno = 0;
    if (!body(stdout) || std::fflush(stdout) != 0)
      return error(llvm::Twine("<stdout>: write failed: ") +
                   std::strerror(errno ? errno : EIO));
    return 0;
  }
  if (retc::rt::Error err = retc::rt::writeFileAtomically(
          output, body, retc::rt::SpecialOutput::WriteInPlace))
    return error(err.message());
  return 0;
}

int writeIR(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os);
  return writeOutput(text);
}

/// Diagnostics from verifiers and passes, one line each with no IR dump:
/// errors as `retc: error: ...`, remembered in `sawError` (a stage that
/// reports an error has failed, even where the pass itself returns success,
/// as gpu-module-to-binary does when libdevice is missing), remarks (the
/// schedule's explanation) as `retc: remark: ...`, warnings as
/// `retc: warning: ...`.
class OneLineDiagnostics {
public:
  explicit OneLineDiagnostics(MLIRContext &context)
      : handler(&context, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error) {
            sawError = true;
            error(diag.str());
          } else if (diag.getSeverity() == DiagnosticSeverity::Remark) {
            llvm::WithColor::remark(llvm::errs(), "retc") << diag.str() << "\n";
          } else {
            llvm::WithColor::warning(llvm::errs(), "retc")
                << diag.str() << "\n";
          }
          return success();
        }) {}
  bool sawError = false;

private:
  ScopedDiagnosticHandler handler;
};

/// The --gpu-* flags as a request to the schedule selection.
GpuScheduleRequest gpuScheduleRequest() {
  GpuScheduleRequest r;
  r.tensorCores = gpuMmaAll;
  r.wgmma = !gpuWgmma.getNumOccurrences() ? GpuScheduleRequest::Wgmma::Auto
            : gpuWgmma                    ? GpuScheduleRequest::Wgmma::Required
                                          : GpuScheduleRequest::Wgmma::Off;
  r.chooseChunk = chunk.getNumOccurrences() == 0;
  r.block = gpuBlock;
  r.valueSlice = gpuVSlice;
  r.segments = gpuSegments;
  r.stages = gpuStages;
  return r;
}

/// Runs one stage's pipeline on `module`; false on failure (already
/// reported).
bool runStage(ModuleOp module, const OneLineDiagnostics &diagnostics,
              llvm::function_ref<void(PassManager &)> build) {
  PassManager pm(module.getContext());
  build(pm);
  return succeeded(pm.run(module)) && !diagnostics.sawError;
}

/// Describes the package of a GPU kernel from its lowered module: its
/// launches and whether the blob is PTX (else a cubin).
using DescribeGpuPackage =
    llvm::function_ref<llvm::Expected<retc::rt::Manifest>(
        ModuleOp, const GpuLaunches &, bool isPtx)>;

/// The GPU stages after form selection, the same for every kernel kind:
/// schedule, loops (gpu.module @<kernel>), llvm (NVVM), asm (PTX), package
/// (cubin). The launches and the workspace the package records are the
/// lowered module's; `describe` makes the rest of the manifest.
int compileForGPU(ModuleOp module, llvm::StringRef kernel,
                  const GpuTargetInfo &gpu,
                  const OneLineDiagnostics &diagnostics,
                  DescribeGpuPackage describe) {
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        buildGPUSchedulePipeline(pm, gpu.name, gpuScheduleRequest(),
                                 /*explain=*/emit == Stage::Schedule);
      }))
    return 1;
  if (emit == Stage::Schedule)
    return writeIR(module);
  if (!runStage(module, diagnostics,
                [&](PassManager &pm) { buildGPUKernelPipeline(pm); }))
    return 1;
  // A graph op the GPU lowering does not handle yet is left in place
  // rather than refused; say which, instead of a missing gpu.module.
  Operation *unlowered = nullptr;
  module.walk([&](Operation *op) {
    if (!unlowered && isa<RetentionDialect>(op->getDialect()))
      unlowered = op;
  });
  if (unlowered)
    return error("--target=" + target + ": '" +
                 unlowered->getName().getStringRef() +
                 "' has no GPU lowering yet (convert-retention-to-gpu left "
                 "it in place)");
  if (emit == Stage::Loops)
    return writeIR(module);
  auto launch = getGpuLaunches(module, kernel);
  if (!launch)
    return error(llvm::toString(launch.takeError()));
  // The package is described now, so that the kernel's module records what
  // it is compiled for (the runtime compares the two before it runs it).
  bool ptx = emit == Stage::Asm || gpuBinary == "ptx";
  auto described = describe(module, *launch, ptx);
  if (!described)
    return error(llvm::toString(described.takeError()));
  retc::rt::Manifest manifest = std::move(*described);
  auto gpuModule = module.lookupSymbol<mlir::gpu::GPUModuleOp>(kernel);
  if (!gpuModule)
    return error("internal error: no gpu.module @" + kernel);
  if (failed(addCompiledForRecord(gpuModule, compiledForText(manifest),
                                  /*addressSpace=*/1)))
    return 1;
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        buildGPUToNVVMPipeline(pm, gpu.name, gpu.ptxFeatures);
      }))
    return 1;
  if (emit == Stage::LLVM)
    return writeIR(module);
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        buildGPUBinaryPipeline(pm, ptx ? "isa" : "bin", cudaToolkit);
      }))
    return 1;
  auto object = getGpuObject(module, kernel);
  if (!object)
    return error(llvm::toString(object.takeError()));
  if (emit == Stage::Asm)
    return writeOutput(*object);
  if (auto err = writePackageFile(output, manifest, *object))
    return error(llvm::toString(std::move(err)));
  return 0;
}

/// The CPU stages after the LLVM dialect, shared by kernels and models:
/// llvm-ir (optimized LLVM IR), asm, or the shared object handed to
/// `writePackage`.
int finishForCPU(ModuleOp module, const CpuTarget &cpu,
                 llvm::function_ref<llvm::Error(llvm::StringRef)> writePackage,
                 bool openmp = true) {
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateToLLVMIR(module, llvmContext, cpu);
  if (!llvmModule)
    return error(llvm::toString(llvmModule.takeError()));
  if (emit == Stage::LLVMIR) {
    std::string text;
    llvm::raw_string_ostream os(text);
    (*llvmModule)->print(os, nullptr);
    return writeOutput(text);
  }
  if (emit == Stage::Asm) {
    auto assembly = emitAssembly(**llvmModule, cpu);
    if (!assembly)
      return error(llvm::toString(assembly.takeError()));
    return writeOutput(*assembly);
  }
  auto so = emitSharedObject(**llvmModule, cpu, openmp);
  if (!so)
    return error(llvm::toString(so.takeError()));
  if (auto err = writePackage(*so))
    return error(llvm::toString(std::move(err)));
  return 0;
}

/// What a CPU package's code is: a retention kernel, a kernel of graph ops
/// (linear), or a whole model.
enum class CpuCode { RetentionKernel, GraphKernel, Model };

/// The CPU stages after form selection, for a kernel or a whole model:
/// loops, buffers, llvm (where the code gets the record of what it is
/// compiled for, `compiledFor`), then finishForCPU.
int compileForCPU(
    ModuleOp module, const OneLineDiagnostics &diagnostics,
    const CpuTarget &cpu, CpuCode code, llvm::StringRef compiledFor,
    llvm::function_ref<llvm::Error(llvm::StringRef)> writePackage) {
  bool model = code == CpuCode::Model;
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        // A graph kernel's ops lower as a model's do (a linear kernel is
        // one of a model's projections); it is packaged as a kernel.
        if (code == CpuCode::RetentionKernel)
          buildCPULoopPipeline(pm, cpu.tile, /*parallelTile=*/64);
        else
          buildCPUModelLoopPipeline(pm, cpu.tile, /*parallelTile=*/64);
      }))
    return 1;
  if (emit == Stage::Loops)
    return writeIR(module);
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        if (model)
          buildModelBufferizationPipeline(pm);
        else
          buildBufferizationPipeline(pm);
      }))
    return 1;
  if (emit == Stage::Buffers)
    return writeIR(module);
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        buildCPUToLLVMPipeline(pm, model);
      }))
    return 1;
  if (failed(addCompiledForRecord(module, compiledFor, /*addressSpace=*/0)))
    return 1;
  if (emit == Stage::LLVM)
    return writeIR(module);
  return finishForCPU(module, cpu, writePackage);
}

/// Sets up a context with every dialect retc uses, printing no IR with
/// diagnostics.
void setUpContext(MLIRContext &context) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<RetentionDialect>();
  registerGPUTargets(registry);
  context.appendDialectRegistry(registry);
  context.loadAllAvailableDialects();
  context.printOpOnDiagnostic(false);
}

/// Bounds the row count of every model function for the GPU: decode
/// takes one token, decode_batch (and its layer) at most `maxBatch`
/// sequences, the others at most `maxTokens` tokens
/// (retention-outline-gpu-kernels sizes the kernels by it).
void boundModelTokens(ModuleOp module, int64_t maxTokens, int64_t maxBatch) {
  for (auto func : module.getOps<func::FuncOp>()) {
    llvm::StringRef name = func.getSymName();
    int64_t bound = name.starts_with(retc::frontend::decodeBatchEntry().name)
                        ? maxBatch
                    : name.starts_with("decode") ? 1
                                                 : maxTokens;
    func->setAttr("retention.max_tokens",
                  IntegerAttr::get(IntegerType::get(module.getContext(), 64),
                                   bound));
  }
}

/// The GPU stages of a model after form selection: schedule (kernel
/// functions outlined, each scheduled), loops (the kernels as gpu.modules,
/// the host program launching them), buffers (the host program on arena
/// views, with launch and copy requests), llvm (the host program in the
/// LLVM dialect and the kernels in NVVM), then the package.
int compileModelForGPU(ModuleOp module, const OneLineDiagnostics &diagnostics,
                       const GpuTargetInfo &gpu, const CpuTarget &host,
                       const retc::frontend::ModelConfig &config,
                       int64_t chunkSize) {
  // A model's kernels take their token count at run time; segmented
  // schedules cannot (their grid and workspace depend on it).
  GpuScheduleRequest request = gpuScheduleRequest();
  request.segments = 1;
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        buildGPUModelOutlinePipeline(pm);
        buildGPUSchedulePipeline(pm, gpu.name, request,
                                 /*explain=*/emit == Stage::Schedule);
      }))
    return 1;
  if (emit == Stage::Schedule)
    return writeIR(module);
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        buildGPUKernelPipeline(pm, /*runtimeSizes=*/true);
      }))
    return 1;
  // An outlined kernel the GPU lowering does not handle yet is left as a
  // kernel function; say which.
  for (auto func : module.getOps<func::FuncOp>())
    if (func.isPrivate() && func.getSymName().starts_with("k"))
      return error("--target=" + target + ": '" +
                   func.getBody().front().front().getName().getStringRef() +
                   "' has no GPU kernel yet (kernel function @" +
                   func.getSymName() + ")");
  if (emit == Stage::Loops)
    return writeIR(module);
  if (!runStage(module, diagnostics,
                [&](PassManager &pm) { buildGPUModelHostPipeline(pm); }))
    return 1;
  if (emit == Stage::Buffers)
    return writeIR(module);

  // The package is described now, so that both blobs record what they are
  // compiled for.
  auto kernels = module.lookupSymbol<mlir::gpu::GPUModuleOp>(
      "retention_kernels");
  if (!kernels)
    return error("internal error: no gpu.module @retention_kernels");
  auto launchHelper = module.getContext()
                          ->getLoadedDialect<RetentionDialect>()
                          ->getLaunchAttrHelper();
  std::vector<retc::rt::ModelKernelDesc> kernelList;
  for (auto func : kernels.getOps<mlir::gpu::GPUFuncOp>()) {
    DictionaryAttr launch = launchHelper.getAttr(func);
    auto shared = launch ? launch.getAs<IntegerAttr>("shared_bytes") : nullptr;
    kernelList.push_back({func.getName().str(), shared ? shared.getInt() : 0});
  }
  auto arena = module->getAttrOfType<IntegerAttr>("retention.arena_bytes");
  bool ptx = emit == Stage::Asm || gpuBinary == "ptx";
  retc::rt::Manifest manifest = describeGpuModelPackage(
      config, chunkSize, gpu, host, kernelList, maxTokens, maxBatch,
      arena ? arena.getInt() : 0, ptx);
  const retc::rt::ModelManifest &model = *manifest.model;

  // The kernels go into a module of their own, the device code; the rest
  // is the host program, CPU code.
  OwningOpRef<ModuleOp> device = ModuleOp::create(module.getLoc());
  (*device)->setAttr(mlir::gpu::GPUDialect::getContainerModuleAttrName(),
                     UnitAttr::get(module.getContext()));
  kernels->moveBefore(device->getBody(), device->getBody()->end());
  module->removeAttr(mlir::gpu::GPUDialect::getContainerModuleAttrName());
  if (failed(addCompiledForRecord(
          kernels, compiledForText(manifest, model.kernelsBlob),
          /*addressSpace=*/1)))
    return 1;
  if (!runStage(*device, diagnostics, [&](PassManager &pm) {
        buildGPUToNVVMPipeline(pm, gpu.name, gpu.ptxFeatures);
      }))
    return 1;
  if (!runStage(module, diagnostics, [&](PassManager &pm) {
        buildCPUToLLVMPipeline(pm, /*model=*/true, /*gpuHost=*/true);
      }))
    return 1;
  if (failed(addCompiledForRecord(module, compiledForText(manifest, model.blob),
                                  /*addressSpace=*/0)))
    return 1;
  if (emit == Stage::LLVM) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "// host program\n";
    module.print(os);
    os << "// kernels\n";
    device->print(os);
    return writeOutput(text);
  }
  if (emit == Stage::LLVMIR)
    return finishForCPU(module, host, nullptr);
  if (!runStage(*device, diagnostics, [&](PassManager &pm) {
        buildGPUBinaryPipeline(pm, ptx ? "isa" : "bin", cudaToolkit);
      }))
    return 1;
  auto object = getGpuObject(*device, "retention_kernels");
  if (!object)
    return error(llvm::toString(object.takeError()));
  if (emit == Stage::Asm)
    return writeOutput(*object);
  return finishForCPU(
      module, host,
      [&](llvm::StringRef so) {
        return writePackageFile(output, manifest, so, *object);
      },
      /*openmp=*/false);
}

/// `retc MODEL ...`: a whole model into a package of entry points.
int compileModel() {
  if (kernelName.getNumOccurrences())
    return error("give either a model or --kernel, not both");
  // Kernel options make no sense for a model.
  for (cl::Option *o : {static_cast<cl::Option *>(&shape),
                        static_cast<cl::Option *>(&initialState),
                        static_cast<cl::Option *>(&decay),
                        static_cast<cl::Option *>(&scale),
                        static_cast<cl::Option *>(&residual),
                        static_cast<cl::Option *>(&form),
                        static_cast<cl::Option *>(&gpuBlock),
                        static_cast<cl::Option *>(&gpuMmaAll),
                        static_cast<cl::Option *>(&gpuVSlice),
                        static_cast<cl::Option *>(&gpuSegments),
                        static_cast<cl::Option *>(&gpuStages),
                        static_cast<cl::Option *>(&gpuWgmma),
                        static_cast<cl::Option *>(&gemmSchedule)})
    if (o->getNumOccurrences())
      return error("--" + o->ArgStr +
                   " applies to single kernels (--kernel), not to models");
  retc::frontend::ModelConfig config;
  if (!retc::frontend::loadModelConfig(modelPath, config, llvm::errs()))
    return 1;
  if (dtype.getNumOccurrences()) {
    if (dtype == "f32")
      config.weightType = retc::frontend::WeightType::F32;
    else if (dtype == "bf16")
      config.weightType = retc::frontend::WeightType::BF16;
    else if (dtype == "f16")
      config.weightType = retc::frontend::WeightType::F16;
    else
      return error("--dtype: unknown type '" + dtype +
                   "' (expected f32, bf16 or f16)");
  }
  // A GPU package keeps a checkpoint's half type unless told otherwise
  // (an unknown target is refused below).
  if (target != "cpu" && !dtype.getNumOccurrences() && config.checkpointType &&
      config.weightType == retc::frontend::WeightType::F32)
    config.weightType = *config.checkpointType;
  if (emit == Stage::Config) {
    std::string text;
    llvm::raw_string_ostream os(text);
    config.print(os);
    return writeOutput(text);
  }
  const GpuTargetInfo *gpu = nullptr;
  if (target != "cpu") {
    gpu = GpuTargetInfo::lookup(target);
    if (!gpu)
      return error("--target: unknown target '" + target +
                   "' (expected cpu or " + GpuTargetInfo::names() + ")");
  }
  if (emit == Stage::Schedule && !gpu)
    return error("--emit=schedule is a GPU stage; give --target=sm_80, "
                 "sm_90 or sm_90a");
  if (maxTokens.getNumOccurrences() && !gpu)
    return error("--max-tokens applies to GPU targets (CPU models take any "
                 "number of tokens per call)");
  for (cl::Option *o : {static_cast<cl::Option *>(&gpuBinary),
                        static_cast<cl::Option *>(&cudaToolkit)})
    if (o->getNumOccurrences() && !gpu)
      return error("--" + o->ArgStr + " applies to GPU targets");
  if (maxBatch < 0 || maxBatch > retc::rt::kMaxModelBatch)
    return error("--max-batch: must be in [0, " +
                 llvm::Twine(retc::rt::kMaxModelBatch) +
                 "], got " + llvm::Twine(maxBatch));
  if (maxTokens < 1 || maxTokens > (int64_t(1) << 31))
    return error("--max-tokens: must be in [1, 2^31], got " +
                 llvm::Twine(maxTokens));
  if (config.weightType != retc::frontend::WeightType::F32 && !gpu)
    return error(
        (dtype.getNumOccurrences() ? std::string("--dtype")
                                   : modelPath + ": dtype") +
        " " + retc::frontend::stringify(config.weightType).str() +
        ": CPU model packages hold f32 weights so far (bf16 and f16 "
        "checkpoints are converted to f32 when loaded); bf16 and f16 "
        "weights need a GPU target");
  if (chunk <= 0)
    return error("--chunk: must be positive, got " + llvm::Twine(chunk));
  if (chunk > retc::frontend::kMaxChunkSize)
    return error("--chunk: " + llvm::Twine(chunk) +
                 " exceeds the supported maximum of " +
                 llvm::Twine(retc::frontend::kMaxChunkSize) +
                 " for models (the CPU lowering's score tile is chunk x "
                 "chunk)");
  int64_t chunkSize = chunk.getNumOccurrences() ? int64_t(chunk)
                      : config.chunkSizeHint ? config.chunkSizeHint
                                             : int64_t(chunk);
  std::optional<CpuTarget> cpuTarget =
      cpuName == "host" ? CpuTarget::host() : CpuTarget::named(cpuName);
  if (!cpuTarget)
    return error("--cpu: unknown x86-64 CPU '" + cpuName +
                 "' (LLVM names such as x86-64-v3, znver4, skylake-avx512, "
                 "or host)");
  if (emit == Stage::Package && (output.empty() || output == "-"))
    return error("-o OUT.retpkg is required to write a package");

  MLIRContext context;
  setUpContext(context);
  OneLineDiagnostics diagnostics(context);
  retc::frontend::ModelModuleOptions moduleOptions;
  moduleOptions.deviceDecode = gpu;
  moduleOptions.maxBatch = maxBatch;
  // Packed prefill of several prompts: CPU packages (the GPU's retention
  // kernels do not take segments yet).
  moduleOptions.packedPrefill = !gpu;
  auto module = retc::frontend::buildModelModule(context, config, modelPath,
                                                 moduleOptions);
  if (failed(module))
    return 1;
  if (gpu)
    boundModelTokens(**module, maxTokens, maxBatch);
  if (emit == Stage::Retention)
    return writeIR(**module);
  CpuTarget cpu = *cpuTarget;
  if (!runStage(**module, diagnostics, [&](PassManager &pm) {
        buildModelGraphPipeline(pm, chunkSize,
                                /*gemvMaxRows=*/gpu ? kGemvMaxRows : 0);
      }))
    return 1;
  if (emit == Stage::Form)
    return writeIR(**module);
  if (gpu)
    return compileModelForGPU(
        **module, diagnostics, *gpu,
        // The host program runs on whatever CPU the GPU machine has.
        cpuName.getNumOccurrences() ? cpu : *CpuTarget::named("x86-64"),
        config, chunkSize);
  retc::rt::Manifest manifest = describeModelPackage(config, chunkSize, maxBatch, cpu);
  return compileForCPU(**module, diagnostics, cpu, CpuCode::Model,
                       compiledForText(manifest), [&](llvm::StringRef so) {
                         return writePackageFile(output, manifest, so);
                       });
}
/// The options of the one kernel kind that the other does not take: a
/// retention kernel's form, decay, state and GPU schedule knobs, a linear
/// kernel's residual. Returns the exit status, 0 when none is given.
int refuseOptionsOfOtherKernel(bool linear) {
  if (!linear) {
    for (cl::Option *o : {static_cast<cl::Option *>(&residual),
                          static_cast<cl::Option *>(&gemmSchedule)})
      if (o->getNumOccurrences())
        return error("--" + o->ArgStr +
                     " applies to --kernel=linear, not to --kernel=retention");
    return 0;
  }
  for (cl::Option *o : {static_cast<cl::Option *>(&form),
                        static_cast<cl::Option *>(&chunk),
                        static_cast<cl::Option *>(&decay),
                        static_cast<cl::Option *>(&initialState),
                        static_cast<cl::Option *>(&scale),
                        static_cast<cl::Option *>(&gpuBlock),
                        static_cast<cl::Option *>(&gpuMmaAll),
                        static_cast<cl::Option *>(&gpuVSlice),
                        static_cast<cl::Option *>(&gpuSegments),
                        static_cast<cl::Option *>(&gpuStages),
                        static_cast<cl::Option *>(&gpuWgmma)})
    if (o->getNumOccurrences())
      return error("--" + o->ArgStr +
                   " applies to --kernel=retention, not to --kernel=linear");
  return 0;
}

/// --gemm-schedule's parameters as a #retention.gemm_schedule; a parse or
/// verifier error is one line naming the flag. Its fit on the op and the
/// target is the selection pass's check.
FailureOr<GemmScheduleAttr> parseGemmScheduleFlag(MLIRContext &context) {
  std::string message;
  FailureOr<GemmScheduleAttr> result = failure();
  {
    ScopedDiagnosticHandler capture(&context, [&](Diagnostic &d) {
      if (message.empty())
        message = d.str();
      return success();
    });
    std::string text = "#retention.gemm_schedule<" + gemmSchedule + ">";
    size_t consumed = 0;
    Attribute attr = parseAttribute(text, &context, Type(), &consumed);
    if (attr && consumed == text.size())
      if (auto s = dyn_cast<GemmScheduleAttr>(attr))
        result = s;
  }
  if (failed(result))
    error("--gemm-schedule: " +
          (message.empty() ? std::string("not a list of gemm_schedule "
                                         "parameters: '" +
                                         gemmSchedule + "'")
                           : message));
  return result;
}

/// `retc --kernel=linear ...` after the flags shared with retention kernels
/// are checked: one retention.linear through the same stages as a
/// retention kernel (the form stage changes nothing in it).
int compileLinearKernel(MLIRContext &context,
                        const OneLineDiagnostics &diagnostics,
                        const GpuTargetInfo *gpu, const CpuTarget &cpu) {
  LinearSpec spec;
  auto parsedShape = parseLinearShape(shape);
  if (!parsedShape)
    return error("--shape: " + llvm::toString(parsedShape.takeError()));
  spec.shape = *parsedShape;
  auto elt = parseElementType(context, dtype);
  if (!elt)
    return error("--dtype: " + llvm::toString(elt.takeError()));
  spec.elementType = *elt;
  spec.residual = residual;
  if (!gpu && !spec.elementType.isF32())
    return error("--dtype=" + dtype +
                 ": linear kernels compile for the cpu target in f32 only "
                 "so far (bf16 and f16 are for GPU targets)");
  if (emit == Stage::Package && (output.empty() || output == "-"))
    return error("-o OUT.retpkg is required to write a package");

  if (gemmSchedule.getNumOccurrences() && !gpu)
    return error("--gemm-schedule applies to GPU targets only");

  auto module = buildLinearKernelModule(context, spec);
  if (failed(module))
    return 1;
  if (gemmSchedule.getNumOccurrences()) {
    FailureOr<GemmScheduleAttr> given = parseGemmScheduleFlag(context);
    if (failed(given))
      return 1;
    (*module)->walk([&](LinearOp op) {
      context.getLoadedDialect<RetentionDialect>()
          ->getGemmScheduleAttrHelper()
          .setAttr(op, *given);
    });
  }
  if (emit == Stage::Retention)
    return writeIR(**module);
  if (!runStage(**module, diagnostics, [&](PassManager &pm) {
        buildFormSelectionPipeline(pm, RetentionForm::Auto, chunk);
      }))
    return 1;
  if (emit == Stage::Form)
    return writeIR(**module);
  if (gpu)
    return compileForGPU(
        **module, kLinearKernelName, *gpu, diagnostics,
        [&](ModuleOp, const GpuLaunches &launches,
            bool isPtx) -> llvm::Expected<retc::rt::Manifest> {
          return describeGpuLinearKernelPackage(spec, *gpu, launches, isPtx);
        });
  retc::rt::Manifest manifest = describeLinearKernelPackage(spec, cpu);
  return compileForCPU(**module, diagnostics, cpu, CpuCode::GraphKernel,
                       compiledForText(manifest), [&](llvm::StringRef so) {
                         return writePackageFile(output, manifest, so);
                       });
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // A write past the file-size limit (ulimit -f) fails with EFBIG, reported
  // as an error naming the file, instead of killing retc (LLVM's handler,
  // installed just above, would print a stack dump) and leaving temporary
  // files behind. The linker retc runs inherits the setting.
  std::signal(SIGXFSZ, SIG_IGN);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(
      [](llvm::raw_ostream &os) { os << "retc 0.1.0 (MLIR 22)\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "retc: the retention (RetNet) kernel compiler\n\n"
      "  retc --kernel=retention --shape=B,T,H,K,V [--form=F] [--chunk=C]\n"
      "       [--dtype=f32|bf16|f16] [--initial-state] [--decay=D] "
      "[--scale=S]\n"
      "       [--target=cpu|sm_80|sm_90|sm_90a] -o OUT.retpkg\n"
      "  retc --kernel=linear --shape=M,N,K [--dtype=f32|bf16|f16] "
      "[--residual]\n"
      "       [--target=cpu|sm_80|sm_90|sm_90a] -o OUT.retpkg\n"
      "       y[M,N] = x[M,K] weight[N,K]^T (+ residual[M,N]), summed in f32\n"
      "       and rounded once to the dtype, which x, weight, residual and y\n"
      "       share; the cpu target takes f32 only. Parameters x, weight\n"
      "       [, residual] (inputs) then y (output). The retention flags\n"
      "       (--form, --chunk, --decay, --initial-state, --scale, --gpu-*)\n"
      "       are refused.\n"
      "  retc ... --emit=<stage>      print the IR after a stage instead\n"
      "  retc MODEL [--chunk=C] [--cpu=NAME] --target=cpu -o OUT.retpkg\n"
      "       MODEL: a .ret file, an HF-style RetNet checkpoint directory or\n"
      "       its config.json; the package holds the model's prefill, decode\n"
      "       and forward entry points (docs/models.md)\n"
      "  retc MODEL --target=sm_80|sm_90|sm_90a [--max-tokens=N] -o OUT.retpkg\n"
      "       the model on the GPU: a host program that launches generated\n"
      "       kernels, at most N tokens a call (docs/gpu-models.md)\n\n"
      "The package holds the kernel for the target and a manifest of its\n"
      "parameters (docs/package-format.md); run it with retc-run.\n");
  if (int status = refuseRepeatedOptions())
    return status;

  if (!modelPath.empty())
    return compileModel();
  if (emit == Stage::Config)
    return error("--emit=config applies to models only");

  // Check the command line before doing any work.
  if (kernelName.getNumOccurrences() == 0)
    return error("--kernel is required ('retention' or 'linear')");
  if (kernelName != "retention" && kernelName != "linear")
    return error("--kernel: unknown kernel '" + kernelName +
                 "', expected 'retention' or 'linear'");
  bool linear = kernelName == "linear";
  if (maxTokens.getNumOccurrences())
    return error("--max-tokens applies to models, not to --kernel");
  if (maxBatch.getNumOccurrences())
    return error("--max-batch applies to models, not to --kernel");
  if (int status = refuseOptionsOfOtherKernel(linear))
    return status;
  if (shape.getNumOccurrences() == 0)
    return error(linear ? "--shape=M,N,K is required"
                        : "--shape=B,T,H,K,V is required");
  if (chunk <= 0)
    return error("--chunk: must be positive, got " + llvm::Twine(chunk));
  if (chunk.getNumOccurrences() && form != RetentionForm::Chunkwise &&
      form != RetentionForm::Auto)
    return error("--chunk applies to the chunkwise form only, not --form=" +
                 stringifyRetentionForm(form));
  const GpuTargetInfo *gpu = GpuTargetInfo::lookup(target);
  if (target != "cpu" && !gpu)
    return error("--target: unknown target '" + target + "', expected cpu, " +
                 GpuTargetInfo::names());
  if (gpuBlock.getNumOccurrences() && !gpu)
    return error("--gpu-block applies to GPU targets only");
  if (gpuMmaAll.getNumOccurrences() && !gpu)
    return error("--gpu-mma-all applies to GPU targets only");
  // The tensor-core kernel's knobs: GPU targets, that kernel and the
  // chunkwise form only.
  for (cl::Option *o : {static_cast<cl::Option *>(&gpuVSlice),
                        static_cast<cl::Option *>(&gpuSegments),
                        static_cast<cl::Option *>(&gpuStages),
                        static_cast<cl::Option *>(&gpuWgmma)}) {
    if (!o->getNumOccurrences())
      continue;
    std::string flag = ("--" + o->ArgStr).str();
    if (!gpu)
      return error(flag + " applies to GPU targets only");
    if (!gpuMmaAll)
      return error(flag + " applies to the tensor-core kernel only, not "
                          "with --gpu-mma-all=false");
    if (form == RetentionForm::Recurrent || form == RetentionForm::Parallel)
      return error(flag + " applies to the chunkwise form, not --form=" +
                   (form == RetentionForm::Recurrent ? "recurrent"
                                                     : "parallel"));
  }
  if (gpuWgmma && !gpu->hasWgmma)
    return error("--gpu-wgmma needs a target with wgmma (sm_90a: it is "
                 "specific to that architecture), not " + target);
  if (gpuVSlice != 0 && gpuVSlice != 16 && gpuVSlice != 32 &&
      gpuVSlice != 64 && gpuVSlice != 128)
    return error("--gpu-v-slice: must be 0 (auto), 16, 32, 64 or 128, got " +
                 llvm::Twine(gpuVSlice));
  if (gpuSegments < 0 || gpuSegments > 65535)
    return error("--gpu-segments: must be 0 (auto) to 65535, got " +
                 llvm::Twine(gpuSegments));
  if (gpuStages < 0 || gpuStages > 4)
    return error("--gpu-stages: must be 0 (auto) to 4, got " +
                 llvm::Twine(gpuStages));
  if (gpuBinary.getNumOccurrences() && !gpu)
    return error("--gpu-binary applies to GPU targets only");
  if (cpuName.getNumOccurrences() && gpu)
    return error("--cpu applies to the cpu target only");
  std::optional<CpuTarget> cpuTarget =
      cpuName == "host" ? CpuTarget::host() : CpuTarget::named(cpuName);
  if (!cpuTarget)
    return error("--cpu: unknown x86-64 CPU '" + cpuName +
                 "' (LLVM names such as x86-64-v3, znver4, skylake-avx512, "
                 "or host)");
  if (cudaToolkit.getNumOccurrences() && !gpu)
    return error("--cuda-toolkit applies to GPU targets only");
  if (gpu) {
    std::string libdevice = cudaToolkit + "/nvvm/libdevice/libdevice.10.bc";
    if (emit >= Stage::Asm && !llvm::sys::fs::exists(libdevice))
      return error("--cuda-toolkit: no libdevice at " + libdevice +
                   " (install the CUDA toolkit or point --cuda-toolkit at "
                   "it)");
  }
  if (gpuBinary != "ptx" && gpuBinary != "cubin")
    return error("--gpu-binary: expected ptx or cubin, got '" + gpuBinary +
                 "'");
  if (gpuBlock < 0 || gpuBlock > 1024 || gpuBlock % 32)
    return error("--gpu-block: must be 0 (auto) or a multiple of 32 up to "
                 "1024, got " +
                 llvm::Twine(gpuBlock));
  if (gpu && (emit == Stage::Buffers || emit == Stage::LLVMIR))
    return error("--emit=" +
                 llvm::StringRef(emit == Stage::Buffers ? "buffers"
                                                        : "llvm-ir") +
                 " is a CPU stage; GPU targets have retention, form, "
                 "schedule, loops, llvm, asm (PTX) and package");
  if (!gpu && emit == Stage::Schedule)
    return error("--emit=schedule is a GPU stage (the kernel's "
                 "#retention.gpu_schedule); give --target=" +
                 GpuTargetInfo::names());
  MLIRContext context;
  setUpContext(context);
  OneLineDiagnostics diagnostics(context);
  if (linear)
    return compileLinearKernel(context, diagnostics, gpu, *cpuTarget);

  KernelSpec spec;
  auto parsedShape = parseShape(shape);
  if (!parsedShape)
    return error("--shape: " + llvm::toString(parsedShape.takeError()));
  spec.shape = *parsedShape;
  auto elt = parseElementType(context, dtype);
  if (!elt)
    return error("--dtype: " + llvm::toString(elt.takeError()));
  spec.elementType = *elt;
  auto parsedDecay = parseDecay(context, decay);
  if (!parsedDecay)
    return error("--decay: " + llvm::toString(parsedDecay.takeError()));
  spec.decay = *parsedDecay;
  if (spec.decay.getSchedule() == DecaySchedule::Explicit &&
      int64_t(spec.decay.getValueList().size()) != spec.shape.H)
    return error("--decay: " + llvm::Twine(spec.decay.getValueList().size()) +
                 " values given for H = " + llvm::Twine(spec.shape.H) +
                 " heads");
  if (spec.decay.getSchedule() == DecaySchedule::RetNet &&
      spec.shape.H > kMaxRetNetHeads)
    return error("--shape: H = " + llvm::Twine(spec.shape.H) +
                 " heads, but the retnet decay 1 - 2^(-5-h) (--decay, retnet "
                 "by default) is defined for at most " +
                 llvm::Twine(kMaxRetNetHeads) + ": from head " +
                 llvm::Twine(kMaxRetNetHeads) +
                 " on it rounds to 1 in double; give --decay=paper or " +
                 llvm::Twine(spec.shape.H) + " values");
  if (scale.getNumOccurrences()) {
    auto parsedScale = parseScale(scale);
    if (!parsedScale)
      return error("--scale: " + llvm::toString(parsedScale.takeError()));
    spec.scale = *parsedScale;
  }
  spec.initialState = initialState;
  if (emit == Stage::Package && (output.empty() || output == "-"))
    return error("-o OUT.retpkg is required to write a package");

  auto module = buildKernelModule(context, spec);
  if (failed(module))
    return 1;
  if (emit == Stage::Retention)
    return writeIR(**module);

  CpuTarget cpu = *cpuTarget;
  if (!runStage(**module, diagnostics, [&](PassManager &pm) {
        buildFormSelectionPipeline(pm, form, chunk);
      }))
    return 1;
  if (emit == Stage::Form)
    return writeIR(**module);
  // The form chosen, for the manifest.
  RetentionForm chosen = RetentionForm::Generic;
  (*module)->walk(
      [&](RetentionOpInterface op) { chosen = getForm(op); });

  if (gpu)
    return compileForGPU(
        **module, kKernelName, *gpu, diagnostics,
        [&](ModuleOp lowered, const GpuLaunches &launches,
            bool isPtx) -> llvm::Expected<retc::rt::Manifest> {
          auto schedule = getGpuSchedule(lowered, kKernelName);
          if (!schedule)
            return schedule.takeError();
          return describeGpuKernelPackage(spec, chosen, *schedule, *gpu,
                                          launches, isPtx);
        });
  retc::rt::Manifest manifest = describeKernelPackage(spec, chosen, chunk, cpu);
  return compileForCPU(**module, diagnostics, cpu, CpuCode::RetentionKernel,
                       compiledForText(manifest), [&](llvm::StringRef so) {
                         return writePackageFile(output, manifest, so);
                       });
}
