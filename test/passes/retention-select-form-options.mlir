// RUN: retc-opt %s --retention-select-form | FileCheck %s --check-prefix=AUTO
// RUN: retc-opt %s --retention-select-form="form=auto recurrent-max-len=8 parallel-max-len=16" | FileCheck %s --check-prefix=THRESH
// RUN: retc-opt %s --retention-select-form="parallel-max-len=0 chunk-size=4" | FileCheck %s --check-prefix=NOPAR
// RUN: retc-opt %s --retention-select-form="recurrent-max-len=1000" | FileCheck %s --check-prefix=REC
// RUN: retc-opt %s --retention-select-form="form=parallel" | FileCheck %s --check-prefix=PAR
// RUN: retc-opt %s --retention-select-form="form=recurrent" | FileCheck %s --check-prefix=REC
// RUN: retc-opt %s --retention-select-form="form=chunkwise" | FileCheck %s --check-prefix=CHUNK64
// RUN: retc-opt %s --retention-select-form="form=chunkwise chunk-size=16" | FileCheck %s --check-prefix=CHUNK16
// RUN: retc-opt %s --pass-pipeline="builtin.module(func.func(retention-select-form{form=chunkwise chunk-size=16}))" | FileCheck %s --check-prefix=CHUNK16
// The options of retention-select-form, on three ops of T = 1, 8 and 100.

// AUTO-LABEL: func.func @lengths
// AUTO: retention.recurrent {{.+}} : tensor<1x1x2x4xf32>
// AUTO: retention.parallel {{.+}} : tensor<1x8x2x4xf32>
// AUTO: retention.chunkwise {{.+}} {chunk_size = 64 : i64, {{.+}} : tensor<1x100x2x4xf32>

// recurrent up to 8, parallel up to 16.
// THRESH-LABEL: func.func @lengths
// THRESH: retention.recurrent {{.+}} : tensor<1x1x2x4xf32>
// THRESH: retention.recurrent {{.+}} : tensor<1x8x2x4xf32>
// THRESH: retention.chunkwise {{.+}} {chunk_size = 64 : i64, {{.+}} : tensor<1x100x2x4xf32>

// No parallel form; chunk size 4.
// NOPAR-LABEL: func.func @lengths
// NOPAR: retention.recurrent {{.+}} : tensor<1x1x2x4xf32>
// NOPAR: retention.chunkwise {{.+}} {chunk_size = 4 : i64, {{.+}} : tensor<1x8x2x4xf32>
// NOPAR: retention.chunkwise {{.+}} {chunk_size = 4 : i64, {{.+}} : tensor<1x100x2x4xf32>

// REC-LABEL: func.func @lengths
// REC-COUNT-3: retention.recurrent
// REC-NOT: retention.{{(parallel|chunkwise|retention)}}

// PAR-LABEL: func.func @lengths
// PAR-COUNT-3: retention.parallel
// PAR-NOT: retention.{{(recurrent|chunkwise|retention)}}

// CHUNK64-LABEL: func.func @lengths
// CHUNK64-COUNT-3: retention.chunkwise {{.+}} {chunk_size = 64 : i64
// CHUNK64-NOT: retention.{{(recurrent|parallel|retention)}}

// CHUNK16-LABEL: func.func @lengths
// CHUNK16-COUNT-3: retention.chunkwise {{.+}} {chunk_size = 16 : i64
// CHUNK16-NOT: retention.{{(recurrent|parallel|retention)}}
func.func @lengths(%a: tensor<1x1x2x4xf32>, %b: tensor<1x8x2x4xf32>, %c: tensor<1x100x2x4xf32>) {
  %o1, %s1 = retention.retention %a, %a, %a {decay = #retention.decay<retnet>}
      : tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32>, tensor<1x1x2x4xf32> -> tensor<1x1x2x4xf32>, tensor<1x2x4x4xf32>
  %o2, %s2 = retention.retention %b, %b, %b {decay = #retention.decay<retnet>}
      : tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32> -> tensor<1x8x2x4xf32>, tensor<1x2x4x4xf32>
  %o3, %s3 = retention.retention %c, %c, %c {decay = #retention.decay<retnet>}
      : tensor<1x100x2x4xf32>, tensor<1x100x2x4xf32>, tensor<1x100x2x4xf32> -> tensor<1x100x2x4xf32>, tensor<1x2x4x4xf32>
  return
}
