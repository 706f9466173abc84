// RUN: retc-opt %s --retention-select-form --retention-convert-form=to=generic | FileCheck %s --check-prefix=BACK
// RUN: retc-opt %s --retention-select-form="form=chunkwise chunk-size=16" --retention-convert-form=to=recurrent --retention-convert-form=to=chunkwise | FileCheck %s --check-prefix=CHAIN
// Forms are interchangeable: select a form, convert it back to the
// form-agnostic op, or through another form; nothing but the op name (and
// chunk size) changes.

// BACK-LABEL: func.func @prefill
// BACK-SAME: (%[[Q:[^:]+]]: {{.+}}, %[[S0:[^:]+]]: tensor<1x2x8x8xf32>)
// BACK: %[[O:.+]], %[[S:.+]] = retention.retention %[[Q]], %[[Q]], %[[Q]] initial %[[S0]] {decay = #retention.decay<paper>, scale = 7.500000e-01 : f64}
// BACK-NOT: chunk_size
// BACK: return %[[O]], %[[S]]

// A recurrent op has no chunk size, so converting it back to chunkwise takes
// the default 64.
// CHAIN-LABEL: func.func @prefill
// CHAIN: retention.chunkwise {{.+}} initial {{.+}} {chunk_size = 64 : i64, decay = #retention.decay<paper>, scale = 7.500000e-01 : f64}
func.func @prefill(%q: tensor<1x300x2x8xf32>, %s0: tensor<1x2x8x8xf32>) -> (tensor<1x300x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.retention %q, %q, %q initial %s0 {decay = #retention.decay<paper>, scale = 0.75 : f64}
      : tensor<1x300x2x8xf32>, tensor<1x300x2x8xf32>, tensor<1x300x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x300x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x300x2x8xf32>, tensor<1x2x8x8xf32>
}
