//===- GraphKernels.h - GPU kernels of the model's graph ops ----*- C++ -*-===//
//
// One generated `gpu.func` kernel for each graph op of the RetNet model
// (RetentionGraphOps.td) other than retention and linear: embedding,
// rms_norm, rotary, repeat_heads, gated_head_norm (with or without its
// gate), swiglu and add, all f32. Every kernel covers whole rows (tokens):
// a block owns `rowsPerBlock` consecutive rows, the threads of a row stride
// over it in 16-byte pieces where the widths allow (8- or 4-byte pieces
// otherwise), and a launch for `rows` rows has ceil(rows / rowsPerBlock)
// blocks. The layouts, kernel by kernel, are in GraphKernels.cpp.
//
// Every element of a result is written by the thread that read the operand
// elements it depends on, after reading them (and, for the norms, after
// the row's or head's sum is complete), so add, swiglu, rms_norm,
// gated_head_norm and rotary may run in place (the result aliasing its
// row operand). Every buffer must be 16-byte aligned (16-byte pieces are
// loaded and stored with that alignment).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_GPU_GRAPHKERNELS_H
#define RETC_CODEGEN_GPU_GRAPHKERNELS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

#include <array>
#include <cstdint>

namespace mlir::retention {

/// How a graph-op kernel is launched for `rows` rows: grid
/// (ceil(rows / rowsPerBlock), 1, 1), `block` threads, `sharedBytes` of
/// dynamic shared memory.
struct GraphKernelLaunch {
  int64_t rowsPerBlock = 1;
  std::array<int64_t, 3> block = {1, 1, 1};
  int64_t sharedBytes = 0;
};

/// Whether `op` is a graph op buildGraphKernel lowers.
bool isGraphKernelOp(Operation *op);

/// Builds the kernel of graph op `op` as `gpu.func @name` at `b`'s insertion
/// point (inside a gpu.module). Parameters, in order: the op's tensor
/// operands, each as a memref with the operand's shape but the row dimension
/// (dim 0; the tokens' only dim) = `maxRows` (static), then the result
/// likewise, then `index rows` (the rows to compute, 1 <= rows <= maxRows;
/// rows at or past it are neither read nor written), then for rotary
/// `index position` (the op's position operand). Fails with an error on the
/// op for an op it does not lower or an unsupported shape.
///
/// The kernel's `retention.launch` holds the launch for maxRows rows.
/// Rotary also adds its table of frequencies, `memref.global @<name>_inv_freq`,
/// to the gpu.module.
FailureOr<GraphKernelLaunch> buildGraphKernel(OpBuilder &b, Location loc,
                                              StringRef name, Operation *op,
                                              int64_t maxRows);

} // namespace mlir::retention

#endif // RETC_CODEGEN_GPU_GRAPHKERNELS_H
