// RUN: retc-opt %s --split-input-file --convert-retention-to-cpu | FileCheck %s
// Half-precision inputs are widened to f32 as they are read (arith.extf);
// all arithmetic and the state stay f32; the output is narrowed back
// (arith.truncf) as it is written.

// CHECK-LABEL: func.func @chunkwise_bf16
// CHECK: %[[QB:.+]] = bufferization.to_buffer %{{.+}} read_only : tensor<1x20x2x8xbf16> to memref<1x20x2x8xbf16>
// CHECK: %[[OB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<1x20x2x8xbf16>
// CHECK: %[[SB:.+]] = memref.alloc() {alignment = 64 : i64} : memref<1x2x8x8xf32>
// CHECK: %[[X:.+]] = vector.transfer_read %[[QB]]{{.+}} : memref<1x20x2x8xbf16>, vector<8xbf16>
// CHECK-NEXT: arith.extf %[[X]] : vector<8xbf16> to vector<8xf32>
// CHECK: vector.fma {{.+}} : vector<8xf32>
// CHECK: %[[Y:.+]] = arith.truncf %{{.+}} : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT: vector.transfer_write %[[Y]], %[[OB]]
// The final state is written as f32.
// CHECK: vector.transfer_write %{{.+}}, %[[SB]]{{.+}} : vector<8xf32>, memref<1x2x8x8xf32>
// CHECK: bufferization.to_tensor %[[OB]] restrict : memref<1x20x2x8xbf16> to tensor<1x20x2x8xbf16>
// CHECK-NOT: vector.fma {{.+}} : vector<8xbf16>
func.func @chunkwise_bf16(%q: tensor<1x20x2x8xbf16>) -> (tensor<1x20x2x8xbf16>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<1x20x2x8xbf16>, tensor<1x20x2x8xbf16>, tensor<1x20x2x8xbf16> -> tensor<1x20x2x8xbf16>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x20x2x8xbf16>, tensor<1x2x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @parallel_bf16
// CHECK: arith.extf %{{.+}} : vector<8xbf16> to vector<8xf32>
// CHECK: vector.fma {{.+}} : vector<8xf32>
// CHECK: arith.truncf %{{.+}} : vector<8xf32> to vector<8xbf16>
func.func @parallel_bf16(%q: tensor<1x20x2x8xbf16>) -> (tensor<1x20x2x8xbf16>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x20x2x8xbf16>, tensor<1x20x2x8xbf16>, tensor<1x20x2x8xbf16> -> tensor<1x20x2x8xbf16>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x20x2x8xbf16>, tensor<1x2x8x8xf32>
}

// -----

// The recurrent form reads single elements of q and k: scalar extf.
// CHECK-LABEL: func.func @recurrent_f16
// CHECK: arith.extf %{{.+}} : vector<8xf16> to vector<8xf32>
// CHECK: arith.extf %{{.+}} : f16 to f32
// CHECK: vector.fma {{.+}} : vector<8xf32>
// CHECK: arith.truncf %{{.+}} : vector<8xf32> to vector<8xf16>
// CHECK-NOT: bf16
func.func @recurrent_f16(%q: tensor<1x4x2x8xf16>) -> (tensor<1x4x2x8xf16>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.recurrent %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x4x2x8xf16>, tensor<1x4x2x8xf16>, tensor<1x4x2x8xf16> -> tensor<1x4x2x8xf16>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x4x2x8xf16>, tensor<1x2x8x8xf32>
}

// -----

// f32 needs no conversion at all.
// CHECK-LABEL: func.func @chunkwise_f32
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @chunkwise_f32(%q: tensor<1x20x2x8xf32>) -> (tensor<1x20x2x8xf32>, tensor<1x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %q, %q {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<1x20x2x8xf32>, tensor<1x20x2x8xf32>, tensor<1x20x2x8xf32> -> tensor<1x20x2x8xf32>, tensor<1x2x8x8xf32>
  return %o, %s : tensor<1x20x2x8xf32>, tensor<1x2x8x8xf32>
}
