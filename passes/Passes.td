//===- Passes.td - retention -> retention passes -----------*- tablegen -*-===//
//
// Passes that choose and convert the computational form of retention ops.
//
//===----------------------------------------------------------------------===//
#ifndef RETENTION_PASSES_TD
#define RETENTION_PASSES_TD

include "mlir/Pass/PassBase.td"

defvar FormValues = [{::llvm::cl::values(
  clEnumValN(::mlir::retention::RetentionForm::Generic, "generic",
             "the form-agnostic retention.retention"),
  clEnumValN(::mlir::retention::RetentionForm::Parallel, "parallel",
             "retention.parallel"),
  clEnumValN(::mlir::retention::RetentionForm::Chunkwise, "chunkwise",
             "retention.chunkwise"),
  clEnumValN(::mlir::retention::RetentionForm::Recurrent, "recurrent",
             "retention.recurrent"))}];

def RetentionSelectForm : Pass<"retention-select-form"> {
  let summary = "Choose a computational form for each form-agnostic retention op";
  let description = [{
    Replaces every `retention.retention` by `retention.parallel`,
    `retention.chunkwise` or `retention.recurrent`. With `form=auto` (the
    default) the choice follows the sequence length T:

    - T <= `recurrent-max-len` (default 1, i.e. a decode step): recurrent;
    - T <= `parallel-max-len` (default 64): parallel (one tile, no state pass);
    - otherwise chunkwise with `chunk-size` (default 64);
    - but inside a function with a `retention.form` attribute ("parallel",
      "chunkwise" or "recurrent"), that form: a model's entry points say
      which form they compute with (prefill chunkwise, decode recurrent,
      forward parallel) and their T is dynamic.

    An explicit `form=` forces that form everywhere. Ops that already have a
    form are left alone (use `retention-convert-form` to change them).

    Before:
    ```mlir
    %o, %s = retention.retention %q, %k, %v {decay = #retention.decay<retnet>} : ...
    ```
    After (`form=auto`, T = 4096):
    ```mlir
    %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 64 : i64, decay = #retention.decay<retnet>} : ...
    ```
  }];
  let options = [
    Option<"form", "form", "::mlir::retention::RetentionForm",
           "::mlir::retention::RetentionForm::Auto",
           "the form to select (auto chooses by sequence length)",
           [{::llvm::cl::values(
             clEnumValN(::mlir::retention::RetentionForm::Auto, "auto",
                        "choose by sequence length"),
             clEnumValN(::mlir::retention::RetentionForm::Parallel, "parallel",
                        "retention.parallel"),
             clEnumValN(::mlir::retention::RetentionForm::Chunkwise, "chunkwise",
                        "retention.chunkwise"),
             clEnumValN(::mlir::retention::RetentionForm::Recurrent, "recurrent",
                        "retention.recurrent"))}]>,
    Option<"chunkSize", "chunk-size", "int64_t", "64",
           "chunk size of the chunkwise ops created">,
    Option<"parallelMaxLen", "parallel-max-len", "int64_t", "64",
           "auto: longest sequence computed in the parallel form">,
    Option<"recurrentMaxLen", "recurrent-max-len", "int64_t", "1",
           "auto: longest sequence computed in the recurrent form">,
  ];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

def RetentionConvertForm : Pass<"retention-convert-form"> {
  let summary = "Convert retention ops of any form into another form";
  let description = [{
    Rewrites every retention op (of any form, form-agnostic included) into the
    form `to`. All forms compute the same function (docs/dialect.md), so the
    conversion keeps operands, results, decay and scale; it only changes how
    the op will be computed. `to=generic` forgets the form.

    Before (`to=recurrent`):
    ```mlir
    %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 16 : i64, decay = #retention.decay<paper>} : ...
    ```
    After:
    ```mlir
    %o, %s = retention.recurrent %q, %k, %v {decay = #retention.decay<paper>} : ...
    ```
    Converting to chunkwise keeps an existing chunk size unless `chunk-size`
    is given.
  }];
  let options = [
    Option<"to", "to", "::mlir::retention::RetentionForm",
           "::mlir::retention::RetentionForm::Generic",
           "the form to convert into", FormValues>,
    Option<"chunkSize", "chunk-size", "int64_t", "0",
           "chunk size for to=chunkwise (0: keep the op's, else 64)">,
  ];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

def RetentionFuseElementwise : Pass<"retention-fuse-elementwise"> {
  let summary = "Fuse the model graph's elementwise work into its producers";
  let description = [{
    On the graph-level ops of a model (docs/dialect.md, "Model graph"):

    - a `retention.add` of a `retention.linear` result (used only there)
      and another activation becomes the linear's `residual`: the sum is
      computed in the projection's epilogue instead of a separate pass over
      memory;
    - a `retention.swiglu` of two `retention.linear` of the same input
      (each used only there) becomes one `retention.swiglu_linear`: both
      projections in one pass over the input, the SwiGLU product in the
      epilogue.

    Before:
    ```mlir
    %g = retention.linear %x, %wg : ...
    %u = retention.linear %x, %wu : ...
    %f = retention.swiglu %g, %u : ...
    %d = retention.linear %f, %wd : ...
    %h2 = retention.add %h, %d : ...
    ```
    After:
    ```mlir
    %f = retention.swiglu_linear %x, %wg, %wu : ...
    %h2 = retention.linear %f, %wd residual %h : ...
    ```
    The per-head norm and the output gate are one op from the start
    (`retention.gated_head_norm`). With `swiglu-linear=false` the SwiGLU
    product stays a `retention.swiglu` of its own; with
    `swiglu-max-rows=N` (N > 0; the GPU uses 16: its gemv kernel alone has
    a two-weight form) it is fused only in functions whose
    `retention.max_tokens` is at most N (decode).

    With `norm-max-rows=N` (N > 0; the GPU uses 16, the rows its gemv
    kernel takes), a `retention.rms_norm` whose every user is a
    `retention.linear` taking it as x becomes those projections' `norm`,
    in functions whose `retention.max_tokens` is at most N (decode): each
    projection normalizes the rows of x it reads, and the normalized rows
    never go through memory (nor are they rounded to a half type). A
    norm feeding a `retention.swiglu_linear` folds into it likewise, and
    two projections that share a folded norm fuse into a
    `retention.swiglu_linear` that keeps it.

    With `norm-max-rows=N`, a `retention.gated_head_norm` whose only user
    is a projection taking it as x folds into it likewise (`norm` of the
    head size with `norm_head_dim`, and its `gate`): decode's o_proj.

    With `group-max-rows=N` (N > 0; the GPU uses 16), after those fusions
    the projections left that take the same x (without a residual, with
    the same folded norm or none, weights of one type) become one
    `retention.linear_group` at the first of them, in functions of at most
    N rows: decode's q, k, v and g projections in one gemv launch.
  }];
  let options = [
    Option<"swigluLinear", "swiglu-linear", "bool", "true",
           "fuse swiglu(linear, linear) into one retention.swiglu_linear">,
    Option<"swigluMaxRows", "swiglu-max-rows", "int64_t", "0",
           "fuse swiglu_linear only in functions of at most this many rows "
           "(retention.max_tokens; 0: in any function)">,
    Option<"groupMaxRows", "group-max-rows", "int64_t", "0",
           "after the other fusions, group the projections of one input "
           "into one retention.linear_group in functions of at most this "
           "many rows (retention.max_tokens; 0: never)">,
    Option<"normMaxRows", "norm-max-rows", "int64_t", "0",
           "fold rms_norm into the projections it feeds in functions of at "
           "most this many rows (retention.max_tokens; 0: never)">
  ];
  let dependentDialects = ["::mlir::retention::RetentionDialect"];
}

#endif // RETENTION_PASSES_TD
