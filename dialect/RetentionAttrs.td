//===- RetentionAttrs.td - retention attributes ------------*- tablegen -*-===//
//
// The per-head decay of retention: a named schedule or explicit values.
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

#endif // RETENTION_ATTRS_TD
