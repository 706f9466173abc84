// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 num-sms=132 tensor-cores=0" --convert-retention-to-gpu | FileCheck %s
// Kernel parameters are the function's arguments in order, then its results;
// each operand of the op reads the argument it is, whatever the order and
// even when one argument serves as several operands.

// CHECK-LABEL: gpu.func @shared
// CHECK-SAME: (%[[Q:.+]]: memref<1x8x1x4xf32>, %[[O:.+]]: memref<1x8x1x4xf32>, %[[S:.+]]: memref<1x1x4x4xf32>)
// CHECK-NOT: memref.load %[[O]]
// CHECK-NOT: memref.load %[[S]][{{.*}}] : memref<1x8x1x4xf32>
// CHECK: memref.load %[[Q]]
func.func @shared(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// The value is read from the third argument, the key from the first: the
// recurrent kernel loads v[b, t, h, j] before the loop over K, then k and q.
// CHECK-LABEL: gpu.func @permuted
// CHECK-SAME: (%[[K:[^:]+]]: memref<1x8x1x4xf32>, %[[Q:[^:]+]]: memref<1x8x1x4xf32>, %[[V:[^:]+]]: memref<1x8x1x4xf32>
// CHECK: vector.load %[[V]]
// CHECK: scf.for
// CHECK: memref.load %[[K]]
// CHECK: memref.load %[[Q]]
func.func @permuted(%k: tensor<1x8x1x4xf32>, %q: tensor<1x8x1x4xf32>, %v: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.recurrent %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
