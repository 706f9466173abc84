//===- GpuTargetInfo.cpp - the NVIDIA GPUs retc compiles for --------------===//
//
// See GpuTargetInfo.h. Numbers from the CUDA C Programming Guide, "Compute
// Capabilities" (shared memory per SM and per block, reservations), and the
// PTX ISA (which architectures have which MMA instructions).
//
//===----------------------------------------------------------------------===//
#include "codegen/gpu/GpuTargetInfo.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir::retention;

namespace {
constexpr int64_t kKiB = 1024;
const GpuTargetInfo kTargets[] = {
    // A100: 164 KiB shared per SM, 163 KiB of it for one block.
    {"sm_80", "+ptx80", /*numSMs=*/108, /*maxSharedBytesPerBlock=*/163 * kKiB,
     /*reservedSharedBytesPerBlock=*/kKiB, /*staticSharedBytes=*/48 * kKiB,
     /*maxGridYZ=*/65535, /*registersPerSM=*/65536,
     /*maxRegistersPerThread=*/255, /*hasMmaSync=*/true, /*hasWgmma=*/false},
    // H100/H200, portable: 228 KiB shared per SM, 227 KiB for one block.
    {"sm_90", "+ptx80", 132, 227 * kKiB, kKiB, 48 * kKiB, 65535, 65536, 255,
     true, false},
    // The same parts with the architecture-specific instructions (wgmma).
    {"sm_90a", "+ptx80", 132, 227 * kKiB, kKiB, 48 * kKiB, 65535, 65536, 255,
     true, true},
};
} // namespace

const GpuTargetInfo *GpuTargetInfo::lookup(llvm::StringRef name) {
  for (const GpuTargetInfo &t : kTargets)
    if (t.name == name)
      return &t;
  return nullptr;
}

llvm::ArrayRef<GpuTargetInfo> GpuTargetInfo::all() { return kTargets; }

std::string GpuTargetInfo::names() {
  return llvm::join(llvm::map_range(all(),
                                    [](const GpuTargetInfo &t) {
                                      return llvm::StringRef(t.name);
                                    }),
                    ", ");
}
