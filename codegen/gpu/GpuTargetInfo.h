//===- GpuTargetInfo.h - what retc knows of an NVIDIA GPU -------*- C++ -*-===//
//
// One description per architecture family retc compiles for: the limits and
// instruction families every GPU decision asks about. No hardware number or
// architecture name is spelled anywhere else; a new target (sm_100, sm_120)
// is one new entry in GpuTargetInfo.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GPUTARGETINFO_H
#define RETC_CODEGEN_GPU_GPUTARGETINFO_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace mlir::retention {

/// An NVIDIA architecture family as retc targets it.
struct GpuTargetInfo {
  /// The `--target` spelling and NVVM chip: "sm_80", "sm_90", "sm_90a".
  llvm::StringLiteral name;
  /// PTX ISA features given to the NVVM target (PTX 6.0, the default,
  /// aborts for sm_80 and sm_90a).
  llvm::StringLiteral ptxFeatures;
  /// SMs of the part the defaults are tuned for (A100: 108, H100/H200: 132).
  int64_t numSMs;
  /// Shared memory one block may use, static and opted-in dynamic together
  /// (sm_80: 163 KiB, sm_90: 227 KiB).
  int64_t maxSharedBytesPerBlock;
  /// Shared memory the driver reserves per resident block.
  int64_t reservedSharedBytesPerBlock;
  /// Static shared memory a block may declare without opting in.
  int64_t staticSharedBytes;
  /// Largest grid y and z (B and H of a kernel's grid).
  int64_t maxGridYZ;
  /// 32-bit registers of one SM, and the most one thread may hold.
  int64_t registersPerSM;
  int64_t maxRegistersPerThread;
  /// mma.sync m16n8k16 with ldmatrix, bf16/f16 operands (sm_80 and later).
  bool hasMmaSync;
  /// wgmma (warpgroup MMA): sm_90a only, not portable sm_90.
  bool hasWgmma;

  /// Shared memory of one SM: every resident block's share and its
  /// reservation.
  int64_t sharedBytesPerSM() const {
    return maxSharedBytesPerBlock + reservedSharedBytesPerBlock;
  }
  /// Registers a thread may hold with `blocks` blocks of `threads` resident
  /// on an SM.
  int64_t registersPerThreadAt(int64_t blocks, int64_t threads) const {
    return std::min(maxRegistersPerThread, registersPerSM / (blocks * threads));
  }
  /// Shared memory each of `blocks` resident blocks of an SM may use.
  int64_t sharedBytesPerBlockAt(int64_t blocks) const {
    return sharedBytesPerSM() / blocks - reservedSharedBytesPerBlock;
  }

  /// The description named `name`, or null.
  static const GpuTargetInfo *lookup(llvm::StringRef name);
  /// Every known target, oldest first.
  static llvm::ArrayRef<GpuTargetInfo> all();
  /// The names of all(), comma-separated (for messages).
  static std::string names();
};

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GPUTARGETINFO_H
