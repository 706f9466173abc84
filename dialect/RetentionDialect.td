//===- RetentionDialect.td - the retention dialect ---------*- tablegen -*-===//
//
// The dialect in which retc expresses retention (RetNet, arXiv 2307.08621):
// a form-agnostic operator, its parallel, chunkwise and recurrent forms.
//
//===----------------------------------------------------------------------===//
#ifndef RETENTION_DIALECT_TD
#define RETENTION_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Retention_Dialect : Dialect {
  let name = "retention";
  let summary = "Retention (RetNet) operators and their computational forms";
  let description = [{
    The `retention` dialect expresses the retention operator of Retentive
    Networks once, form-agnostically (`retention.retention`), and in each of
    its three equivalent computational forms: `retention.parallel` (the
    masked-attention form over the whole sequence), `retention.chunkwise`
    (exact attention inside chunks of C tokens, a recurrent state across
    chunks) and `retention.recurrent` (one state update per token). All four
    compute the same function, defined in docs/dialect.md; passes choose and
    convert forms, and codegen lowers each form to target code.
  }];
  let cppNamespace = "::mlir::retention";
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  // Attributes the dialect puts on ops of other dialects (and on its own):
  // a model entry function's form, a form op's GPU schedule, a GPU kernel's
  // launch and a GPU module's workspace; for GPU models, a model function's
  // bound on its token count (and on the sequences it packs) and the host
  // program's arena size; a kernel whose initial- and final-state
  // parameters may be one buffer; a retention kernel function whose
  // run-time rows are its batch (a batched decode step), not its tokens.
  // Verified by verifyOperationAttribute.
  let discardableAttrs = (ins
    "::mlir::StringAttr":$form,
    "::mlir::retention::GpuScheduleAttr":$gpu_schedule,
    "::mlir::retention::GemmScheduleAttr":$gemm_schedule,
    "::mlir::DictionaryAttr":$launch,
    "::mlir::IntegerAttr":$workspace_bytes,
    "::mlir::IntegerAttr":$max_tokens,
    "::mlir::IntegerAttr":$max_sequences,
    "::mlir::IntegerAttr":$arena_bytes,
    "::mlir::DenseI64ArrayAttr":$state_in_place,
    "::mlir::UnitAttr":$runtime_batch
  );
  let extraClassDeclaration = [{
    /// Registers the attributes (RetentionAttrs.cpp).
    void registerAttributes();
  }];
}

class Retention_Op<string mnemonic, list<Trait> traits = []>
    : Op<Retention_Dialect, mnemonic, traits>;

#endif // RETENTION_DIALECT_TD
