// RUN: retc-opt %s --retention-convert-form=to=parallel | FileCheck %s --check-prefix=PAR
// RUN: retc-opt %s --retention-convert-form=to=recurrent | FileCheck %s --check-prefix=REC
// RUN: retc-opt %s --retention-convert-form=to=chunkwise | FileCheck %s --check-prefix=CHUNK
// RUN: retc-opt %s --retention-convert-form="to=chunkwise chunk-size=5" | FileCheck %s --check-prefix=CHUNK5
// RUN: retc-opt %s --retention-convert-form=to=generic | FileCheck %s --check-prefix=GEN
// Converting to the form an op already has leaves it as it is (a chunkwise
// op keeps its chunk size unless chunk-size= names another one), while the
// other ops of the function are converted.

// PAR-LABEL: func.func @mixed
// PAR: %[[A:[^,]+]], %{{.+}} = retention.parallel %arg0, %arg0, %arg0 {decay = #retention.decay<retnet>} : tensor<1x8x1x4xf32>
// PAR: %[[B:[^,]+]], %{{.+}} = retention.parallel %[[A]], %arg0, %arg0 {decay = #retention.decay<retnet>} : tensor<1x8x1x4xf32>
// PAR: %[[C:[^,]+]], %{{.+}} = retention.parallel %[[B]], %arg0, %arg0 {decay = #retention.decay<paper>} : tensor<1x8x1x4xf32>
// PAR: %[[D:[^,]+]], %{{.+}} = retention.parallel %[[C]], %arg0, %arg0 {decay = #retention.decay<retnet>} : tensor<1x8x1x4xf32>
// PAR: return %[[D]]

// REC-LABEL: func.func @mixed
// REC-COUNT-4: retention.recurrent
// REC-NOT: retention.{{(parallel|chunkwise|retention) }}

// CHUNK-LABEL: func.func @mixed
// CHUNK: retention.chunkwise {{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
// CHUNK: retention.chunkwise {{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>}
// CHUNK: retention.chunkwise {{.+}} {chunk_size = 3 : i64, decay = #retention.decay<paper>}
// CHUNK: retention.chunkwise {{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>}

// CHUNK5-LABEL: func.func @mixed
// CHUNK5-COUNT-4: retention.chunkwise {{.+}} {chunk_size = 5 : i64

// GEN-LABEL: func.func @mixed
// GEN-COUNT-4: retention.retention
// GEN-NOT: retention.{{(parallel|chunkwise|recurrent) }}
func.func @mixed(%q: tensor<1x8x1x4xf32>) -> tensor<1x8x1x4xf32> {
  %a, %sa = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  %b, %sb = retention.recurrent %a, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  %c, %sc = retention.chunkwise %b, %q, %q {chunk_size = 3 : i64, decay = #retention.decay<paper>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  %d, %sd = retention.retention %c, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %d : tensor<1x8x1x4xf32>
}
