//===- RetentionAttrs.td - retention attributes ------------*- tablegen -*-===//
//
// The per-head decay of retention (a named schedule or explicit values), the
// computational forms, and the GPU schedule a form op is lowered with.
//
//===----------------------------------------------------------------------===//
#ifndef RETENTION_ATTRS_TD
#define RETENTION_ATTRS_TD

include "dialect/RetentionDialect.td"
include "mlir/IR/EnumAttr.td"

def Retention_DecaySchedule : I32EnumAttr<"DecaySchedule",
    "how the per-head decay gamma_h is chosen", [
      I32EnumAttrCase<"RetNet", 0, "retnet">,
      I32EnumAttrCase<"Paper", 1, "paper">,
      I32EnumAttrCase<"Explicit", 2, "explicit">
    ]> {
  let cppNamespace = "::mlir::retention";
  let genSpecializedAttr = 0;
}

def Retention_DecayAttr : AttrDef<Retention_Dialect, "Decay"> {
  let mnemonic = "decay";
  let summary = "per-head decay gamma_h in (0, 1)";
  let description = [{
    The decay of each retention head. Three spellings:

    ```mlir
    #retention.decay<retnet>              // gamma_h = 1 - 2^(-5-h)
    #retention.decay<paper>               // gamma = 1 - exp(linspace(log 1/32, log 1/512, H))
    #retention.decay<[0.9, 0.95, 0.99]>   // explicit, one value per head
    ```

    Named schedules depend on the number of heads, which the op using the
    attribute supplies; explicit values must number exactly H (checked by the
    op's verifier) and lie strictly between 0 and 1 (checked here).
  }];
  let parameters = (ins
    "DecaySchedule":$schedule,
    OptionalParameter<"::mlir::DenseF64ArrayAttr">:$values
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let skipDefaultBuilders = 0;
  let extraClassDeclaration = [{
    /// The decay of each of `numHeads` heads, in head order.
    ::llvm::SmallVector<double> getGammas(int64_t numHeads) const;
    /// The explicit values (empty for named schedules).
    ::llvm::ArrayRef<double> getValueList() const {
      return getValues() ? getValues().asArrayRef() : ::llvm::ArrayRef<double>();
    }
    /// Builds a decay attribute from a schedule and explicit values.
    static DecayAttr get(::mlir::MLIRContext *ctx, DecaySchedule schedule,
                         ::llvm::ArrayRef<double> values);
  }];
}

def Retention_Form : I32EnumAttr<"RetentionForm",
    "a computational form of retention", [
      I32EnumAttrCase<"Auto", 0, "auto">,
      I32EnumAttrCase<"Generic", 1, "generic">,
      I32EnumAttrCase<"Parallel", 2, "parallel">,
      I32EnumAttrCase<"Chunkwise", 3, "chunkwise">,
      I32EnumAttrCase<"Recurrent", 4, "recurrent">
    ]> {
  let description = [{
    `generic` is the form-agnostic `retention.retention`; `auto` means "let
    the pass choose" (an option value, never the form of an op); the other
    three name `retention.parallel`, `retention.chunkwise` and
    `retention.recurrent`. Also the values of a model entry function's
    `retention.form`.
  }];
  let cppNamespace = "::mlir::retention";
  let genSpecializedAttr = 0;
}

def Retention_GpuKernel : I32EnumAttr<"GpuKernel",
    "the family of a GPU retention kernel", [
      I32EnumAttrCase<"Simt", 0, "simt">,
      I32EnumAttrCase<"MmaSync", 1, "mma_sync">,
      I32EnumAttrCase<"Wgmma", 2, "wgmma">,
      I32EnumAttrCase<"Gemv", 3, "gemv">
    ]> {
  let cppNamespace = "::mlir::retention";
  let genSpecializedAttr = 0;
}

def Retention_GemmScheduleAttr : AttrDef<Retention_Dialect, "GemmSchedule"> {
  let mnemonic = "gemm_schedule";
  let summary = "how one retention.linear (a GEMM) runs on a GPU";
  let description = [{
    Every choice the GPU kernel of one `retention.linear` depends on, made
    once by `retention-gpu-select-schedule` (or written by hand) and read by
    `convert-retention-to-gpu`. Attached to the op as
    `retention.gemm_schedule`.

    - `kernel`: `simt` (f32 FMAs, each thread a `thread_m` x `thread_n`
      block of outputs from shared-memory tiles), `mma_sync` (bf16/f16
      operands, m16n8k16 tensor-core MMAs on ldmatrix fragments),
      `wgmma` (bf16/f16, sm_90a: each warpgroup of 4 warps 64 rows by
      `block_n / warps_n` columns in m64nNk16 warpgroup MMAs whose
      operands are read from shared memory in the 128-byte swizzle;
      `block_m = 16 * warps_m`, `block_k = 64`, at least 2 stages) or
      `gemv` (few rows of x: each warp streams whole weight rows, below).
    - `block_m` x `block_n`: the outputs of one thread block (rows of x by
      rows of the weight); `block_k`: the depth of one staged tile of x
      and of the weight.
    - `warps_m` x `warps_n`: the block's warps over its outputs (mma_sync;
      each warp `block_m / warps_m` x `block_n / warps_n`; wgmma: warps_m
      / 4 warpgroups along M by warps_n along N). simt: the block has
      `block_m / thread_m * block_n / thread_n` threads.
    - `stages`: tiles of x and the weight in flight (cp.async buffers).
    - `shared_bytes`: the dynamic shared memory this takes, filled in by
      the selection pass and checked against the kernel's layout there.
    - `m_first`: consecutive blocks run down M (grid x over row blocks),
      so that blocks running together share a tile of the weight and the
      weight is read from memory about once (the LM head's 131 MB weight
      against a 17 MB x); default: along N, sharing a tile of x.

    `gemv` (x and the weight each f32, bf16 or f16; for a few rows of x)
    reads the fields as follows: a block computes `block_m` rows of x
    (all of a decode batch; a lane holds `block_m * thread_n` f32 sums) by
    `block_n = warps_n * thread_n` weight rows; each of its `warps_n`
    warps (`warps_m` = 1) reads `thread_n` whole weight rows, a lane
    16-byte pieces of each (narrower where K is not a multiple), `stages`
    consecutive warp k-steps of all of them as one group of loads, the
    next group's loads issued before a group is summed; x is staged in
    shared memory as f32, `block_k` columns (a multiple of 256) at a time;
    `thread_m` is 1. shared_bytes = block_m * block_k * 4.

    ```mlir
    #retention.gemm_schedule<kernel = mma_sync, block_m = 128, block_n = 128, block_k = 32, warps_m = 2, warps_n = 4, stages = 4, shared_bytes = 81920>
    #retention.gemm_schedule<kernel = gemv, block_m = 1, block_n = 16, block_k = 2048, warps_n = 4, thread_n = 4, stages = 4, shared_bytes = 8192>
    ```
  }];
  let parameters = (ins
    "GpuKernel":$kernel,
    "int64_t":$block_m,
    "int64_t":$block_n,
    "int64_t":$block_k,
    DefaultValuedParameter<"int64_t", "1">:$warps_m,
    DefaultValuedParameter<"int64_t", "1">:$warps_n,
    DefaultValuedParameter<"int64_t", "1">:$thread_m,
    DefaultValuedParameter<"int64_t", "1">:$thread_n,
    DefaultValuedParameter<"int64_t", "1">:$stages,
    DefaultValuedParameter<"int64_t", "0">:$shared_bytes,
    DefaultValuedParameter<"bool", "false">:$m_first
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Threads per block.
    int64_t getThreads() const {
      return getKernel() == GpuKernel::Simt
                 ? getBlockM() / getThreadM() * (getBlockN() / getThreadN())
                 : 32 * getWarpsM() * getWarpsN();
    }
  }];
}

