// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s
// log2 gamma_h is a private constant memref.global per distinct decay table,
// shared by the ops that use the same one, read once per (batch, head) task.
// Globals are inserted at the top of the module, newest first.

// Explicit decay 0.5, 0.25, 0.125: log2 = -1, -2, -3.
// CHECK-DAG: memref.global "private" constant @[[EXPL:__retention_log2_gamma[_0-9]*]] : memref<3xf32> = dense<[-1.000000e+00, -2.000000e+00, -3.000000e+00]>
// RetNet with H = 3: log2(1 - 2^-5), log2(1 - 2^-6), log2(1 - 2^-7).
// CHECK-DAG: memref.global "private" constant @[[RETNET:__retention_log2_gamma[_0-9]*]] : memref<3xf32> = dense<[-0.0458036885, -0.0227200761, -0.0113153132]>
// Paper with H = 3: 1 - 1/32, 1 - 1/128, 1 - 1/512.
// CHECK-DAG: memref.global "private" constant @[[PAPER:__retention_log2_gamma[_0-9]*]] : memref<3xf32> = dense<[-0.0458036885, -0.0113153132, -0.00282051903]>
// Only three tables for four ops.
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @tables
// CHECK: memref.get_global @[[RETNET]] : memref<3xf32>
// CHECK: memref.get_global @[[PAPER]] : memref<3xf32>
// CHECK: memref.get_global @[[RETNET]] : memref<3xf32>
// CHECK: memref.get_global @[[EXPL]] : memref<3xf32>
func.func @tables(%q: tensor<1x2x3x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>) {
  %o1, %s1 = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>, tensor<1x3x4x4xf32>
  %o2, %s2 = retention.recurrent %q, %q, %q {decay = #retention.decay<paper>}
      : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>, tensor<1x3x4x4xf32>
  %o3, %s3 = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>, tensor<1x3x4x4xf32>
  %o4, %s4 = retention.chunkwise %q, %q, %q {chunk_size = 1 : i64, decay = #retention.decay<[0.5, 0.25, 0.125]>}
      : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32> -> tensor<1x2x3x4xf32>, tensor<1x3x4x4xf32>
  return %o1, %o2, %o3, %o4 : tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>, tensor<1x2x3x4xf32>
}
