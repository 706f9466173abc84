// RUN: retc-opt %s --split-input-file --retention-outline-gpu-kernels | FileCheck %s
// RUN: retc-opt %s --split-input-file --retention-outline-gpu-kernels --retention-gpu-select-schedule="target=sm_80 num-sms=132" --convert-retention-to-gpu=runtime-sizes=1 | FileCheck %s --check-prefix=KERNEL
// Ops over packed sequences (a retention op with segments, last_rows)
// count their N sequences, one less than the offsets: the launch's count
// is N, the states and last_rows' result have N rows, the retention
// output the tokens' (dim 1 of q). The kernel functions are sized for the
// function's retention.max_tokens (64) rows and sequences, 65 offsets;
// the retention kernel takes the sequence count last and has a block per
// sequence slot (grid z).

// CHECK-LABEL: func.func @packed(
// CHECK-SAME: %[[Q:[^:]+]]: tensor<1x?x2x8xf32>, %[[K:[^:]+]]: tensor<1x?x2x8xf32>, %[[V:[^:]+]]: tensor<1x?x2x8xf32>, %[[OFF:[^:]+]]: tensor<?xi64>
// CHECK: %[[T:.+]] = tensor.dim %[[Q]], %c1
// CHECK: %[[BOUNDS:.+]] = tensor.dim %[[OFF]], %c0
// CHECK: %[[N:.+]] = arith.subi %[[BOUNDS]], %{{.+}} : index
// CHECK: %[[O:.+]] = memref.alloc(%[[T]]) {{.+}} : memref<1x?x2x8xf32>
// CHECK: %[[S:.+]] = memref.alloc(%[[N]]) {{.+}} : memref<?x2x8x8xf32>
// CHECK: retention.launch_kernel @k0_chunkwise({{.+}}, %[[O]], %[[S]], %[[N]]) {max_rows = 64 : i64}
// CHECK: %[[LN:.+]] = arith.subi
// CHECK: %[[LAST:.+]] = memref.alloc(%[[LN]]) {{.+}} : memref<?x16xf32>
// CHECK: retention.launch_kernel @k1_last_rows({{.+}}, %[[LAST]], %[[LN]]) {max_rows = 64 : i64}
// CHECK: func.func private @k0_chunkwise(%{{.+}}: tensor<1x64x2x8xf32>, %{{.+}}: tensor<1x64x2x8xf32>, %{{.+}}: tensor<1x64x2x8xf32>, %{{.+}}: tensor<65xi64>) -> (tensor<1x64x2x8xf32>, tensor<64x2x8x8xf32>)
// CHECK: func.func private @k1_last_rows(%{{.+}}: tensor<64x16xf32>, %{{.+}}: tensor<65xi64>) -> tensor<64x16xf32>

// KERNEL: gpu.func @k0_chunkwise(%{{.+}}: memref<1x64x2x8xf32>, %{{.+}}: memref<1x64x2x8xf32>, %{{.+}}: memref<1x64x2x8xf32>, %{{.+}}: memref<65xi64>, %{{.+}}: memref<1x64x2x8xf32>, %{{.+}}: memref<64x2x8x8xf32>, %{{.+}}: index) workgroup
// KERNEL-SAME: grid = array<i64: 1, 2, 64>
// KERNEL: gpu.func @k1_last_rows(%{{.+}}: memref<64x16xf32>, %{{.+}}: memref<65xi64>, %{{.+}}: memref<64x16xf32>, %{{.+}}: index) kernel
func.func @packed(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>, %v: tensor<1x?x2x8xf32>, %off: tensor<?xi64>, %h: tensor<?x16xf32>) -> (tensor<1x?x2x8xf32>, tensor<?x2x8x8xf32>, tensor<?x16xf32>) attributes {retention.max_tokens = 64 : i64} {
  %o, %s = retention.chunkwise %q, %k, %v segments(%off : tensor<?xi64>) {chunk_size = 16 : i64, decay = #retention.decay<retnet>}
      : tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32> -> tensor<1x?x2x8xf32>, tensor<?x2x8x8xf32>
  %last = retention.last_rows %h, %off : tensor<?x16xf32>, tensor<?xi64> -> tensor<?x16xf32>
  return %o, %s, %last : tensor<1x?x2x8xf32>, tensor<?x2x8x8xf32>, tensor<?x16xf32>
}

// -----

// retention.max_sequences bounds the sequences: the states of the kernel
// function sized for 8 (a block each), its offsets 9; the tokens still
// for max_tokens.
// CHECK-LABEL: func.func @bounded(
// CHECK: func.func private @k{{[0-9]+}}_chunkwise(%{{.+}}: tensor<1x64x2x8xf32>, %{{.+}}: tensor<1x64x2x8xf32>, %{{.+}}: tensor<1x64x2x8xf32>, %{{.+}}: tensor<8x2x8x8xf32>, %{{.+}}: tensor<9xi64>) -> (tensor<1x64x2x8xf32>, tensor<8x2x8x8xf32>)
// KERNEL: gpu.func @k{{[0-9]+}}_chunkwise(%{{.+}}: memref<1x64x2x8xf32>, %{{.+}}: memref<1x64x2x8xf32>, %{{.+}}: memref<1x64x2x8xf32>, %{{.+}}: memref<8x2x8x8xf32>, %{{.+}}: memref<9xi64>, %{{.+}}: memref<1x64x2x8xf32>, %{{.+}}: memref<8x2x8x8xf32>, %{{.+}}: index) workgroup
// KERNEL-SAME: grid = array<i64: 1, 2, 8>
func.func @bounded(%q: tensor<1x?x2x8xf32>, %k: tensor<1x?x2x8xf32>, %v: tensor<1x?x2x8xf32>, %s0: tensor<?x2x8x8xf32>, %off: tensor<?xi64>) -> (tensor<1x?x2x8xf32>, tensor<?x2x8x8xf32>) attributes {retention.max_tokens = 64 : i64, retention.max_sequences = 8 : i64} {
  %o, %s = retention.chunkwise %q, %k, %v initial %s0 segments(%off : tensor<?xi64>) {chunk_size = 16 : i64, decay = #retention.decay<retnet>}
      : tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<1x?x2x8xf32>, tensor<?x2x8x8xf32> -> tensor<1x?x2x8xf32>, tensor<?x2x8x8xf32>
  return %o, %s : tensor<1x?x2x8xf32>, tensor<?x2x8x8xf32>
}
