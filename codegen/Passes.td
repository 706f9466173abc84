//===- Passes.td - lowering out of the retention dialect ---*- tablegen -*-===//
//
// The passes of codegen/: lowering retention forms to loop nests and the
// kernel ABI wrapper. Pipelines that chain them are in codegen/Pipelines.h.
//
//===----------------------------------------------------------------------===//
#ifndef RETENTION_CODEGEN_PASSES_TD
#define RETENTION_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertRetentionToCPU : Pass<"convert-retention-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Lower retention forms to tiled, vectorized CPU loop nests";
  let description = [{
    Rewrites every `retention.parallel`, `retention.chunkwise` and
    `retention.recurrent` (with static shapes) into:

    - an `scf.parallel` over (batch, head), one independent task per head
      (later mapped to OpenMP threads);
    - inside it, `scf.for` loops over chunks (chunkwise), query/key tile pairs
      (parallel) or tokens (recurrent);
    - register-blocked microkernels (`mr` rows x `nr` vectors of
      `vector-width` f32 lanes, `vector.fma` on broadcasts) for the chunk
      matmuls Q K^T, A V, Q S and K^T V, on operands packed into f32 scratch
      tiles padded to the microkernel shape;
    - decay factors computed as exp2(n * log2 gamma_h) into small per-tile
      tables, never read from a T x T mask in memory. Exponents below zero
      (the causal mask) give exactly 0.

    Operands are read with `bufferization.to_buffer`; results are fresh
    buffers returned through `bufferization.to_tensor`, so the function is
    ready for one-shot bufferization. Ops with dynamic shapes or the
    form-agnostic `retention.retention` are left alone (run
    `retention-select-form` first); they fail the conversion with a message.

    Before:
    ```mlir
    %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, ...} : ...
    ```
    After (sketch):
    ```mlir
    %qb = bufferization.to_buffer %q read_only : ...
    %o_buf = memref.alloc() : memref<1x4096x8x128xf32>
    scf.parallel (%b, %h) = (%c0, %c0) to (%c1, %c8) step (%c1, %c1) {
      scf.for %c0 = ... step %c64 {   // chunks: pack, Q K^T, mask, A V + Q S, state update
        ... vector.fma ...
      }
    }
    %o = bufferization.to_tensor %o_buf restrict : ...
    ```
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "8",
           "f32 lanes per vector (8: AVX2, 16: AVX-512)">,
    Option<"microRows", "mr", "int64_t", "4",
           "rows of the register-blocked microkernel">,
    Option<"microCols", "nr", "int64_t", "2",
           "vectors per row of the microkernel">,
    Option<"parallelTile", "parallel-tile", "int64_t", "64",
           "tile size (tokens) of the parallel form">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def ConvertRetentionGraphToCPU
    : Pass<"convert-retention-graph-to-cpu", "::mlir::ModuleOp"> {
  let summary = "Lower the model graph ops to vectorized, parallel CPU loops";
  let description = [{
    Every graph-level op (embedding, rms_norm, linear, swiglu_linear,
    swiglu, rotary, repeat_heads, gated_head_norm, add) becomes an
    scf.parallel loop nest over f32 vectors of `vector-width` lanes that
    reads its operands through `bufferization.to_buffer` and returns a fresh
    buffer through `bufferization.to_tensor`. Projections use a register
    tile of `mr` rows by `nr` output columns along the contiguous input axis
    of the [out, in] weights, parallel over tiles of `row-tile` rows by
    `col-tile` output columns (docs/cpu-codegen.md, "Model graph").
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "8",
           "f32 lanes per vector (16 for AVX-512, 8 for AVX2)">,
    Option<"microRows", "mr", "int64_t", "4",
           "projections: rows of the register tile">,
    Option<"microCols", "nr", "int64_t", "2",
           "projections: output columns of the register tile">,
    Option<"rowTile", "row-tile", "int64_t", "64",
           "projections: rows per parallel task">,
    Option<"colTile", "col-tile", "int64_t", "64",
           "projections: output columns per parallel task">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::bufferization::BufferizationDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def ConvertRetentionToGPU : Pass<"convert-retention-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Turn a retention kernel function into a GPU kernel";
  let description = [{
    A function whose body is one retention form op (static shapes) returning
    its results becomes `gpu.module @f { gpu.func @f(...) kernel }` with one
    memref parameter per function argument and then per result (q, k, v[,
    s0], o, state), written with the bare-pointer convention in mind, and a
    `retention.launch = {grid = [gx, gy, gz], block = [bx, 1, 1]}`
    attribute the package manifest copies. The host side is the runtime's.

    The schedule is SIMT: grid (ceil(V / block), H, B), one thread per value
    column of one (batch, head), the state column in the final-state buffer;
    the chunkwise and parallel forms compute their C x C score tiles
    cooperatively in shared memory (`docs/gpu-codegen.md`). Decay factors are
    exp2(e * log2 gamma_h) with log2 gamma_h selected by head index.

    With `mma-all`, a chunkwise op on bf16/f16 inputs (chunk and K multiples
    of 16, V of 8) becomes the tensor-core kernel instead: grid (ceil(V /
    slice), H, B), a warp per 16 value columns, all four chunk matmuls on
    mma.sync with the state in f32 accumulator registers, tiles in shared
    memory (dynamic beyond 48 KiB, `shared_bytes` in the launch). With
    `segments` (> 1, or 0 where the shape asks for it), T is split into
    segments: `gpu.func @f_states` (each segment's state contribution into
    a workspace, one more memref parameter), `@f_scan` (the segments'
    initial states and the final state) and `@f` (outputs per segment), in
    that order, the workspace size in `retention.workspace_bytes` of the
    gpu.module.

    Before:
    ```mlir
    func.func @retention(%q: tensor<..>, %k: tensor<..>, %v: tensor<..>) -> (tensor<..>, tensor<..>) {
      %o, %s = retention.recurrent %q, %k, %v {decay = #retention.decay<retnet>} : ...
      return %o, %s : ...
    }
    ```
    After:
    ```mlir
    gpu.module @retention {
      gpu.func @retention(%q: memref<..>, %k: memref<..>, %v: memref<..>,
                          %o: memref<..>, %s: memref<..>) kernel
          attributes {retention.launch = {block = array<i64: 128, 1, 1>, grid = array<i64: 1, 8, 64>}} {
        ...
      }
    }
    ```
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "0",
           "chunkwise and parallel forms: threads per block (value columns "
           "per block), a multiple of 32; 0 chooses from the shape">,
    Option<"numSMs", "num-sms", "int64_t", "132",
           "streaming multiprocessors of the target, for block-size=0">,
    Option<"allowDynamicStaging", "dynamic-staging", "bool", "false",
           "stage the chunk's q and k in dynamic shared memory where they do "
           "not fit beside the score tile (not yet verified on hardware)">,
    Option<"mmaAll", "mma-all", "bool", "false",
           "chunkwise form, bf16/f16: all four chunk matmuls on tensor cores "
           "(state in registers, one block per value-column slice) where "
           "the shape allows; otherwise the default kernel">,
    Option<"mmaVSlice", "mma-v-slice", "int64_t", "0",
           "with mma-all: value columns per block (16, 32, 64 or 128; 16 "
           "per warp); 0 chooses from the shape">,
    Option<"segments", "segments", "int64_t", "1",
           "with mma-all: split T into this many segments (states, scan, "
           "outputs kernels; docs/gpu-codegen.md); 1 is the single kernel, "
           "0 chooses from the shape">,
    Option<"stages", "stages", "int64_t", "0",
           "with mma-all: staging buffers of the chunk's q, k, v rows (1 "
           "to 4); N > 1 keeps the next N - 1 chunks' cp.async copies in "
           "flight while this one is computed, 1 stages each chunk in "
           "turn, 0 chooses (2 for the outputs, 3 for the segment states "
           "kernel, where they fit)">,
    Option<"maxSharedBytes", "max-shared-bytes", "int64_t", "166912",
           "with mma-all: dynamic shared memory a block may use on the "
           "target (sm_80: 166912, sm_90: 232448)">,
    Option<"warpgroupMma", "warpgroup-mma", "bool", "false",
           "with mma-all, sm_90a: the chunkwise kernel on wgmma (chunk 64, "
           "K up to 256, slices of 64 or 128 value columns), an error where "
           "the op cannot take it; the segment states kernel stays on "
           "mma.sync">,
    Option<"preferWarpgroupMma", "prefer-warpgroup-mma", "bool", "false",
           "with mma-all, sm_90a: the wgmma kernel where the op can take "
           "it, else the mma.sync kernel (or the SIMT one where that "
           "cannot take it either)">,
    Option<"parallelTile", "parallel-tile", "int64_t", "32",
           "tile size (tokens) of the parallel form">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::nvgpu::NVGPUDialect", "::mlir::NVVM::NVVMDialect",
    "::mlir::LLVM::LLVMDialect"
  ];
}

def RetentionExternDynamicShared
    : Pass<"retention-extern-dynamic-shared", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Give dynamic shared memory globals external linkage";
  let description = [{
    After `convert-gpu-to-nvvm`: every zero-size, uninitialized global in
    address space 3 (what `gpu.dynamic_shared_memory` becomes) gets external
    linkage, so NVPTX declares it `.extern .shared .align 16 .b8 name[];` —
    the block's dynamic shared memory — instead of a static variable that
    overlaps the static shared tiles (MLIR 22 makes it internal).

    Before:
    ```mlir
    llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
    ```
    After:
    ```mlir
    llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def RetentionPlanBuffers : Pass<"retention-plan-buffers", "::mlir::ModuleOp"> {
  let summary = "Free each activation buffer right after its last use";
  let description = [{
    After bufferization of a model's entry functions: every `memref.alloc`
    at the top level of a function body gets a `memref.dealloc` right after
    the last top-level operation that uses it or a view of it, so that
    activations that are dead no longer hold memory and the next activation
    reuses it. Buffers that escape (returned, stored, passed to a call) or
    are already freed are left alone.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def RetentionLowerCopies : Pass<"retention-lower-copies", "::mlir::ModuleOp"> {
  let summary = "Lower memref.copy to loop nests";
  let description = [{
    Every `memref.copy` becomes a nest of `scf.for` loops of loads and
    stores. MLIR lowers copies between buffers with non-identity layouts to
    a call into its C runner utilities (`memrefCopy`), which retc's packages
    do not ship.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect", "::mlir::arith::ArithDialect"];
}

def RetentionEmitModelABI : Pass<"retention-emit-model-abi", "::mlir::ModuleOp"> {
  let summary = "Add the package ABI entry point of each model entry function";
  let description = [{
    For each model entry function in the LLVM dialect (public, void, taking
    num_tokens, position and all_logits as i64, then the tokens, state and
    logits pointers and one pointer per weight), adds
    `retc_model_<name>(const retc_model_call *call)` (runtime/KernelABI.h),
    which unpacks the call and calls the function.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def RetentionEmitCPUABI : Pass<"retention-emit-cpu-abi", "::mlir::ModuleOp"> {
  let summary = "Add the package ABI entry point for each kernel function";
  let description = [{
    Runs on the LLVM dialect, after `convert-func-to-llvm` with the bare-pointer
    calling convention. For every public `llvm.func @name` whose arguments are
    all pointers, adds `llvm.func @name_retc_abi(%args: !llvm.ptr)` that loads
    the i-th pointer from `args[i]` and calls `@name` with them: the one
    signature (`void(void **)`, runtime/KernelABI.h) the runtime calls every
    CPU kernel through.

    After:
    ```mlir
    llvm.func @retention_chunkwise_retc_abi(%args: !llvm.ptr) {
      %p0 = llvm.load %args : !llvm.ptr -> !llvm.ptr
      ...
      llvm.call @retention_chunkwise(%p0, ...) : (...) -> ()
      llvm.return
    }
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // RETENTION_CODEGEN_PASSES_TD
