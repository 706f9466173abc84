//===- GpuKernelBuilder.h - gpu.func kernels and their launches -*- C++ -*-===//
//
// What every kernel family's lowering shares: the kernel parameters of a
// lowered kernel function, a `gpu.func` kernel with its launch
// configuration, views of dynamic shared memory, and the per-head decay.
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GPUKERNELBUILDER_H
#define RETC_CODEGEN_GPU_GPUKERNELBUILDER_H

#include "codegen/gpu/KernelEmitter.h"
#include "dialect/RetentionOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::retention {

/// The parameters of the kernels lowered from one kernel function: its
/// arguments, then its results (o, state), as memrefs; where each operand of
/// the retention op is among them.
struct KernelSignature {
  SmallVector<Type> params;
  unsigned numInputs = 0; ///< the function's arguments; o and state follow
  unsigned q = 0, k = 0, v = 0;
  int s0 = -1; ///< -1: no initial state
  /// The run-time token count: the index in `params` of an `index`
  /// parameter holding T, 1 <= T <= the static T of q, k, v and o (their
  /// memref types are sized for the maximum); -1: T is the static one.
  /// Every use of T (loop bounds, tail masks, the final state's decay)
  /// takes the parameter, and rows at or past it are neither read nor
  /// written. Needs B = 1 (a packed [1, Tmax, H, K] input); the SIMT
  /// kernels and the unsegmented tensor-core chunkwise kernels take it,
  /// a segmented schedule is refused (its segment count, grid and
  /// workspace depend on T).
  int numTokens = -1;
  /// The run-time batch: the index in `params` of an `index` parameter
  /// holding B, 1 <= B <= the static B of q, k, v, s0, o and state (sized
  /// for the maximum: a batched decode step's slots); -1: B is the static
  /// one. Blocks of sequences at or past it read and write nothing. The
  /// SIMT recurrent kernel takes it (its grid has a block per sequence);
  /// not together with numTokens.
  int numSequences = -1;
  /// Packed sequences: the index in `params` of the offsets (i64, N + 1
  /// of them, N the states' static batch) of an op with `segments`; -1:
  /// none. Sequence n is tokens [off[n], off[n+1]) of q, k, v and o (batch
  /// 1). With numSequences, only the first that many are computed.
  int segments = -1;

  unsigned output() const { return numInputs; }
  unsigned finalState() const { return numInputs + 1; }
};

/// Checks that `signature.numTokens` and `numSequences`, where given,
/// name `index` parameters, that not both are given, that `op`'s batch is
/// 1 with a run-time token count, and that a run-time batch is given only
/// where `takesRunTimeBatch` (the kernel family handles it: the SIMT
/// recurrent kernel, or packed sequences); an error at `op` otherwise.
LogicalResult checkRunTimeSizes(Operation *op, const RetentionShape &shape,
                                const KernelSignature &signature,
                                bool takesRunTimeBatch);

/// Creates the kernel `gpu.func @name(params)` at `b`'s insertion point with
/// `workgroup` attributions (16-byte aligned), its launch (grid, block and
/// dynamic shared bytes, in `retention.launch`) and known block size, and
/// moves `b` to the start of its body.
gpu::GPUFuncOp createKernelFunc(OpBuilder &b, Location loc, StringRef name,
                                ArrayRef<Type> params,
                                ArrayRef<Type> workgroup,
                                ArrayRef<int64_t> grid,
                                ArrayRef<int64_t> block, int64_t sharedBytes);

/// Views of `tiles`, one after the other, in the block's dynamic shared
/// memory.
SmallVector<Value> viewDynamicShared(Emitter &e, ArrayRef<MemRefType> tiles);

/// log2(gamma_h) for a dynamic head index: a select chain over the table.
Value selectLog2Gamma(Emitter &e, ArrayRef<double> gammas, Value head);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GPUKERNELBUILDER_H
