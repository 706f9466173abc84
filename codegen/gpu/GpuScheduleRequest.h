//===- GpuScheduleRequest.h - what the user asks of a GPU schedule -*- C++ -*-===//
//
// The user's requests to the schedule selection (retc's --gpu-* flags, the
// options of retention-gpu-select-schedule), without MLIR: codegen/Passes.h
// includes it for the pass options.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GPUSCHEDULEREQUEST_H
#define RETC_CODEGEN_GPU_GPUSCHEDULEREQUEST_H

#include <cstdint>

namespace mlir::retention {

/// What the user asks of a schedule (retc's --gpu-* flags, the selection
/// pass's options); 0 means "choose".
struct GpuScheduleRequest {
  /// The chunkwise form on bf16/f16 inputs: every chunk matmul on tensor
  /// cores where the shape allows, else the SIMT kernel.
  bool tensorCores = true;
  /// The wgmma kernel: where the target has it and the op takes it (Auto),
  /// or an error where it cannot be had (Required), or never (Off).
  enum class Wgmma { Auto, Required, Off } wgmma = Wgmma::Auto;
  /// Choose the chunk for the target instead of keeping the op's
  /// chunk_size.
  bool chooseChunk = false;
  int64_t block = 0;        ///< SIMT chunkwise/parallel threads per block
  int64_t parallelTile = 32; ///< query/key tile of the SIMT parallel form
  int64_t valueSlice = 0;   ///< tensor cores: value columns per block
  int64_t segments = 0;     ///< tensor cores: 1 = off, N, 0 = choose
  int64_t stages = 0;       ///< tensor cores: staging buffers, 0 = choose
  /// SIMT chunkwise: stage q and k in dynamic shared memory where they do
  /// not fit beside the score tile statically.
  bool dynamicStaging = false;
  int64_t numSMs = 0; ///< 0: the target's
};

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GPUSCHEDULEREQUEST_H
