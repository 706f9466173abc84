// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --convert-retention-to-gpu --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/graph_kernels_check.py %t.mlir %s | FileCheck %s
// A planted bug must fail: the rounding to bf16 before a store left out
// (the simulator then keeps f32 values, which no bf16 buffer can hold).
// RUN: sed -E 's/"arith.truncf"\((%[0-9#]+)\) : \(vector<([0-9]+)xf32>\) -> vector<[0-9]+xbf16>/"arith.truncf"(\1) : (vector<\2xf32>) -> vector<\2xf32>/' %t.mlir | not %python %testlib/graph_kernels_check.py - %s | FileCheck %s --check-prefix=ROUND
// ROUND: rms_bf16: rms_norm 7x100xbf16 rows=7/7: FAIL: stored values not of bf16
//
// The row kernels of a bf16 or f16 model (codegen/gpu/GraphKernels.h): the
// embedding reads a bf16 table into f32 rows, the norm of the f32 residual
// stream writes bf16, rotary, repeat_heads, the gated head norm and SwiGLU
// read and write half rows. Each loads through the buffer's type, computes
// in f32 and rounds its result once; run by test/lib/simt_sim.py through
// graph_kernels_check.py against float64 on inputs drawn in the type, the
// bound that of f32 plus one rounding of the result.

func.func @emb_bf16(%tok: tensor<6xi32>, %table: tensor<50x64xbf16>) -> tensor<6x64xf32> {
  %h = retention.embedding %tok, %table : tensor<6xi32>, tensor<50x64xbf16> -> tensor<6x64xf32>
  return %h : tensor<6x64xf32>
}
// CHECK: emb_bf16: {{.+}} rows=6/6: rel err = 0.000e+00 {{.+}} PASS
// CHECK: emb_bf16: {{.+}} rows=1/6: rel err = 0.000e+00 {{.+}} PASS

// -----

func.func @rms_bf16(%x: tensor<7x100xf32>, %w: tensor<100xf32>) -> tensor<7x100xbf16> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<7x100xf32>, tensor<100xf32> -> tensor<7x100xbf16>
  return %y : tensor<7x100xbf16>
}
// CHECK: rms_bf16: rms_norm 7x100xbf16 rows=7/7: rel err = {{.+}} PASS
// CHECK: rms_bf16: {{.+}} rows=4/7: rel err = {{.+}} PASS
// CHECK: rms_bf16: {{.+}} rows=1/7: rel err = {{.+}} PASS

// -----

// SIM: rows=3,1 position=77
func.func @rot_bf16(%q: tensor<3x64xbf16>, %pos: index) -> tensor<3x64xbf16> {
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<3x64xbf16> -> tensor<3x64xbf16>
  return %r : tensor<3x64xbf16>
}
// CHECK: rot_bf16: rotary 3x64xbf16 rows=3/3: rel err = {{.+}} PASS
// CHECK: rot_bf16: {{.+}} rows=1/3: rel err = {{.+}} PASS

// -----

func.func @repeat_f16(%k: tensor<5x32xf16>) -> tensor<5x128xf16> {
  %r = retention.repeat_heads %k {head_dim = 8 : i64, groups = 4 : i64} : tensor<5x32xf16> -> tensor<5x128xf16>
  return %r : tensor<5x128xf16>
}
// CHECK: repeat_f16: {{.+}} rows=5/5: rel err = 0.000e+00 {{.+}} PASS
// CHECK: repeat_f16: {{.+}} rows=1/5: rel err = 0.000e+00 {{.+}} PASS

// -----

func.func @gated_bf16(%o: tensor<5x128xbf16>, %w: tensor<32xf32>, %g: tensor<5x128xbf16>) -> tensor<5x128xbf16> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 32 : i64, eps = 1.0e-06 : f64} : tensor<5x128xbf16>, tensor<32xf32>, tensor<5x128xbf16> -> tensor<5x128xbf16>
  return %y : tensor<5x128xbf16>
}
// CHECK: gated_bf16: gated_head_norm gate 5x128xbf16 rows=5/5: rel err = {{.+}} PASS
// CHECK: gated_bf16: {{.+}} rows=1/5: rel err = {{.+}} PASS

// -----

func.func @swiglu_f16(%g: tensor<6x250xf16>, %u: tensor<6x250xf16>) -> tensor<6x250xf16> {
  %y = retention.swiglu %g, %u : tensor<6x250xf16>, tensor<6x250xf16> -> tensor<6x250xf16>
  return %y : tensor<6x250xf16>
}
// CHECK: swiglu_f16: swiglu 6x250xf16 rows=6/6: rel err = {{.+}} PASS
// CHECK: swiglu_f16: {{.+}} rows=1/6: rel err = {{.+}} PASS
