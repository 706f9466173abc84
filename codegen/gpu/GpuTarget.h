//===- GpuTarget.h - the NVIDIA GPU a package is compiled for ---*- C++ -*-===//
//
// The GPU architecture (sm_80, sm_90, sm_90a), the registrations the NVVM
// back end needs, and reading the compiled kernel (PTX or cubin) out of the
// `gpu.binary` that gpu-module-to-binary leaves.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GPUTARGET_H
#define RETC_CODEGEN_GPU_GPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::retention {

/// An NVIDIA GPU target.
struct GpuTarget {
  std::string arch;               ///< "sm_80", "sm_90" or "sm_90a"
  std::string ptxFeatures = "+ptx80"; ///< PTX ISA version (PTX 6.0 aborts for sm_80+)
  std::string toolkit = "/usr/local/cuda"; ///< where ptxas and libdevice live
  int64_t numSMs = 132; ///< SMs of the flagship part (A100: 108, H100/H200: 132)
  /// Dynamic shared memory one block may opt into (sm_80: 163 KiB, sm_90:
  /// 227 KiB).
  int64_t maxSharedBytes = 232448;

  /// The target for `--target=<arch>`; nullopt for anything else.
  static std::optional<GpuTarget> parse(llvm::StringRef arch);
};

/// Whether the chunkwise kernel's staged q and k tiles (2 x C x K values of
/// `elementBits`) fit beside its C x C f32 score tile and C decay factors in
/// a block's 48 KiB of static shared memory.
bool stagedTilesFitStatically(int64_t C, int64_t K, unsigned elementBits);

/// The chunk size the GPU kernels work best with when the user names none:
/// for 16-bit inputs the largest of 32, 16 whose staged q and k tiles
/// fit in static shared memory (so the score tile runs on tensor cores),
/// else 64. With `tensorCoreChunks` (every chunk matmul on tensor cores),
/// 64 where its tiles fit, for 16-bit inputs and K a multiple of 16 (with
/// `warpgroupMma`, sm_90a, 64 up to K = 256, the warpgroup kernel's chunk).
int64_t defaultGpuChunkSize(int64_t K, unsigned elementBits,
                            bool tensorCoreChunks = false,
                            bool warpgroupMma = false);

/// How the segment-parallel chunkwise schedule splits T: `count` segments
/// of `length` tokens (a multiple of the chunk; the last may be shorter).
/// count = 1 is the single kernel.
struct GpuSegments {
  int64_t count = 1;
  int64_t length = 0;
};

/// The shortest segment the automatic choice makes: shorter ones cost more
/// in workspace traffic and launches than their blocks win.
constexpr int64_t kMinGpuSegmentTokens = 1024;

/// The segments for a chunkwise kernel of B x T x H heads with K key and V
/// value columns, chunk C, on `numSMs` SMs. `requested` > 0 asks for that
/// many (1: off); 0 chooses from a rule tuned on the H200
/// (docs/gpu-codegen.md, "Segments"): with B * H * ceil(V / 128) blocks per
/// segment, K <= 128 segments only below half the SMs, for about four
/// blocks per SM; K > 128 below the SM count, for about two; never
/// segments shorter than kMinGpuSegmentTokens.
GpuSegments chooseGpuSegments(int64_t B, int64_t T, int64_t H, int64_t K,
                              int64_t V, int64_t C, int64_t numSMs,
                              int64_t requested);

/// Registers the NVVM target attribute and GPU/NVVM translations to LLVM IR.
void registerGPUTargets(DialectRegistry &registry);

/// The launch configuration convert-retention-to-gpu attached to one
/// kernel entry: grid and block sizes.
struct GpuLaunch {
  std::string entry;
  int64_t grid[3];
  int64_t block[3];
  int64_t sharedBytes; ///< dynamic shared memory per block
};
llvm::Expected<GpuLaunch> getGpuLaunch(ModuleOp module, llvm::StringRef name);

/// Every launch of the kernel `name`: the `gpu.func`s of `gpu.module @name`
/// that carry `retention.launch`, in the module's order (the order they
/// run), and the workspace they share (`retention.workspace_bytes` of the
/// gpu.module, 0 if absent).
struct GpuLaunches {
  std::vector<GpuLaunch> launches;
  int64_t workspaceBytes = 0;
};
llvm::Expected<GpuLaunches> getGpuLaunches(ModuleOp module,
                                           llvm::StringRef name);

/// The kernel object of the `gpu.binary` `name`: PTX text (no NUL) or cubin
/// bytes.
llvm::Expected<std::string> getGpuObject(ModuleOp module, llvm::StringRef name);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GPUTARGET_H
