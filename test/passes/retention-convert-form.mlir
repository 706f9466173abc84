// RUN: retc-opt %s --split-input-file --retention-convert-form=to=parallel | FileCheck %s --check-prefix=PAR
// RUN: retc-opt %s --split-input-file --retention-convert-form=to=recurrent | FileCheck %s --check-prefix=REC
// RUN: retc-opt %s --split-input-file --retention-convert-form=to=chunkwise | FileCheck %s --check-prefix=CHUNK
// RUN: retc-opt %s --split-input-file --retention-convert-form="to=chunkwise chunk-size=8" | FileCheck %s --check-prefix=CHUNK8
// RUN: retc-opt %s --split-input-file --retention-convert-form=to=generic | FileCheck %s --check-prefix=GEN
// RUN: retc-opt %s --split-input-file --retention-convert-form | FileCheck %s --check-prefix=GEN
// Every form into every other: operands, results, decay, scale and initial
// state are kept; converting to chunkwise keeps an existing chunk size
// unless chunk-size= is given (else 64).

// PAR-LABEL: func.func @from_generic
// PAR-SAME: (%[[Q:[^:]+]]: {{.+}}, %[[K:[^:]+]]: {{.+}}, %[[V:[^:]+]]: {{.+}}, %[[S0:[^:]+]]: tensor<2x3x4x6xf32>)
// PAR: %[[O:.+]], %[[S:.+]] = retention.parallel %[[Q]], %[[K]], %[[V]] initial %[[S0]] {decay = #retention.decay<paper>, scale = 3.000000e+00 : f64}
// PAR-SAME: : tensor<2x10x3x4xf16>, tensor<2x10x3x4xf16>, tensor<2x10x3x6xf16>, tensor<2x3x4x6xf32> -> tensor<2x10x3x6xf16>, tensor<2x3x4x6xf32>
// PAR: return %[[O]], %[[S]]
// REC-LABEL: func.func @from_generic
// REC: retention.recurrent %{{.+}} initial %{{.+}} {decay = #retention.decay<paper>, scale = 3.000000e+00 : f64}
// CHUNK-LABEL: func.func @from_generic
// CHUNK: retention.chunkwise %{{.+}} initial %{{.+}} {chunk_size = 64 : i64, decay = #retention.decay<paper>, scale = 3.000000e+00 : f64}
// CHUNK8-LABEL: func.func @from_generic
// CHUNK8: retention.chunkwise %{{.+}} initial %{{.+}} {chunk_size = 8 : i64, decay = #retention.decay<paper>, scale = 3.000000e+00 : f64}
// GEN-LABEL: func.func @from_generic
// GEN: retention.retention %{{.+}} initial %{{.+}} {decay = #retention.decay<paper>, scale = 3.000000e+00 : f64}
func.func @from_generic(%q: tensor<2x10x3x4xf16>, %k: tensor<2x10x3x4xf16>, %v: tensor<2x10x3x6xf16>, %s0: tensor<2x3x4x6xf32>) -> (tensor<2x10x3x6xf16>, tensor<2x3x4x6xf32>) {
  %o, %s = retention.retention %q, %k, %v initial %s0 {decay = #retention.decay<paper>, scale = 3.0 : f64}
      : tensor<2x10x3x4xf16>, tensor<2x10x3x4xf16>, tensor<2x10x3x6xf16>, tensor<2x3x4x6xf32> -> tensor<2x10x3x6xf16>, tensor<2x3x4x6xf32>
  return %o, %s : tensor<2x10x3x6xf16>, tensor<2x3x4x6xf32>
}

// -----

// PAR-LABEL: func.func @from_parallel
// PAR: retention.parallel %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {decay = #retention.decay<[2.500000e-01]>}
// REC-LABEL: func.func @from_parallel
// REC: retention.recurrent %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} {decay = #retention.decay<[2.500000e-01]>}
// REC-NOT: retention.parallel
// CHUNK-LABEL: func.func @from_parallel
// CHUNK: retention.chunkwise {{.+}} {chunk_size = 64 : i64, decay = #retention.decay<[2.500000e-01]>}
// CHUNK8-LABEL: func.func @from_parallel
// CHUNK8: retention.chunkwise {{.+}} {chunk_size = 8 : i64, decay = #retention.decay<[2.500000e-01]>}
// GEN-LABEL: func.func @from_parallel
// GEN: retention.retention {{.+}} {decay = #retention.decay<[2.500000e-01]>}
// GEN-NOT: retention.parallel
func.func @from_parallel(%q: tensor<1x16x1x8xbf16>) -> (tensor<1x16x1x8xbf16>, tensor<1x1x8x8xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<[0.25]>}
      : tensor<1x16x1x8xbf16>, tensor<1x16x1x8xbf16>, tensor<1x16x1x8xbf16> -> tensor<1x16x1x8xbf16>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x16x1x8xbf16>, tensor<1x1x8x8xf32>
}

