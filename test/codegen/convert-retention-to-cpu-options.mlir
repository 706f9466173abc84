// RUN: retc-opt %s --convert-retention-to-cpu | FileCheck %s --check-prefix=AVX2
// RUN: retc-opt %s --convert-retention-to-cpu="vector-width=16 mr=8 nr=2" | FileCheck %s --check-prefix=AVX512
// RUN: retc-opt %s --convert-retention-to-cpu="vector-width=4 mr=2 nr=3" | FileCheck %s --check-prefix=ODD
// The microkernel shape: `mr` rows x `nr` vectors of `vector-width` f32
// lanes, i.e. mr * nr vector accumulators carried by the rank-update loops,
// and scratch tiles padded to the microkernel.

// Default: 8 lanes, 4 x 2 accumulators; chunk 8 padded to lcm(4, 16) = 16.
// AVX2-LABEL: func.func @chunkwise
// AVX2: memref.alloc() {alignment = 64 : i64} : memref<16x16xf32>
// AVX2: %{{.+}}:8 = scf.for {{.+}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// AVX2: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8xf32>
// AVX2-NOT: vector<16xf32>

// 16 lanes, 8 x 2 accumulators; chunk 8 padded to lcm(8, 32) = 32.
// AVX512-LABEL: func.func @chunkwise
// AVX512: memref.alloc() {alignment = 64 : i64} : memref<32x32xf32>
// AVX512: %{{.+}}:16 = scf.for {{.+}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// AVX512: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<16xf32>
// AVX512-NOT: vector<8xf32>

// 4 lanes, 2 x 3 accumulators.
// ODD-LABEL: func.func @chunkwise
// ODD: %{{.+}}:6 = scf.for {{.+}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// ODD: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<4xf32>
// ODD-NOT: vector<8xf32>
func.func @chunkwise(%q: tensor<2x20x2x8xf32>, %k: tensor<2x20x2x8xf32>, %v: tensor<2x20x2x8xf32>) -> (tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32> -> tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
}