def Retention_GpuScheduleAttr : AttrDef<Retention_Dialect, "GpuSchedule"> {
  let mnemonic = "gpu_schedule";
  let summary = "how one retention form op runs on a GPU";
  let description = [{
    Every choice the GPU kernel of one form op depends on, made once by
    `retention-gpu-select-schedule` (or written by hand) and read by
    `convert-retention-to-gpu`, which decides nothing itself. Attached to a
    form op as `retention.gpu_schedule`.

    - `kernel`: `simt` (one thread per value column), `mma_sync` or `wgmma`
      (chunkwise only: every chunk matmul on tensor cores, the state in
      registers, one block per slice of `value_slice` value columns).
    - `block`: threads per block (x). `rows` (recurrent): thread rows a
      state column's K rows are split over; `lanes` (recurrent): adjacent
      value columns per thread.
    - `chunk`: rows of a chunk (chunkwise; equal to the op's `chunk_size`)
      or of a query/key tile (parallel). On tensor cores a chunk longer
      than T is T padded to 16 rows.
    - `score_tile` (simt chunkwise): `mma_sync` computes the chunk's score
      tile on tensor cores from staged q and k rows.
    - `value_slice`, `stages` (buffers of staged rows in flight) and, for
      long sequences with few heads, `segments` of `segment_length` tokens:
      three kernels (segment states, a scan, outputs) sharing a workspace;
      the states kernel splits each segment into `parts`, with its own
      `states_stages` and `states_blocks_per_sm`.
    - `shared_bytes`, `states_shared_bytes`, `workspace_bytes`: what these
      choices take (dynamic shared memory of the outputs / states kernel,
      global workspace), filled in by the selection pass and checked
      against the kernels' layouts there.

    ```mlir
    #retention.gpu_schedule<kernel = wgmma, block = 256, chunk = 64, value_slice = 128, stages = 2, shared_bytes = 148480>
    #retention.gpu_schedule<kernel = simt, block = 32, rows = 16, lanes = 4>
    ```

    Invariants that need no target (the families' shape rules, ranges,
    segment arithmetic) are checked by this attribute's verifier and the
    form op's; the fit on a target (shared memory, wgmma only on sm_90a) by
    the selection pass.
  }];
  let parameters = (ins
    "GpuKernel":$kernel,
    "int64_t":$block,
    DefaultValuedParameter<"int64_t", "0">:$chunk,
    DefaultValuedParameter<"int64_t", "1">:$rows,
    DefaultValuedParameter<"int64_t", "1">:$lanes,
    DefaultValuedParameter<"GpuKernel", "::mlir::retention::GpuKernel::Simt">:$score_tile,
    DefaultValuedParameter<"int64_t", "0">:$value_slice,
    DefaultValuedParameter<"int64_t", "1">:$stages,
    DefaultValuedParameter<"int64_t", "1">:$segments,
    DefaultValuedParameter<"int64_t", "0">:$segment_length,
    DefaultValuedParameter<"int64_t", "1">:$parts,
    DefaultValuedParameter<"int64_t", "1">:$states_stages,
    DefaultValuedParameter<"int64_t", "1">:$states_blocks_per_sm,
    DefaultValuedParameter<"int64_t", "0">:$shared_bytes,
    DefaultValuedParameter<"int64_t", "0">:$states_shared_bytes,
    DefaultValuedParameter<"int64_t", "0">:$workspace_bytes
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Tensor cores for every chunk matmul (mma_sync or wgmma).
    bool isTensorCoreChunkwise() const {
      return getKernel() != GpuKernel::Simt;
    }
    /// Workspace slots of the segment schedule: a contribution per part,
    /// then the last segment's initial state.
    int64_t getWorkspaceSlots() const {
      return getParts() * (getSegments() - 1) + 1;
    }
    /// Launches of the schedule: 3 with segments (states, scan, outputs).
    int64_t getNumLaunches() const { return getSegments() > 1 ? 3 : 1; }
  }];
}

#endif // RETENTION_ATTRS_TD
