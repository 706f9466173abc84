//===- RetentionInterfaces.td - interfaces of retention ops -*- tablegen -*-===//
//
// RetentionOpInterface: what every retention op (form-agnostic or a specific
// form) has in common, so that passes and codegen treat them uniformly.
//
//===----------------------------------------------------------------------===//
#ifndef RETENTION_INTERFACES_TD
#define RETENTION_INTERFACES_TD

include "mlir/IR/OpBase.td"

def RetentionOpInterface : OpInterface<"RetentionOpInterface"> {
  let cppNamespace = "::mlir::retention";
  let description = [{
    An op computing retention: q, k : [B, T, H, K], v : [B, T, H, V], an
    optional initial state [B, H, K, V] (f32), a per-head decay and a scale;
    results: the output [B, T, H, V] and the final state [B, H, K, V] (f32).
    With segments (N + 1 offsets), B = 1 and the N sequences are packed
    along T; the states are [N, H, K, V].
  }];
  let methods = [
    InterfaceMethod<"The queries [B, T, H, K].", "::mlir::TypedValue<::mlir::RankedTensorType>", "getQ">,
    InterfaceMethod<"The keys [B, T, H, K].", "::mlir::TypedValue<::mlir::RankedTensorType>", "getK">,
    InterfaceMethod<"The values [B, T, H, V].", "::mlir::TypedValue<::mlir::RankedTensorType>", "getV">,
    InterfaceMethod<"The initial state [B, H, K, V], or null.", "::mlir::TypedValue<::mlir::RankedTensorType>", "getInitialState">,
    InterfaceMethod<"The offsets of packed sequences [N + 1], or null.", "::mlir::TypedValue<::mlir::RankedTensorType>", "getSegments">,
    InterfaceMethod<"The output [B, T, H, V].", "::mlir::TypedValue<::mlir::RankedTensorType>", "getOutput">,
    InterfaceMethod<"The final state [B, H, K, V].", "::mlir::TypedValue<::mlir::RankedTensorType>", "getFinalState">,
    InterfaceMethod<"The per-head decay.", "::mlir::retention::DecayAttr", "getDecay">,
    InterfaceMethod<"The explicit scale, if any.", "::std::optional<::llvm::APFloat>", "getScale">,
  ];
  let extraSharedClassDeclaration = [{
    /// The sizes B, T, H, K, V (ShapedType::kDynamic where unknown).
    ::mlir::retention::RetentionShape getRetentionShape() {
      return ::mlir::retention::RetentionShape::of($_op.getQ().getType(),
                                                   $_op.getV().getType());
    }
    /// The number of sequences (static, or ShapedType::kDynamic): B, or N
    /// with segments (the states' first dimension).
    int64_t getNumSequences() {
      return $_op.getFinalState().getType().getDimSize(0);
    }
    /// The scale applied to q: the explicit one, else K^-1/2.
    double getEffectiveScale() {
      if (auto s = $_op.getScale())
        return s->convertToDouble();
      return 1.0 / std::sqrt(double(getRetentionShape().K));
    }
    /// gamma_h for every head (H must be static).
    ::llvm::SmallVector<double> getGammas() {
      return $_op.getDecay().getGammas(getRetentionShape().H);
    }
  }];
}

#endif // RETENTION_INTERFACES_TD