// -----

// PAR-LABEL: func.func @from_chunkwise
// PAR: retention.parallel {{.+}} {decay = #retention.decay<retnet>, scale = 5.000000e-01 : f64}
// PAR-NOT: chunk_size
// REC-LABEL: func.func @from_chunkwise
// REC: retention.recurrent {{.+}} {decay = #retention.decay<retnet>, scale = 5.000000e-01 : f64}
// REC-NOT: chunk_size
// The chunk size of the op is kept...
// CHUNK-LABEL: func.func @from_chunkwise
// CHUNK: retention.chunkwise {{.+}} {chunk_size = 5 : i64, decay = #retention.decay<retnet>, scale = 5.000000e-01 : f64}
// ...unless chunk-size= overrides it.
// CHUNK8-LABEL: func.func @from_chunkwise
// CHUNK8: retention.chunkwise {{.+}} {chunk_size = 8 : i64, decay = #retention.decay<retnet>, scale = 5.000000e-01 : f64}
// GEN-LABEL: func.func @from_chunkwise
// GEN: retention.retention {{.+}} {decay = #retention.decay<retnet>, scale = 5.000000e-01 : f64}
// GEN-NOT: chunk_size
func.func @from_chunkwise(%q: tensor<1x16x1x8xf32>) -> (tensor<1x16x1x8xf32>, tensor<1x1x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 5 : i64, decay = #retention.decay<retnet>, scale = 0.5 : f64}
      : tensor<1x16x1x8xf32>, tensor<1x16x1x8xf32>, tensor<1x16x1x8xf32> -> tensor<1x16x1x8xf32>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x16x1x8xf32>, tensor<1x1x8x8xf32>
}

// -----

// PAR-LABEL: func.func @from_recurrent
// PAR-SAME: %[[S0:[^:]+]]: tensor<3x1x8x8xf32>
// PAR: retention.parallel {{.+}} initial %[[S0]] {decay = #retention.decay<retnet>}
// REC-LABEL: func.func @from_recurrent
// REC: retention.recurrent {{.+}} initial {{.+}} {decay = #retention.decay<retnet>}
// CHUNK-LABEL: func.func @from_recurrent
// CHUNK: retention.chunkwise {{.+}} initial {{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
// CHUNK8-LABEL: func.func @from_recurrent
// CHUNK8: retention.chunkwise {{.+}} initial {{.+}} {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
// GEN-LABEL: func.func @from_recurrent
// GEN: retention.retention {{.+}} initial {{.+}} {decay = #retention.decay<retnet>}
func.func @from_recurrent(%q: tensor<3x1x1x8xf32>, %s0: tensor<3x1x8x8xf32>) -> (tensor<3x1x1x8xf32>, tensor<3x1x8x8xf32>) {
  %o, %s = retention.recurrent %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<3x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3x1x1x8xf32>, tensor<3x1x8x8xf32> -> tensor<3x1x1x8xf32>, tensor<3x1x8x8xf32>
  return %o, %s : tensor<3x1x1x8xf32>, tensor<3x1x8x8xf32>
}

// -----

// Discardable attributes follow the op into its new form.
// PAR-LABEL: func.func @keeps_user_attrs
// PAR: retention.parallel {{.+}} {decay = #retention.decay<retnet>, user.a = 1 : i64, user.b = "x"}
// REC-LABEL: func.func @keeps_user_attrs
// REC: retention.recurrent {{.+}} {decay = #retention.decay<retnet>, user.a = 1 : i64, user.b = "x"}
// CHUNK-LABEL: func.func @keeps_user_attrs
// CHUNK: retention.chunkwise {{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>, user.a = 1 : i64, user.b = "x"}
// CHUNK8-LABEL: func.func @keeps_user_attrs
// CHUNK8: retention.chunkwise {{.+}} user.a = 1 : i64, user.b = "x"}
// GEN-LABEL: func.func @keeps_user_attrs
// GEN: retention.retention {{.+}} {decay = #retention.decay<retnet>, user.a = 1 : i64, user.b = "x"}
func.func @keeps_user_attrs(%q: tensor<1x4x1x8xf32>) -> (tensor<1x4x1x8xf32>, tensor<1x1x8x8xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>, user.a = 1 : i64, user.b = "x"}
      : tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32>, tensor<1x4x1x8xf32> -> tensor<1x4x1x8xf32>, tensor<1x1x8x8xf32>
  return %o, %s : tensor<1x4x1x8xf32>, tensor<1x1x8x8xf32>
}
