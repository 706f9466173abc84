// RUN: retc-opt %s --pass-pipeline="builtin.module(convert-retention-to-cpu,canonicalize,cse,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},buffer-results-to-out-params{hoist-static-allocs modify-public-functions},canonicalize,cse,convert-scf-to-openmp,canonicalize,convert-vector-to-scf,lower-affine,convert-scf-to-cf,convert-vector-to-llvm,convert-math-to-llvm,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-arith-to-llvm,convert-func-to-llvm{use-bare-ptr-memref-call-conv},convert-index-to-llvm,convert-openmp-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts,canonicalize,retention-emit-cpu-abi)" | FileCheck %s
// The CPU pipeline of codegen/Pipelines.cpp, pass by pass (loops, buffers,
// LLVM): after it only the llvm and omp dialects remain, the (batch, head)
// loop is an OpenMP worksharing loop, and the kernel has its ABI wrapper.

// CHECK-NOT: {{ (scf|memref|vector|arith|math|func|cf|bufferization|retention|affine|tensor|index)\.[a-z_]+}}
// CHECK: llvm.mlir.global private constant @__retention_log2_gamma(dense<[-0.0458036885, -0.0227200761]> : tensor<2xf32>)
// q, k, v, then the output and the final state as out-parameters.
// CHECK: llvm.func @chunkwise(%{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr, %{{[^:]+}}: !llvm.ptr) {
// CHECK: omp.parallel {
// CHECK: omp.wsloop {
// CHECK: omp.loop_nest ({{.+}}) : i64 = ({{.+}}) to ({{.+}}) step ({{.+}}) collapse(2) {
// vector.fma becomes llvm.intr.fmuladd; math.exp2 llvm.intr.exp2.
// CHECK-DAG: llvm.intr.fmuladd({{.+}}) : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// CHECK-DAG: llvm.intr.exp2({{.+}}) : (f32) -> f32
// CHECK: llvm.func @chunkwise_retc_abi(%{{.+}}: !llvm.ptr) {
// CHECK: llvm.call @chunkwise(
// CHECK-NOT: {{ (scf|memref|vector|arith|math|func|cf|bufferization|retention|affine|tensor|index)\.[a-z_]+}}
func.func @chunkwise(%q: tensor<2x20x2x8xf32>, %k: tensor<2x20x2x8xf32>, %v: tensor<2x20x2x8xf32>) -> (tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32>, tensor<2x20x2x8xf32> -> tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
  return %o, %s : tensor<2x20x2x8xf32>, tensor<2x2x8x8xf32>
}
