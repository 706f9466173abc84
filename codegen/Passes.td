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

def RetentionGpuSelectSchedule
    : Pass<"retention-gpu-select-schedule", "::mlir::ModuleOp"> {
  let summary = "Decide how each retention form op runs on a GPU";
  let description = [{
    Attaches `retention.gpu_schedule = #retention.gpu_schedule<...>` to
    every retention form op: the kernel family (simt, mma_sync, wgmma), the
    chunk, threads per block, value slice, staging buffers, segments and
    what they take in shared memory and workspace, chosen once from the
    op's shape and element type, the target's description (`target`:
    sm_80, sm_90, sm_90a; shared memory, SMs, which tensor-core
    instructions exist) and the options below, which are the user's
    requests: 0 or `auto` lets the pass choose. A chunkwise op's
    `chunk_size` becomes the schedule's chunk.

    A schedule already written on an op is honoured: checked on the target
    (family available, tiles fit) and completed (its byte counts filled in
    where absent, checked where given). Requests that cannot be had (a
    value slice, stages or wgmma the shape does not take) are errors at the
    op, not silent fall-backs. `convert-retention-to-gpu` then lowers by
    the attribute alone. The rules: docs/gpu-codegen.md, "Choosing the
    schedule".

    Every `retention.linear` likewise gets `retention.gemm_schedule =
    #retention.gemm_schedule<...>` (kernel family simt or mma_sync, block
    tile, warps, stages, shared bytes; codegen/gpu/GemmSchedule.h), or has
    the one written on it checked and completed.

    Before:
    ```mlir
    %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>} : ...
    ```
    After (`target=sm_90a`, bf16, B = 8, T = 4096, H = 16, K = V = 128):
    ```mlir
    %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>,
        retention.gpu_schedule = #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64,
                                   value_slice = 128, stages = 2, shared_bytes = 148480>} : ...
    ```
  }];
  let options = [
    Option<"target", "target", "std::string", "\"sm_90a\"",
           "the GPU architecture: sm_80, sm_90 or sm_90a">,
    Option<"numSMs", "num-sms", "int64_t", "0",
           "streaming multiprocessors to plan for; 0 takes the target's">,
    Option<"tensorCores", "tensor-cores", "bool", "true",
           "chunkwise form, bf16/f16: all four chunk matmuls on tensor cores "
           "(state in registers, one block per value-column slice) where "
           "the shape allows; otherwise the SIMT kernel">,
    Option<"wgmma", "wgmma", "::mlir::retention::GpuScheduleRequest::Wgmma",
           "::mlir::retention::GpuScheduleRequest::Wgmma::Auto",
           "with tensor-cores: the chunkwise kernel on wgmma (chunk 64, K up "
           "to 256, slices of 64 or 128 value columns)",
           [{::llvm::cl::values(
             clEnumValN(::mlir::retention::GpuScheduleRequest::Wgmma::Auto,
                        "auto", "where the target has it and the op takes it"),
             clEnumValN(::mlir::retention::GpuScheduleRequest::Wgmma::Required,
                        "required", "an error where the op cannot take it"),
             clEnumValN(::mlir::retention::GpuScheduleRequest::Wgmma::Off,
                        "off", "the mma.sync kernel"))}]>,
    Option<"chooseChunk", "choose-chunk", "bool", "false",
           "choose each chunkwise op's chunk for the target instead of "
           "keeping its chunk_size">,
    Option<"blockSize", "block-size", "int64_t", "0",
           "SIMT chunkwise and parallel forms: threads per block (value "
           "columns per block), a multiple of 32 up to 1024; 0 chooses">,
    Option<"parallelTile", "parallel-tile", "int64_t", "32",
           "tile size (tokens) of the parallel form">,
    Option<"valueSlice", "value-slice", "int64_t", "0",
           "tensor cores: value columns per block (16, 32, 64 or 128; 16 "
           "per warp); 0 chooses">,
    Option<"segments", "segments", "int64_t", "0",
           "tensor cores: split T into this many segments (states, scan, "
           "outputs kernels); 1 is the single kernel, 0 chooses">,
    Option<"stages", "stages", "int64_t", "0",
           "tensor cores: staging buffers of the chunk's q, k, v rows (1 to "
           "4); N > 1 keeps the next N - 1 chunks' copies in flight; 0 "
           "chooses (2 for the outputs, 3 for the segment states kernel, "
           "where they fit)">,
    Option<"dynamicStaging", "dynamic-staging", "bool", "false",
           "SIMT chunkwise: stage the chunk's q and k in dynamic shared "
           "memory where they do not fit beside the score tile (not yet "
           "verified on hardware)">,
    Option<"explain", "explain", "bool", "false",
           "emit a remark at each op saying why it got its kernel family "
           "(and segments) and not another">,
  ];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

def ConvertRetentionToGPU : Pass<"convert-retention-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Turn a retention kernel function into GPU kernels, as its schedule says";
  let description = [{
    A function whose body is one retention form op (static shapes, with a
    `retention.gpu_schedule`, see `retention-gpu-select-schedule`) returning
    its results becomes `gpu.module @f { gpu.func @f(...) kernel }` with one
    memref parameter per function argument and then per result (q, k, v[,
    s0], o, state), written with the bare-pointer convention in mind, and a
    `retention.launch = {grid = [gx, gy, gz], block = [bx, by, 1],
    shared_bytes = N}` attribute the package manifest copies. The host side
    is the runtime's. The pass decides nothing: the schedule names the
    kernel family, and each family's emitter lays it out
    (docs/gpu-codegen.md):

    - `simt`: grid (ceil(V / block), H, B), one thread per value column of
      one (batch, head), the state column in the final-state buffer; the
      chunkwise and parallel forms compute their C x C score tiles
      cooperatively in shared memory (the chunkwise one on tensor cores
      with `score_tile = mma_sync`); the recurrent form splits K over
      `rows` thread rows, `lanes` columns a thread.
    - `mma_sync` / `wgmma` (chunkwise): grid (ceil(V / value_slice), H, B),
      all four chunk matmuls on tensor cores with the state in f32
      registers. With `segments` > 1: `gpu.func @f_states` (each segment's
      state contribution into a workspace, one more memref parameter),
      `@f_scan` (the segments' initial states) and `@f` (outputs per
      segment), in that order, the workspace size in
      `retention.workspace_bytes` of the gpu.module.

    The schedule is kept on the gpu.module (`retention.gpu_schedule`) for
    the package writer.

    With `runtime-sizes`, a retention kernel takes one more, last, `index`
    parameter: the token count T, 1 <= T <= the static T of q, k, v and o,
    whose types stay those of the function (the maximum); every use of T
    takes it, and rows at or past it are neither read nor written. It needs
    B = 1 and, on tensor cores, no segments (their count, grid and workspace
    depend on T): errors otherwise. A linear kernel likewise takes the row
    count M of x, the residual and y; its grid stays that of the static M
    (the caller launches the blocks the run-time M needs).

    A function whose body is one `retention.linear` (with its
    `retention.gemm_schedule`) becomes `gpu.module @f { gpu.func @f(x,
    weight[, residual], y) kernel }`, grid (ceil(N / block_n), ceil(M /
    block_m)), as codegen/gpu/GemmKernels.h describes; the gpu.module keeps
    the schedule as `retention.gemm_schedule`.

    A function whose body is one graph op with a GPU kernel (embedding,
    rms_norm, rotary, repeat_heads, gated_head_norm, swiglu, add; static
    shapes) becomes `gpu.module @f { gpu.func @f(operands..., result,
    rows: index[, position: index]) kernel }`, for as many rows as the
    result has (codegen/gpu/GraphKernels.h); `retention.launch` adds the
    rows a block covers (`rows_per_block`).

    Before:
    ```mlir
    func.func @retention(%q: tensor<..>, %k: tensor<..>, %v: tensor<..>) -> (tensor<..>, tensor<..>) {
      %o, %s = retention.recurrent %q, %k, %v {decay = #retention.decay<retnet>,
          retention.gpu_schedule = #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>} : ...
      return %o, %s : ...
    }
    ```
    After:
    ```mlir
    gpu.module @retention attributes {retention.gpu_schedule = #retention.gpu_schedule<...>} {
      gpu.func @retention(%q: memref<..>, %k: memref<..>, %v: memref<..>,
                          %o: memref<..>, %s: memref<..>) kernel
          attributes {retention.launch = {block = array<i64: 32, 16, 1>, grid = array<i64: 1, 8, 64>, shared_bytes = 0 : i64}} {
        ...
      }
    }
    ```
  }];
  let options = [
    Option<"runtimeSizes", "runtime-sizes", "bool", "false",
           "Retention kernels take the token count T, linear kernels the "
           "row count M, as a last index parameter (at most the static size)">
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

def RetentionOutlineGpuKernels
    : Pass<"retention-outline-gpu-kernels", "::mlir::ModuleOp"> {
  let summary = "Split a model into kernel functions and a host program";
  let description = [{
    For a model on the GPU, after form selection: every op that runs as a
    kernel (the graph ops, `retention.linear`, the retention forms) moves
    into a kernel function of its own, `func.func private @k<N>_<op>`,
    whose types are static: a dynamic row (token) count becomes the most
    rows the enclosing function passes, its `retention.max_tokens`
    attribute. Ops that are the same but for their operands share one
    kernel function. In its place the function (now the host program)
    reads the operands' buffers (`bufferization.to_buffer`), allocates the
    results' buffers with the run-time row count, launches the kernel on
    them (`retention.launch_kernel`, the row count and rotary's position
    last) and continues with the results (`bufferization.to_tensor`).

    The kernel functions are then what the single-kernel GPU path
    schedules and lowers (`retention-gpu-select-schedule`,
    `convert-retention-to-gpu{runtime-sizes}`), one `gpu.module` each.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::tensor::TensorDialect"];
}

def RetentionGpuStateInPlace
    : Pass<"retention-gpu-state-in-place", "::mlir::ModuleOp"> {
  let summary = "A model's retention state updated in place by kernels that allow it";
  let description = [{
    After bufferization of a GPU model's host functions, a retention
    kernel reads its initial state from a copy of the sequence state's
    slice and writes its final state to a buffer of its own, which is then
    copied back into the slice:

    ```mlir
    memref.copy %slice, %s0
    retention.launch_kernel @k4_recurrent(%q, %k, %v, %s0, %o, %final, %T)
    memref.copy %final, %slice
    ```

    Where the kernel's `gpu.func` carries `retention.state_in_place =
    array<i64: S0, FINAL>` (its initial- and final-state parameters may be
    one buffer: the SIMT recurrent kernel, each of whose threads reads the
    state elements it writes before writing them), the launch takes
    `%slice` for both and the copies and the two buffers go: no state
    traffic beyond the kernel's own. Only where nothing between the two
    copies but the launch touches the state's memory, and the two buffers
    have no other use.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def RetentionLowerGpuHost
    : Pass<"retention-lower-gpu-host", "::mlir::ModuleOp"> {
  let summary = "A model's host program: arena views, copy and launch requests";
  let description = [{
    After bufferization of a GPU model's host functions, with the kernels
    lowered to `gpu.module`s:

    - the kernels' `gpu.func`s move into one `gpu.module @retention_kernels`
      (kernel i of the package is its i-th `gpu.func`);
    - every host function takes two more arguments, the runtime's
      `retc_gpu_host *` and the device address of the arena, passed on to
      the functions it calls;
    - every `memref.alloc` becomes a view of the arena at an offset planned
      at compile time: buffers whose lifetimes (alloc to dealloc) overlap
      get disjoint ranges, sized for the function's `retention.max_tokens`;
      a called function's buffers lie past its caller's. The module gets
      `retention.arena_bytes`, the most any entry needs;
    - every `memref.copy` (contiguous buffers) becomes a copy request,
      `retc_gpu_host.copy`;
    - every `retention.launch_kernel` becomes a launch request
      (runtime/KernelABI.h): the kernel's index, its grid (dimensions that
      count row blocks computed from the run-time row count), block,
      dynamic shared memory and parameters.

    Post-conditions: no `retention.launch_kernel`, `memref.alloc`,
    `memref.dealloc` or `memref.copy` in host functions, and no load or
    store through a buffer other than the table of weights.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::gpu::GPUDialect"];
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

def RetentionLowerModelWeights
    : Pass<"retention-lower-model-weights", "::mlir::ModuleOp"> {
  let summary = "Read each retention.model_weight's address from its table";
  let description = [{
    After bufferization, before the memref-to-LLVM conversion: each
    `retention.model_weight %table[%i]` becomes a load of the table's i-th
    64-bit address and a memref descriptor of the result's static shape
    over it (`builtin.unrealized_conversion_cast` from the LLVM struct, which
    the conversions fold), so that one loop over the layers addresses each
    layer's weights.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::memref::MemRefDialect"];
}

def RetentionEmitModelABI : Pass<"retention-emit-model-abi", "::mlir::ModuleOp"> {
  let summary = "Add the package ABI entry point of each model entry function";
  let description = [{
    For each model entry function in the LLVM dialect (public, void, taking
    num_tokens, position and all_logits as i64, then the tokens, state,
    logits and weight-table pointers), adds
    `retc_model_<name>(const retc_model_call *call)` (runtime/KernelABI.h),
    which unpacks the call and calls the function. With `gpu`, the host
    program of a GPU model: the functions take the runtime's
    `retc_gpu_host *` and the arena's device address last
    (retention-lower-gpu-host), and the wrapper is
    `retc_gpu_model_<name>(const retc_gpu_model_call *call)`.
  }];
  let options = [
    Option<"gpu", "gpu", "bool", "false",
           "the host program of a GPU model (retc_gpu_model_call)">
  ];
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
