//===- Passes.h - lowering out of the retention dialect ---------*- C++ -*-===//
//
// Declarations of codegen passes (generated from Passes.td).
//
//===----------------------------------------------------------------------===//
#ifndef RETC_CODEGEN_PASSES_H
#define RETC_CODEGEN_PASSES_H

#include "codegen/gpu/GpuScheduleRequest.h"

#include "mlir/Pass/Pass.h"

namespace mlir {
namespace arith { class ArithDialect; }
namespace bufferization { class BufferizationDialect; }
namespace gpu { class GPUDialect; }
namespace LLVM { class LLVMDialect; }
namespace NVVM { class NVVMDialect; }
namespace nvgpu { class NVGPUDialect; }
namespace math { class MathDialect; }
namespace memref { class MemRefDialect; }
namespace scf { class SCFDialect; }
namespace vector { class VectorDialect; }
namespace retention { class RetentionDialect; }
} // namespace mlir

namespace mlir::retention {
#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "codegen/Passes.h.inc"

} // namespace mlir::retention

#endif // RETC_CODEGEN_PASSES_H
