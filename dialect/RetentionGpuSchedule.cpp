//===- RetentionGpuSchedule.cpp - the GPU schedule attribute ----*- C++ -*-===//
//
// Verification of #retention.gpu_schedule: on its own (ranges and the
// arithmetic of segments), and against the form op it is attached to (the
// kernel families' shape rules). Fit on a target is the selection pass's
// (codegen/gpu/SelectGpuSchedule.cpp).
//
//===----------------------------------------------------------------------===//
#include "dialect/RetentionOps.h"

using namespace mlir;
using namespace mlir::retention;

LogicalResult
GpuScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        GpuKernel kernel, int64_t block, int64_t chunk,
                        int64_t rows, int64_t lanes, GpuKernel scoreTile,
                        int64_t valueSlice, int64_t stages, int64_t segments,
                        int64_t segmentLength, int64_t parts,
                        int64_t statesStages, int64_t statesBlocksPerSM,
                        int64_t sharedBytes, int64_t statesSharedBytes,
                        int64_t workspaceBytes) {
  auto fail = [&]() { return emitError() << "gpu_schedule: "; };
  if (block < 32 || block > 1024 || block % 32)
    return fail() << "block must be a multiple of 32 from 32 to 1024, got "
                  << block;
  if (rows < 1 || block * rows > 1024)
    return fail() << "rows must be at least 1 with block * rows at most 1024, "
                     "got rows = "
                  << rows << " with block = " << block;
  if (lanes != 1 && lanes != 4)
    return fail() << "lanes must be 1 or 4, got " << lanes;
  if (chunk < 0)
    return fail() << "chunk must be positive, got " << chunk;
  if (kernel == GpuKernel::Gemv)
    return fail() << "kernel = gemv is a GEMM kernel (#retention.gemm_schedule "
                     "of retention.linear), not a retention one";
  if (scoreTile == GpuKernel::Wgmma || scoreTile == GpuKernel::Gemv)
    return fail() << "score_tile must be simt or mma_sync, got "
                  << stringifyGpuKernel(scoreTile);
  if (stages < 1 || stages > 4 || statesStages < 1 || statesStages > 4)
    return fail() << "stages and states_stages must be 1 to 4, got "
                  << stages << " and " << statesStages;
  if (sharedBytes < 0 || statesSharedBytes < 0 || workspaceBytes < 0)
    return fail() << "byte counts must not be negative";
  if (kernel == GpuKernel::Simt) {
    if (valueSlice != 0 || stages != 1 || segments != 1 || parts != 1 ||
        statesStages != 1 || statesBlocksPerSM != 1 || statesSharedBytes ||
        workspaceBytes)
      return fail() << "value_slice, stages, segments and the states "
                       "kernel's fields belong to the tensor-core kernels, "
                       "not to kernel = simt";
    return success();
  }
  // mma_sync and wgmma: one warp per 16 value columns.
  if (valueSlice != 16 && valueSlice != 32 && valueSlice != 64 &&
      valueSlice != 128)
    return fail() << "value_slice must be 16, 32, 64 or 128, got "
                  << valueSlice;
  if (block != 2 * valueSlice)
    return fail() << "block must be 2 * value_slice (a warp per 16 value "
                     "columns) = "
                  << 2 * valueSlice << ", got " << block;
  if (chunk < 16 || chunk % 16)
    return fail() << "chunk must be a positive multiple of 16 on tensor "
                     "cores, got "
                  << chunk;
  if (rows != 1 || lanes != 1 || scoreTile != GpuKernel::Simt)
    return fail() << "rows, lanes and score_tile belong to kernel = simt";
  if (kernel == GpuKernel::Wgmma && (chunk != 64 || valueSlice < 64))
    return fail() << "kernel = wgmma takes chunk 64 and a value_slice of 64 "
                     "or 128, got chunk "
                  << chunk << " and value_slice " << valueSlice;
  if (segments < 1)
    return fail() << "segments must be at least 1, got " << segments;
  if (segments == 1) {
    if (segmentLength != 0 || parts != 1 || statesStages != 1 ||
        statesBlocksPerSM != 1 || statesSharedBytes || workspaceBytes)
      return fail() << "segment_length, parts and the states kernel's "
                       "fields need segments > 1";
    return success();
  }
  if (segmentLength < chunk || segmentLength % chunk)
    return fail() << "segment_length must be a positive multiple of the "
                     "chunk ("
                  << chunk << "), got " << segmentLength;
  if ((parts != 1 && parts != 2 && parts != 4) ||
      segmentLength % (parts * chunk))
    return fail() << "parts must be 1, 2 or 4 and divide segment_length "
                     "into whole chunks, got parts = "
                  << parts << " for segment_length " << segmentLength;
  if (statesBlocksPerSM != 1 && statesBlocksPerSM != 2)
    return fail() << "states_blocks_per_sm must be 1 or 2, got "
                  << statesBlocksPerSM;
  return success();
}

