//===- RetentionGraphOps.td - the RetNet model graph ---------*- tablegen -*-===//
//
// Graph-level ops: one op per operation of the RetNet model (docs/models.md,
// "The model, exactly") around `retention.retention`. Activations are 2-D
// tensors [T, N] (one row per token; T may be dynamic) of f32, or of bf16
// or f16 where the op allows (a model of half dtype on a GPU: the inputs
// of projections and of retention); the residual stream is f32. Every op
// computes in f32 and rounds its result once to the result's type.
// Multi-head activations are head-major, head i owning columns [i*D,
// (i+1)*D). Weights are tensors in the checkpoint's layout (linear weights
// [out, in]).
//
//===----------------------------------------------------------------------===//
#ifndef RETENTION_GRAPH_OPS_TD
#define RETENTION_GRAPH_OPS_TD

include "dialect/RetentionDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

def Retention_Rows : RankedTensorOf<[F32], [HasAnyRankOfPred<[2]>], "2-D f32 tensor [T, N]">;
def Retention_Vector : RankedTensorOf<[F32], [HasAnyRankOfPred<[1]>], "1-D f32 tensor">;
def Retention_Matrix : RankedTensorOf<[F32], [HasAnyRankOfPred<[2]>], "2-D f32 tensor">;
def Retention_Tokens : RankedTensorOf<[I32], [HasAnyRankOfPred<[1]>], "1-D i32 tensor">;
def Retention_Positions : RankedTensorOf<[I64], [HasAnyRankOfPred<[1]>], "1-D i64 tensor (one position a row)">;
def Retention_Offsets : RankedTensorOf<[I64], [HasAnyRankOfPred<[1]>], "1-D i64 tensor (N + 1 sequence offsets)">;
// Activations and weights that may hold half types (accumulation is f32
// whatever the types).
def Retention_AnyRows : RankedTensorOf<[F32, BF16, F16], [HasAnyRankOfPred<[2]>], "2-D f32, bf16 or f16 tensor [T, N]">;
def Retention_AnyMatrix : RankedTensorOf<[F32, BF16, F16], [HasAnyRankOfPred<[2]>], "2-D f32, bf16 or f16 tensor">;


class Retention_GraphOp<string mnemonic, list<Trait> traits = []>
    : Retention_Op<mnemonic, !listconcat([Pure], traits)> {
  let hasVerifier = 1;
}

