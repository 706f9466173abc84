// RUN: retc-opt %s --split-input-file --cse | FileCheck %s --check-prefix=CSE
// RUN: retc-opt %s --split-input-file --canonicalize | FileCheck %s --check-prefix=DCE
// The retention ops are Pure: identical ops fold into one under CSE and
// unused ones are erased.

// CSE-LABEL: func.func @duplicate
// CSE-COUNT-1: retention.parallel
// CSE-NOT: retention.parallel
// CSE: return %[[O:.+]], %[[O]] :
func.func @duplicate(%q: tensor<1x4x1x4xf32>) -> (tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>) {
  %o1, %s1 = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32> -> tensor<1x4x1x4xf32>, tensor<1x1x4x4xf32>
  %o2, %s2 = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32> -> tensor<1x4x1x4xf32>, tensor<1x1x4x4xf32>
  return %o1, %o2 : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>
}

// -----

// Different decay: two ops remain.
// CSE-LABEL: func.func @different_decay
// CSE-COUNT-2: retention.parallel
func.func @different_decay(%q: tensor<1x4x1x4xf32>) -> (tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>) {
  %o1, %s1 = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32> -> tensor<1x4x1x4xf32>, tensor<1x1x4x4xf32>
  %o2, %s2 = retention.parallel %q, %q, %q {decay = #retention.decay<paper>}
      : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32> -> tensor<1x4x1x4xf32>, tensor<1x1x4x4xf32>
  return %o1, %o2 : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>
}

// -----

// DCE-LABEL: func.func @unused
// DCE-NOT: retention.
// DCE: return %arg0
func.func @unused(%q: tensor<1x4x1x4xf32>) -> tensor<1x4x1x4xf32> {
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 2 : i64, decay = #retention.decay<retnet>}
      : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32> -> tensor<1x4x1x4xf32>, tensor<1x1x4x4xf32>
  %o2, %s2 = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32>, tensor<1x4x1x4xf32> -> tensor<1x4x1x4xf32>, tensor<1x1x4x4xf32>
  return %q : tensor<1x4x1x4xf32>
}
