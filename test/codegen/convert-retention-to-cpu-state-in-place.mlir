// RUN: retc-opt %s --split-input-file --convert-retention-to-cpu | FileCheck %s
// A model layer's state on the CPU: where the recurrent form's initial
// state is a slice of a tensor its final state goes back into, at the same
// place, and nothing else uses that tensor, the kernel reads and writes
// the slice of that tensor's buffer in place (each state element is read
// before it is written, by the same task): no state buffer of its own, no
// tensor.insert_slice left, so bufferization copies nothing (it copied the
// slice out and the final state back in, two passes a step). Otherwise the
// final state gets a fresh buffer.

// CHECK-LABEL: func.func @in_place
// CHECK-SAME: %[[Q:[^:]+]]: tensor<?x1x2x8xf32>, %[[S:[^:]+]]: tensor<3x4x2x8x8xf32>, %[[L:[^:]+]]: index, %[[B:[^:]+]]: index
// CHECK-NOT: tensor.extract_slice
// CHECK-NOT: memref.alloc({{.*}}) {{.*}}x2x8x8xf32>
// CHECK: %[[WHOLE:.+]] = bufferization.to_buffer %[[S]] : tensor<3x4x2x8x8xf32> to memref<3x4x2x8x8xf32>
// CHECK: %[[SLICE:.+]] = memref.subview %[[WHOLE]][%[[L]], 0, 0, 0, 0] [1, %[[B]], 2, 8, 8] [1, 1, 1, 1, 1]
// CHECK: vector.transfer_read %[[SLICE]]
// CHECK: vector.transfer_write %{{.+}}, %[[SLICE]]
// CHECK: %[[NEW:.+]] = bufferization.to_tensor %[[WHOLE]] restrict writable
// CHECK-NOT: tensor.insert_slice
// CHECK: return %{{.+}}, %[[NEW]]
func.func @in_place(%q: tensor<?x1x2x8xf32>, %s: tensor<3x4x2x8x8xf32>, %l: index, %b: index) -> (tensor<?x1x2x8xf32>, tensor<3x4x2x8x8xf32>) {
  %s0 = tensor.extract_slice %s[%l, 0, 0, 0, 0] [1, %b, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<3x4x2x8x8xf32> to tensor<?x2x8x8xf32>
  %o, %f = retention.recurrent %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32> -> tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32>
  %s1 = tensor.insert_slice %f into %s[%l, 0, 0, 0, 0] [1, %b, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<?x2x8x8xf32> into tensor<3x4x2x8x8xf32>
  return %o, %s1 : tensor<?x1x2x8xf32>, tensor<3x4x2x8x8xf32>
}

// -----

// The tensor is also read afterwards (returned as it was): not in place.
// CHECK-LABEL: func.func @whole_read_again
// CHECK: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x2x8x8xf32>
// CHECK: tensor.insert_slice
func.func @whole_read_again(%q: tensor<?x1x2x8xf32>, %s: tensor<3x4x2x8x8xf32>, %l: index, %b: index) -> (tensor<3x4x2x8x8xf32>, tensor<3x4x2x8x8xf32>) {
  %s0 = tensor.extract_slice %s[%l, 0, 0, 0, 0] [1, %b, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<3x4x2x8x8xf32> to tensor<?x2x8x8xf32>
  %o, %f = retention.recurrent %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32> -> tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32>
  %s1 = tensor.insert_slice %f into %s[%l, 0, 0, 0, 0] [1, %b, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<?x2x8x8xf32> into tensor<3x4x2x8x8xf32>
  return %s, %s1 : tensor<3x4x2x8x8xf32>, tensor<3x4x2x8x8xf32>
}

// -----

// Back into another place (the next layer's slice): not in place.
// CHECK-LABEL: func.func @another_place
// CHECK: memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x2x8x8xf32>
// CHECK: tensor.insert_slice
func.func @another_place(%q: tensor<?x1x2x8xf32>, %s: tensor<3x4x2x8x8xf32>, %l: index, %m: index, %b: index) -> tensor<3x4x2x8x8xf32> {
  %s0 = tensor.extract_slice %s[%l, 0, 0, 0, 0] [1, %b, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<3x4x2x8x8xf32> to tensor<?x2x8x8xf32>
  %o, %f = retention.recurrent %q, %q, %q initial %s0 {decay = #retention.decay<retnet>}
      : tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32> -> tensor<?x1x2x8xf32>, tensor<?x2x8x8xf32>
  %s1 = tensor.insert_slice %f into %s[%m, 0, 0, 0, 0] [1, %b, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<?x2x8x8xf32> into tensor<3x4x2x8x8xf32>
  return %s1 : tensor<3x4x2x8x8xf32>
}

// -----

// The chunkwise form reads the state of a chunk after it wrote it: never
// in place.
// CHECK-LABEL: func.func @chunkwise
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<1x2x8x8xf32>
// CHECK: tensor.insert_slice
func.func @chunkwise(%q: tensor<1x16x2x8xf32>, %s: tensor<3x1x2x8x8xf32>, %l: index) -> tensor<3x1x2x8x8xf32> {
  %s0 = tensor.extract_slice %s[%l, 0, 0, 0, 0] [1, 1, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<3x1x2x8x8xf32> to tensor<1x2x8x8xf32>
  %o, %f = retention.chunkwise %q, %q, %q initial %s0 {chunk_size = 4 : i64, decay = #retention.decay<retnet>}
      : tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x16x2x8xf32>, tensor<1x2x8x8xf32>
  %s1 = tensor.insert_slice %f into %s[%l, 0, 0, 0, 0] [1, 1, 2, 8, 8] [1, 1, 1, 1, 1] : tensor<1x2x8x8xf32> into tensor<3x1x2x8x8xf32>
  return %s1 : tensor<3x1x2x8x8xf32>
}
