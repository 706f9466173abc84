//===- RetentionOps.td - retention operations --------------*- tablegen -*-===//
//
// The retention operator, form-agnostic and in its three computational forms.
// All four ops share operands, results, verifier and assembly format; the
// chunkwise form adds its chunk size.
//
//===----------------------------------------------------------------------===//
#ifndef RETENTION_OPS_TD
#define RETENTION_OPS_TD

include "dialect/RetentionDialect.td"
include "dialect/RetentionAttrs.td"
include "dialect/RetentionInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Retention_Activation : RankedTensorOf<[F32, BF16, F16], [HasAnyRankOfPred<[4]>], "4-D tensor">;
def Retention_State : RankedTensorOf<[F32], [HasAnyRankOfPred<[4]>], "4-D tensor">;
def Retention_Segments : 1DTensorOf<[I64]>;

class Retention_FormOp<string mnemonic, dag extraArgs = (ins)>
    : Retention_Op<mnemonic, [Pure, AttrSizedOperandSegments,
                              DeclareOpInterfaceMethods<RetentionOpInterface>]> {
  let arguments = !con((ins
    Retention_Activation:$q,
    Retention_Activation:$k,
    Retention_Activation:$v,
    Optional<Retention_State>:$initial_state,
    Optional<Retention_Segments>:$segments,
    Retention_DecayAttr:$decay,
    OptionalAttr<F64Attr>:$scale), extraArgs);
  let results = (outs Retention_Activation:$output, Retention_State:$final_state);
  let assemblyFormat = [{
    $q `,` $k `,` $v (`initial` $initial_state^)?
    (`segments` `(` $segments^ `:` type($segments) `)`)? attr-dict `:`
    type($q) `,` type($k) `,` type($v) (`,` type($initial_state)^)?
    `->` type($output) `,` type($final_state)
  }];
  let hasVerifier = 1;
}

def Retention_RetentionOp : Retention_FormOp<"retention"> {
  let summary = "retention, form not yet chosen";
  let description = [{
    Multi-head retention (RetNet) over a whole sequence, with no commitment to
    how it is computed; `retention-select-form` replaces it by one of the
    three forms. With q, k : [B, T, H, K], v : [B, T, H, V], per-head decay
    gamma_h, scale s (default K^-1/2) and initial state S0 (zero if absent):

    ```
    S_t = gamma_h * S_{t-1} + k_t^T v_t,   o_t = s * q_t S_t,   t = 1..T
    ```

    The results are o : [B, T, H, V] (the element type of q) and the final
    state S_T : [B, H, K, V] (f32).

    With `segments` (an i64 tensor of N + 1 offsets, 0 = off_0 <= off_1 <=
    ... <= off_N = T), q, k, v and o hold N sequences packed one after
    the other along T, B = 1 (cu_seqlens): sequence n is the tokens
    [off_n, off_{n+1}), with its own initial state S0[n] and final state
    S[n], as though it were alone. The states are [N, H, K, V]. A
    sequence of no tokens keeps its initial state. The offsets are values,
    not types: whoever builds them (the runtime) keeps them in order.

    Example:

    ```mlir
    %o, %s = retention.retention %q, %k, %v initial %s0
        {decay = #retention.decay<retnet>}
        : tensor<2x64x4x32xbf16>, tensor<2x64x4x32xbf16>, tensor<2x64x4x48xbf16>,
          tensor<2x4x32x48xf32> -> tensor<2x64x4x48xbf16>, tensor<2x4x32x48xf32>

    // Three prompts packed into 100 tokens.
    %o, %s = retention.retention %q, %k, %v initial %s0
        segments(%offsets : tensor<4xi64>) {decay = #retention.decay<retnet>}
        : tensor<1x100x4x32xbf16>, tensor<1x100x4x32xbf16>, tensor<1x100x4x48xbf16>,
          tensor<3x4x32x48xf32> -> tensor<1x100x4x48xbf16>, tensor<3x4x32x48xf32>
    ```
  }];
}

def Retention_ParallelOp : Retention_FormOp<"parallel"> {
  let summary = "retention in the parallel (masked attention) form";
  let description = [{
    O = (s Q K^T (.) D) V + s (Q (.) gamma^(n+1)) S0, with
    D[n, m] = gamma^(n-m) for n >= m and 0 otherwise; the final state is
    gamma^T S0 + sum_m gamma^(T-1-m) k_m^T v_m. Quadratic in T; the best form
    for short sequences. Same operands, results and semantics as
    `retention.retention`.

    ```mlir
    %o, %s = retention.parallel %q, %k, %v {decay = #retention.decay<paper>}
        : tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>
        -> tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32>
    ```
  }];
}

def Retention_ChunkwiseOp : Retention_FormOp<"chunkwise", (ins I64Attr:$chunk_size)> {
  let summary = "retention in the chunkwise form";
  let description = [{
    Exact (parallel-form) retention inside chunks of `chunk_size` tokens, a
    recurrent state carried across chunks; the last chunk is shorter when the
    chunk size does not divide T:

    ```
    O_i     = (s Q_i K_i^T (.) D_C) V_i + s (Q_i (.) xi) S_i,   xi_j = gamma^(j+1)
    S_{i+1} = gamma^C S_i + K_i^T (V_i (.) zeta),             zeta_j = gamma^(C-1-j)
    ```

    Linear in T with matrix-matrix work inside a chunk; the form for prefill.

    ```mlir
    %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
        : tensor<1x4096x8x128xf32>, tensor<1x4096x8x128xf32>, tensor<1x4096x8x128xf32>
        -> tensor<1x4096x8x128xf32>, tensor<1x8x128x128xf32>
    ```
  }];
}

def Retention_RecurrentOp : Retention_FormOp<"recurrent"> {
  let summary = "retention in the recurrent form";
  let description = [{
    One state update per token: S_t = gamma S_{t-1} + k_t^T v_t,
    o_t = s q_t S_t. The form for decoding (T = 1 with an initial state).

    ```mlir
    %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<[0.9, 0.99]>}
        : tensor<8x1x2x64xf16>, tensor<8x1x2x64xf16>, tensor<8x1x2x64xf16>,
          tensor<8x2x64x64xf32> -> tensor<8x1x2x64xf16>, tensor<8x2x64x64xf32>
    ```
  }];
}

include "dialect/RetentionGraphOps.td"

#endif // RETENTION_OPS_TD