def Retention_EmbeddingOp : Retention_GraphOp<"embedding"> {
  let summary = "token embedding lookup";
  let description = [{
    `result[t, :] = table[tokens[t], :]`, the table f32, bf16 or f16 (a
    model's weights of half type) and the rows f32. Token ids out of range
    are the runtime's to refuse before the call.

    ```mlir
    %h = retention.embedding %tokens, %table : tensor<?xi32>, tensor<100x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Retention_Tokens:$tokens, Retention_AnyMatrix:$table);
  let results = (outs Retention_Rows:$result);
  let assemblyFormat = [{
    $tokens `,` $table attr-dict `:` type($tokens) `,` type($table) `->` type($result)
  }];
}

def Retention_RMSNormOp : Retention_GraphOp<"rms_norm"> {
  let summary = "RMSNorm over each row";
  let description = [{
    `result[t, :] = x[t, :] / sqrt(mean(x[t, :]^2) + eps) * weight`.

    ```mlir
    %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<?x64xf32>, tensor<64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Retention_AnyRows:$x, Retention_Vector:$weight, F64Attr:$eps);
  let results = (outs Retention_AnyRows:$result);
  let assemblyFormat = [{
    $x `,` $weight attr-dict `:` type($x) `,` type($weight) `->` type($result)
  }];
}

def Retention_LinearOp : Retention_GraphOp<"linear", [AttrSizedOperandSegments]> {
  let summary = "a projection, optionally with a residual added";
  let description = [{
    `result = x weight^T (+ residual)`, weight [out, in] as checkpoints
    store it. `retention-fuse-elementwise` folds a following
    `retention.add` into the `residual` operand. x, the weight and the
    result are each f32, bf16 or f16 (the residual of the result's type):
    products are summed in f32 and rounded once to the result's type. A
    model of half dtype on a GPU takes half rows and weights and writes
    half rows, or f32 ones into the residual stream and the logits.

    With `norm` (and `norm_eps`), x is first RMS-normalized as
    `retention.rms_norm` does, with that weight and eps, and not rounded:
    `result = rms_norm(x) weight^T (+ residual)`. That is what
    `retention-fuse-elementwise{norm-max-rows=N}` makes of a norm whose
    every user is a projection, in functions of at most N rows (decode: the
    gemv kernel computes the norm of its rows of x while it stages them).

    With `norm_head_dim = D` as well, x is normalized per head of D
    columns (`norm` of length D, each head scaled by it), and with `gate`
    (rows of x's width) multiplied by `swish(gate)`: `result =
    gated_head_norm(x, norm, gate) weight^T (+ residual)`, what the fusion
    makes of decode's gated head norm feeding o_proj.
    On a GPU the op carries its schedule, `#retention.gemm_schedule`.

    ```mlir
    %y = retention.linear %x, %w residual %h : tensor<?x128xf32>, tensor<64x128xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
    %q = retention.linear %h norm %nw, %wq {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<64x64xbf16> -> tensor<1x64xbf16>
    %y = retention.linear %o norm %gw gate %g, %wo residual %h {norm_eps = 1.0e-06 : f64, norm_head_dim = 32 : i64} : tensor<1x128xbf16> norm tensor<32xf32> gate tensor<1x128xbf16>, tensor<64x128xbf16>, tensor<1x64xf32> -> tensor<1x64xf32>
    ```
  }];
  let arguments = (ins Retention_AnyRows:$x, Retention_AnyMatrix:$weight,
                       Optional<Retention_AnyRows>:$residual,
                       Optional<Retention_Vector>:$norm,
                       Optional<Retention_AnyRows>:$gate,
                       OptionalAttr<F64Attr>:$norm_eps,
                       OptionalAttr<I64Attr>:$norm_head_dim);
  let results = (outs Retention_AnyRows:$result);
  let assemblyFormat = [{
    $x (`norm` $norm^)? (`gate` $gate^)? `,` $weight
    (`residual` $residual^)? attr-dict `:` type($x)
    (`norm` type($norm)^)? (`gate` type($gate)^)? `,` type($weight)
    (`,` type($residual)^)? `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$x, "Value":$weight,
                   "Value":$residual), [{
      build($_builder, $_state, result, x, weight, residual, Value(),
            Value(), FloatAttr(), IntegerAttr());
    }]>,
    OpBuilder<(ins "Type":$result, "Value":$x, "Value":$weight,
                   "Value":$residual, "Value":$norm, "FloatAttr":$norm_eps),
    [{
      build($_builder, $_state, result, x, weight, residual, norm, Value(),
            norm_eps, IntegerAttr());
    }]>
  ];
}

def Retention_LinearGroupOp
    : Retention_GraphOp<"linear_group", [AttrSizedOperandSegments]> {
  let summary = "projections of one input, in one pass over it";
  let description = [{
    `results[i] = x weights[i]^T`, each as `retention.linear` computes it
    (types likewise; each result of its own type), for two or more
    weights; with `norm` (and `norm_eps`) x is RMS-normalized first, once
    for all of them. What `retention-fuse-elementwise{group-max-rows=N}`
    makes of the projections of one input (decode's q, k, v and g) in
    functions of at most N rows: on a GPU one gemv launch reads x and
    computes its norm once, and the launches of the group become one.

    ```mlir
    %q, %k = retention.linear_group %h norm %nw, %wq, %wk {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<64x64xbf16>, tensor<32x64xbf16> -> tensor<1x64xbf16>, tensor<1x32xbf16>
    ```
  }];
  let arguments = (ins Retention_AnyRows:$x,
                       Variadic<Retention_AnyMatrix>:$weights,
                       Optional<Retention_Vector>:$norm,
                       OptionalAttr<F64Attr>:$norm_eps);
  let results = (outs Variadic<Retention_AnyRows>:$results);
  let assemblyFormat = [{
    $x (`norm` $norm^)? `,` $weights attr-dict `:` type($x)
    (`norm` type($norm)^)? `,` type($weights) `->` type($results)
  }];
}

def Retention_SwiGLUOp : Retention_GraphOp<"swiglu"> {
  let summary = "the SwiGLU product swish(gate) * up";
  let description = [{
    Elementwise `gate * sigmoid(gate) * up`.

    ```mlir
    %y = retention.swiglu %g, %u : tensor<?x256xf32>, tensor<?x256xf32> -> tensor<?x256xf32>
    ```
  }];
  let arguments = (ins Retention_AnyRows:$gate, Retention_AnyRows:$up);
  let results = (outs Retention_AnyRows:$result);
  let assemblyFormat = [{
    $gate `,` $up attr-dict `:` type($gate) `,` type($up) `->` type($result)
  }];
}

def Retention_SwiGLULinearOp : Retention_GraphOp<"swiglu_linear"> {
  let summary = "two projections of one input fused with their SwiGLU product";
  let description = [{
    `result = swish(x gate_weight^T) * (x up_weight^T)`, computed in one
    pass over x: what `retention-fuse-elementwise` makes of a
    `retention.swiglu` of two `retention.linear` of the same input. Types
    as for `retention.linear`: both sums in f32, the product rounded once
    to the result's type.

    With `norm` (and `norm_eps`), x is first RMS-normalized, as for
    `retention.linear` (the fusion keeps a norm both projections had
    folded). On a GPU the op carries its `#retention.gemm_schedule`; only
    the gemv kernel (decode) takes two weights.

    ```mlir
    %y = retention.swiglu_linear %x, %wg, %wu : tensor<?x64xf32>, tensor<256x64xf32>, tensor<256x64xf32> -> tensor<?x256xf32>
    %f = retention.swiglu_linear %h norm %nw, %wg, %wu {norm_eps = 1.0e-06 : f64} : tensor<1x64xf32> norm tensor<64xf32>, tensor<256x64xbf16>, tensor<256x64xbf16> -> tensor<1x256xbf16>
    ```
  }];
  let arguments = (ins Retention_AnyRows:$x, Retention_AnyMatrix:$gate_weight,
                       Retention_AnyMatrix:$up_weight,
                       Optional<Retention_Vector>:$norm,
                       OptionalAttr<F64Attr>:$norm_eps);
  let results = (outs Retention_AnyRows:$result);
  let assemblyFormat = [{
    $x (`norm` $norm^)? `,` $gate_weight `,` $up_weight attr-dict `:`
    type($x) (`norm` type($norm)^)? `,` type($gate_weight) `,`
    type($up_weight) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$x, "Value":$gate_weight,
                   "Value":$up_weight), [{
      build($_builder, $_state, result, x, gate_weight, up_weight, Value(),
            FloatAttr());
    }]>
  ];
}

def Retention_RotaryOp : Retention_GraphOp<"rotary", [AttrSizedOperandSegments]> {
  let summary = "rotary position embedding of every head";
  let description = [{
    Row t is at absolute position `position + t` (`at %position`: the rows
    are consecutive tokens of one sequence, as in a prefill) or
    `positions[t]` (`positions %positions`, one i64 per row in memory: a
    decode step whose position lives on the device, rows of several
    sequences). Each head of `head_dim` components is rotated by angles
    `pos(t) * base^(-2i/head_dim)`, pairing x[i] with x[i + head_dim/2]
    (`rotate_half`, GPT-NeoX and flash-linear-attention) or x[2i] with
    x[2i+1] (`interleaved`). Exactly one of the two forms is given.

    ```mlir
    %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"}
        : tensor<?x64xf32> -> tensor<?x64xf32>
    %s = retention.rotary %q positions %p {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"}
        : tensor<?x64xf32>, tensor<?xi64> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Retention_AnyRows:$x, Optional<Index>:$position,
                       Optional<Retention_Positions>:$positions,
                       I64Attr:$head_dim, F64Attr:$base, StrAttr:$layout);
  let results = (outs Retention_AnyRows:$result);
  let assemblyFormat = [{
    $x (`at` $position^)? (`positions` $positions^)? attr-dict `:` type($x)
    (`,` type($positions)^)? `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "Type":$result, "Value":$x, "Value":$position,
                   "int64_t":$head_dim, "double":$base, "StringRef":$layout), [{
      bool inMemory = isa<RankedTensorType>(position.getType());
      build($_builder, $_state, result, x, inMemory ? Value() : position,
            inMemory ? position : Value(),
            $_builder.getI64IntegerAttr(head_dim),
            $_builder.getF64FloatAttr(base), $_builder.getStringAttr(layout));
    }]>
  ];
}

def Retention_NextTokenOp : Retention_GraphOp<"next_token"> {
  let summary = "each row's next token chosen from its logits, its position advanced";
  let description = [{
    Greedy decoding on the device: `tokens[t]` is the index of the largest
    of `logits[t, :]` (the lowest such index on ties; a NaN is never
    chosen over a number), `next_positions[t] = positions[t] + 1`. A
    decode step that feeds `tokens` to its next step's embedding and
    `next_positions` to its rotary needs nothing from the host, so it can
    be replayed as one CUDA graph.

    ```mlir
    %tok, %next = retention.next_token %logits, %pos
        : tensor<?x100xf32>, tensor<?xi64> -> tensor<?xi32>, tensor<?xi64>
    ```
  }];
  let arguments = (ins Retention_Rows:$logits, Retention_Positions:$positions);
  let results = (outs Retention_Tokens:$tokens,
                      Retention_Positions:$next_positions);
  let assemblyFormat = [{
    $logits `,` $positions attr-dict `:` type($logits) `,` type($positions)
    `->` type($tokens) `,` type($next_positions)
  }];
}

def Retention_LastRowsOp : Retention_GraphOp<"last_rows"> {
  let summary = "the last row of each of several packed sequences";
  let description = [{
    With `offsets` the N + 1 boundaries of N sequences packed along the
    rows of `x` (sequence n is rows [offsets[n], offsets[n+1]), as the
    `segments` of `retention.retention`), row n of the result is
    `x[offsets[n+1] - 1]`: the row that a prompt's logits come from. Every
    sequence must have a row (offsets strictly increasing); whoever builds
    the offsets (the runtime) keeps them so.

    ```mlir
    %last = retention.last_rows %h, %offsets
        : tensor<?x2048xf32>, tensor<?xi64> -> tensor<?x2048xf32>
    ```
  }];
  let arguments = (ins Retention_Rows:$x, Retention_Offsets:$offsets);
  let results = (outs Retention_Rows:$result);
  let assemblyFormat = [{
    $x `,` $offsets attr-dict `:` type($x) `,` type($offsets) `->`
    type($result)
  }];
}

def Retention_RepeatHeadsOp : Retention_GraphOp<"repeat_heads"> {
  let summary = "grouped-query heads: each head repeated `groups` times";
  let description = [{
    Key/value head i of `head_dim` columns becomes heads i*groups ..
    i*groups + groups - 1 of the result.

    ```mlir
    %k4 = retention.repeat_heads %k {head_dim = 16 : i64, groups = 2 : i64} : tensor<?x32xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Retention_AnyRows:$x, I64Attr:$head_dim, I64Attr:$groups);
  let results = (outs Retention_AnyRows:$result);
  let assemblyFormat = [{
    $x attr-dict `:` type($x) `->` type($result)
  }];
}

def Retention_GatedHeadNormOp : Retention_GraphOp<"gated_head_norm"> {
  let summary = "per-head RMSNorm fused with the swish output gate";
  let description = [{
    For each head of `head_dim` columns:
    `result = o / sqrt(mean(o^2) + eps) * weight * swish(gate)`; the weight
    [head_dim] is shared by all heads; without `gate`, no gate.

    ```mlir
    %y = retention.gated_head_norm %o, %w gate %g {head_dim = 32 : i64, eps = 1.0e-06 : f64}
        : tensor<?x128xf32>, tensor<32xf32>, tensor<?x128xf32> -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Retention_AnyRows:$o, Retention_Vector:$weight,
                       Optional<Retention_AnyRows>:$gate, I64Attr:$head_dim,
                       F64Attr:$eps);
  let results = (outs Retention_AnyRows:$result);
  let assemblyFormat = [{
    $o `,` $weight (`gate` $gate^)? attr-dict `:` type($o) `,` type($weight)
    (`,` type($gate)^)? `->` type($result)
  }];
}

def Retention_AddOp : Retention_GraphOp<"add"> {
  let summary = "residual addition";
  let description = [{
    ```mlir
    %y = retention.add %a, %b : tensor<?x64xf32>, tensor<?x64xf32> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Retention_Rows:$lhs, Retention_Rows:$rhs);
  let results = (outs Retention_Rows:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

def Retention_ModelWeightOp
    : Retention_Op<"model_weight", [MemoryEffects<[MemRead]>]> {
  let summary = "one weight of a model, by its place in the table of weights";
  let description = [{
    The buffer of weight `index` of a model package (manifest
    `model.weights[index]`, in ABI order): `table` is the call's array of
    weight addresses (`retc_model_call.weights`, one 64-bit address a
    weight), and the result views the address at `index` as a dense
    row-major buffer of the result's shape and element type (f32, bf16 or
    f16, as the manifest lists the weight). The entry points address
    each layer's weights through it at a computed index, so that one layer
    body serves every layer. The index must be below the table's length
    (not checked: the builder computes it), and the buffer must be the
    weight's (the runtime binds them by the manifest).

    ```mlir
    %w = retention.model_weight %table[%i] : memref<40xi64> -> memref<128x64xf32>
    ```
  }];
  let arguments = (ins MemRefRankOf<[I64], [1]>:$table, Index:$index);
  let results = (outs MemRefOf<[F32, BF16, F16]>:$weight);
  let assemblyFormat = [{
    $table `[` $index `]` attr-dict `:` type($table) `->` type($weight)
  }];
  let hasVerifier = 1;
}

def Retention_LaunchKernelOp : Retention_Op<"launch_kernel",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "a launch of a generated GPU kernel, in a model's host program";
  let description = [{
    Runs the kernel `kernel` (a kernel function outlined by
    `retention-outline-gpu-kernels`, later the `gpu.func` of that name) on
    `args`: the buffers of its operands and results, in its parameter
    order, then its `index` parameters (the rows or tokens to compute, and
    rotary's position). The buffers are device memory; their types may
    leave the row count dynamic where the kernel's parameters bound it
    (`max_rows`, the most rows any launch passes).
    `retention-lower-gpu-host` turns it into a launch request to the
    runtime (runtime/KernelABI.h, `retc_gpu_host.launch`), the grid computed
    from the run-time row count.

    ```mlir
    retention.launch_kernel @k2_rms_norm(%x, %w, %y, %rows) {max_rows = 4096 : i64}
        : memref<?x64xf32>, memref<64xf32>, memref<?x64xf32>, index
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel,
                       Variadic<AnyTypeOf<[AnyMemRef, Index]>>:$args,
                       I64Attr:$max_rows);
  let assemblyFormat = [{
    $kernel `(` $args `)` attr-dict `:` type($args)
  }];
  let hasVerifier = 1;
}

#endif // RETENTION_GRAPH_OPS_TD
