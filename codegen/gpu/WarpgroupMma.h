//===- WarpgroupMma.h - sm_90a warpgroup instructions -----------*- C++ -*-===//
//
// The Hopper (sm_90a) instructions the warpgroup chunkwise kernel is written
// in, at an Emitter's insertion point: wgmma.mma_async (A from registers or
// shared memory, B from shared memory) with its fence, commit and wait,
// shared-memory matrix descriptors, stmatrix, the async-proxy fence and
// named barriers. wgmma with a register A operand and stmatrix have no NVVM
// op in MLIR 22, so they are inline PTX (InlinePtx.h).
//
// Shared-memory operands use one of two canonical layouts (PTX ISA,
// "Matrix Descriptor Format"); a descriptor names the first 16-byte run and
// two strides.
// The unswizzled ("interleaved") layout: core matrices of 8 rows x 16
// bytes, each 128 contiguous bytes.
//   K-major operand (rows M or N, 16-byte runs along K): leading byte
//     offset = between the two core matrices adjacent along K, stride byte
//     offset = between 8-row groups along M or N;
//   MN-major operand (imm-trans 1; 16-byte runs along M or N): leading =
//     between 8-row groups along K, stride = between core matrices adjacent
//     along M or N.
// The 128-byte swizzle: rows of 128 bytes (64 16-bit elements), 16-byte
// run c of row r at run c ^ (r % 8), in 1024-byte-aligned atoms of 8 rows.
//   K-major (rows M or N, the 128 bytes along K; a k-step's 32 bytes lie
//     in one row): stride = between 8-row groups (1024), no leading offset;
//   MN-major (rows along K, the 128 bytes along M or N): leading = between
//     64-element blocks along M or N, stride = between 8-row groups along
//     K (1024).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_WARPGROUPMMA_H
#define RETC_CODEGEN_GPU_WARPGROUPMMA_H

#include "codegen/gpu/KernelEmitter.h"

namespace mlir::retention {

/// The byte address (i64) of a shared-memory memref's first element within
/// the shared window.
Value sharedByteAddress(Emitter &e, Value memref);

/// A wgmma shared-memory matrix descriptor for the operand at byte address
/// `address` (i64) plus `byteOffset` (index), with the given leading and
/// stride byte offsets (multiples of 16), unswizzled or in the 128-byte
/// swizzle (`swizzle128`; the layouts are in this file's comment).
Value wgmmaDescriptor(Emitter &e, Value address, Value byteOffset,
                      int64_t leadingBytes, int64_t strideBytes,
                      bool swizzle128 = false);

/// `descriptor` moved `bytes` (a multiple of 16) on in shared memory: one
/// 64-bit add, so that the descriptors of a tile's k-steps share one
/// register.
Value descriptorPlus(Emitter &e, Value descriptor, int64_t bytes);

/// One wgmma.mma_async.sync.aligned.m64n<N>k16.f32.<elt>.<elt>: D += A B,
/// N = 2 * acc.size() (a multiple of 8, at most 256). A is four i32 words a
/// thread (`aWords`, the mma.sync A fragment of the warp's 16 rows) or,
/// when `aWords` is empty, the shared operand `aDesc`, MN-major when
/// `transA`; B is the shared operand `bDesc`, MN-major when `transB`.
/// Without `accumulate`,
/// D = A B (`acc` is only its shape: pass accumulatorsUndefined). Returns the
/// new accumulators; they are valid only after the wgmma group that holds
/// this instruction has been waited for (then pass them through
/// fenceOperands).
SmallVector<Value> wgmma(Emitter &e, Type elt, ArrayRef<Value> acc,
                         ArrayRef<Value> aWords, Value aDesc, Value bDesc,
                         bool transB, bool accumulate = true,
                         bool transA = false);

/// `n` undefined f32 values: the accumulators of a first wgmma that does
/// not accumulate (no register is written before it).
SmallVector<Value> accumulatorsUndefined(Emitter &e, int64_t n);

/// wgmma.fence: registers written since are visible to the next wgmmas.
void wgmmaFence(Emitter &e);
/// wgmma.commit_group: the wgmmas issued since the last commit form a group.
void wgmmaCommit(Emitter &e);
/// wgmma.wait_group: waits until at most `pending` groups are in flight.
void wgmmaWait(Emitter &e, int64_t pending);

/// `values` (f32) passed through one empty volatile asm statement, so that
/// no arithmetic on them is scheduled before the wgmma wait that precedes
/// it (the compiler sees wgmma's results as ready when it is issued).
SmallVector<Value> fenceOperands(Emitter &e, ArrayRef<Value> values);

/// `index` (a warp-uniform index value below 2^31) as lane 0's value
/// (shfl.sync.idx): ptxas then keeps what is computed from it in uniform
/// registers, so that descriptors built from it need no move into them
/// (R2UR) before each wgmma.
Value warpUniform(Emitter &e, Value index);

/// fence.proxy.async.shared::cta: this thread's shared-memory writes (st,
/// cp.async) become visible to the async proxy that wgmma reads through.
void fenceProxyAsyncShared(Emitter &e);

/// bar.sync `id`, `threads`: barrier `id` (index, 1 to 15; 0 is
/// gpu.barrier's) of `threads` threads, such as one warpgroup.
void namedBarrier(Emitter &e, Value id, int64_t threads);

/// namedBarrier that also tells whether `pred` (i1) holds in any of the
/// `threads` threads (bar.red.or.pred): the same i1 in all of them.
Value namedBarrierAny(Emitter &e, Value id, int64_t threads, Value pred);

/// stmatrix.sync.aligned.m8n8.x4.trans.shared.b16: four 8 x 8 matrices of
/// 16-bit pairs (`words`, i32, one a matrix, the accumulator layout: lane
/// 4 r + c holds row r, columns 2c, 2c+1), each stored transposed; lane
/// 8 i + r gives the byte address (i64, shared window) of row r of matrix
/// i's destination.
void stmatrixTransposed(Emitter &e, Value address, ArrayRef<Value> words);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_WARPGROUPMMA_H
