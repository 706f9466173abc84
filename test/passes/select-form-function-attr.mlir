// RUN: retc-opt %s --split-input-file --retention-select-form | FileCheck %s
// RUN: retc-opt %s --split-input-file --retention-select-form=chunk-size=16 | FileCheck %s --check-prefix=C16
// RUN: retc-opt %s --split-input-file --retention-select-form=form=recurrent | FileCheck %s --check-prefix=FORCED
// A model's entry functions carry `retention.form` ("chunkwise" for
// prefill, "recurrent" for decode, "parallel" for forward): with form=auto
// that attribute decides the form of every retention op inside, whatever T
// is (and T is dynamic there); without it the T-based rule applies. An
// explicit form= overrides the attribute. An invalid value is an error
// (select-form-function-attr-invalid.mlir).

// T = 1 would be recurrent by length; the function says chunkwise.
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: attributes {retention.form = "chunkwise"}
// CHECK: retention.chunkwise %{{.+}} {chunk_size = 64 : i64, decay = #retention.decay<retnet>} : tensor<1x1x2x8xf32>
// C16-LABEL: func.func @prefill
// C16: retention.chunkwise %{{.+}} {chunk_size = 16 : i64, decay = #retention.decay<retnet>}
// FORCED-LABEL: func.func @prefill
// FORCED: retention.recurrent
func.func @prefill(%q: tensor<1x1x2x8xf32>) -> (tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = "chunkwise"} {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32> -> tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// A dynamic T would be chunkwise by length; the function says recurrent.
// The initial state is kept.
// CHECK-LABEL: func.func @decode
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x?x2x8xf32>, %[[S0:[^:]+]]: tensor<1x2x8x8xf32>)
// CHECK: retention.recurrent %[[Q]], %[[Q]], %[[Q]] initial %[[S0]] {decay = #retention.decay<retnet>} : tensor<1x?x2x8xf32>
// CHECK-NOT: chunk_size
// C16-LABEL: func.func @decode
// C16: retention.recurrent
// FORCED-LABEL: func.func @decode
// FORCED: retention.recurrent
func.func @decode(%q: tensor<1x?x2x8xf32>, %s0: tensor<1x2x8x8xf32>) -> (tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = "recurrent"} {
  %o, %s = retention.retention %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// T = 4096 would be chunkwise by length; the function says parallel, for
// every retention op in it, nested ones included.
// CHECK-LABEL: func.func @forward
// CHECK: retention.parallel %{{.+}} {decay = #retention.decay<retnet>} : tensor<1x4096x2x8xf32>
// CHECK: scf.execute_region
// CHECK: retention.parallel %{{.+}} {decay = #retention.decay<paper>} : tensor<1x?x2x8xf32>
// CHECK-NOT: retention.chunkwise
// CHECK: return
// FORCED-LABEL: func.func @forward
// FORCED: retention.recurrent
// FORCED: retention.recurrent
func.func @forward(%q: tensor<1x4096x2x8xf32>, %d: tensor<1x?x2x8xf32>) -> (tensor<1x4096x2x8xf32>, tensor<1x?x2x8xf32>) attributes {retention.form = "parallel"} {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x4096x2x8xf32>, tensor<1x4096x2x8xf32>, tensor<1x4096x2x8xf32> -> tensor<1x4096x2x8xf32>, tensor<1x2x8x8xf32>
  %o2 = scf.execute_region -> tensor<1x?x2x8xf32> {
    %r, %rs = retention.retention %d, %d, %d {decay = #retention.decay<paper>}
        : tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32> -> tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
    scf.yield %r : tensor<1x?x2x8xf32>
  }
  return %o, %o2 : tensor<1x4096x2x8xf32>, tensor<1x?x2x8xf32>
}

// -----

// Without the attribute, T decides: 1 -> recurrent, <= 64 -> parallel,
// dynamic or longer -> chunkwise. The attribute of one function does not
// leak into another.
// CHECK-LABEL: func.func @with_attr
// CHECK: retention.chunkwise
// CHECK-LABEL: func.func @by_length_t1
// CHECK: retention.recurrent
// CHECK-LABEL: func.func @by_length_t10
// CHECK: retention.parallel
// CHECK-LABEL: func.func @by_length_dynamic
// CHECK: retention.chunkwise %{{.+}} {chunk_size = 64 : i64
// C16-LABEL: func.func @by_length_dynamic
// C16: retention.chunkwise %{{.+}} {chunk_size = 16 : i64
// FORCED-LABEL: func.func @by_length_t10
// FORCED: retention.recurrent
func.func @with_attr(%q: tensor<1x1x2x8xf32>) -> (tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = "chunkwise"} {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32> -> tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>
}
func.func @by_length_t1(%q: tensor<1x1x2x8xf32>) -> (tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32> -> tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>
}
func.func @by_length_t10(%q: tensor<1x10x2x8xf32>) -> (tensor<1x10x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x10x2x8xf32>, tensor<1x10x2x8xf32>, tensor<1x10x2x8xf32> -> tensor<1x10x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x10x2x8xf32>, tensor<1x2x8x8xf32>
}
func.func @by_length_dynamic(%q: tensor<1x?x2x8xf32>) -> (tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32> -> tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x?x2x8xf32>, tensor<1x2x8x8xf32>
}

// -----

// An op that already has a form keeps it, attribute or not.
// CHECK-LABEL: func.func @already_formed
// CHECK: retention.parallel
// CHECK-NOT: retention.recurrent
func.func @already_formed(%q: tensor<1x8x2x8xf32>) -> (tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>) attributes {retention.form = "recurrent"} {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32>, tensor<1x8x2x8xf32> -> tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x8x2x8xf32>, tensor<1x2x8x8xf32>
}