LogicalResult mlir::retention::verifyGpuScheduleForOp(GpuScheduleAttr s,
                                                      RetentionOpInterface op) {
  Operation *raw = op.getOperation();
  auto fail = [&]() { return raw->emitOpError("gpu_schedule: "); };
  if (isa<RetentionOp>(raw))
    return fail() << "a form-agnostic op has no GPU schedule; select a form "
                     "first";
  RetentionShape shape = op.getRetentionShape();
  Type elt = op.getQ().getType().getElementType();
  bool halfInputs = elt.isBF16() || elt.isF16();
  bool recurrent = isa<RecurrentOp>(raw);
  auto chunkwise = dyn_cast<ChunkwiseOp>(raw);
  if (!recurrent && s.getChunk() < 1)
    return fail() << "the chunkwise and parallel forms need a chunk";
  if (recurrent && s.getChunk() != 0)
    return fail() << "the recurrent form has no chunk";
  if (!recurrent && (s.getRows() != 1 || s.getLanes() != 1))
    return fail() << "rows and lanes belong to the recurrent form";
  if (s.getLanes() == 4 && !ShapedType::isDynamic(shape.V) && shape.V % 4)
    return fail() << "lanes = 4 needs V a multiple of 4, got V = " << shape.V;
  if (!chunkwise && (s.isTensorCoreChunkwise() ||
                     s.getScoreTile() != GpuKernel::Simt))
    return fail() << "kernel = " << stringifyGpuKernel(s.getKernel())
                  << " and score_tile = mma_sync are chunkwise kernels";
  if (!chunkwise)
    return success();
  int64_t T = shape.T;
  if (!s.isTensorCoreChunkwise()) {
    if (s.getChunk() != chunkwise.getChunkSize())
      return fail() << "chunk " << s.getChunk()
                    << " differs from the op's chunk_size "
                    << chunkwise.getChunkSize();
    if (s.getScoreTile() == GpuKernel::MmaSync &&
        (!halfInputs || s.getChunk() % 16 || shape.K % 16))
      return fail() << "score_tile = mma_sync needs bf16/f16 inputs and a "
                       "chunk and K that are multiples of 16";
    return success();
  }
  // A tensor-core chunk longer than T covers T padded to 16 rows: its
  // chunk_size is the chunk.
  if (s.getChunk() != chunkwise.getChunkSize())
    return fail() << "chunk " << s.getChunk()
                  << " differs from the op's chunk_size "
                  << chunkwise.getChunkSize();
  if (!halfInputs)
    return fail() << "kernel = " << stringifyGpuKernel(s.getKernel())
                  << " needs bf16 or f16 inputs, got " << elt;
  if ((!ShapedType::isDynamic(shape.K) && shape.K % 16) ||
      (!ShapedType::isDynamic(shape.V) && shape.V % 8))
    return fail() << "kernel = " << stringifyGpuKernel(s.getKernel())
                  << " needs K a multiple of 16 and V of 8, got K = "
                  << shape.K << ", V = " << shape.V;
  if (s.getKernel() == GpuKernel::Wgmma && !ShapedType::isDynamic(shape.K) &&
      shape.K > 256)
    return fail() << "kernel = wgmma takes K up to 256, got " << shape.K;
  if (s.getSegments() > 1 && !ShapedType::isDynamic(T)) {
    int64_t count = (T + s.getSegmentLength() - 1) / s.getSegmentLength();
    if (count != s.getSegments())
      return fail() << s.getSegments() << " segments of "
                    << s.getSegmentLength() << " tokens do not cover T = "
                    << T << " (that takes " << count << ")";
  }
  return success();
}
