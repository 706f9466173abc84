// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 num-sms=132" --convert-retention-to-gpu=runtime-sizes=1 --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --count 1 | FileCheck %s --check-prefix=ONE
// RUN: %python %testlib/simt_sim.py %t.mlir --count -3 | FileCheck %s --check-prefix=TAIL
// RUN: %python %testlib/simt_sim.py %t.mlir --count 17 | FileCheck %s --check-prefix=MID
// A planted bug must fail: kernels given T = Tmax - 3 where the checks
// expect T = 1 (rows past it loaded, stored, or changed).
// RUN: not %python %testlib/simt_sim.py %t.mlir --count 1 --kernel-count -3 | FileCheck %s --check-prefix=BUG
// BUG-COUNT-6: tokens 1: FAIL
//
// The SIMT retention kernels (codegen/gpu/SimtKernels.cpp, SimtRecurrent.cpp)
// with a run-time token count (convert-retention-to-gpu{runtime-sizes}: T is
// the last, index, parameter; the memrefs keep the static Tmax = 40), run on
// the CPU by test/lib/simt_sim.py (every thread of every block in lockstep)
// at T = 1, T = Tmax - 3 = 37 and T = 17 (chunk 16: a second chunk of one
// row; parallel tiles of 32) on random inputs against retention_ref.py's
// float64 recurrent form. Rows of q, k, v at or past T are NaN and may not
// be loaded; rows of o there may not be stored and must keep their values.
// Tolerance: 1e-5 where o is f32 (sums of at most K + 2C ~ 50 f32 products,
// a few hundred ulps at worst, measured ~1e-7), 1.5 x the error of rounding
// the reference to o's type where o is bf16.

// Recurrent, K = 20 over 16 thread rows (ragged), 4 columns a thread.
// ONE: B=1 T=40 H=3 K=20 V=12 f32 initial tokens 1: o rel err = {{.+}} PASS
// TAIL: B=1 T=40 H=3 K=20 V=12 f32 initial tokens 37: o rel err = {{.+}} PASS
// MID: B=1 T=40 H=3 K=20 V=12 f32 initial tokens 17: o rel err = {{.+}} PASS
func.func @recurrent(%q: tensor<1x40x3x20xf32>, %k: tensor<1x40x3x20xf32>, %v: tensor<1x40x3x12xf32>, %s0: tensor<1x3x20x12xf32>) -> (tensor<1x40x3x12xf32>, tensor<1x3x20x12xf32>) {
  %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<1x40x3x20xf32>, tensor<1x40x3x20xf32>, tensor<1x40x3x12xf32>, tensor<1x3x20x12xf32> -> tensor<1x40x3x12xf32>, tensor<1x3x20x12xf32>
  return %o, %s : tensor<1x40x3x12xf32>, tensor<1x3x20x12xf32>
}

// -----

// Recurrent, bf16, no initial state, V = 6: one column a thread.
// ONE: B=1 T=40 H=2 K=8 V=6 bf16 tokens 1: o rel err = {{.+}} PASS
// TAIL: B=1 T=40 H=2 K=8 V=6 bf16 tokens 37: o rel err = {{.+}} PASS
// MID: B=1 T=40 H=2 K=8 V=6 bf16 tokens 17: o rel err = {{.+}} PASS
func.func @recurrent(%q: tensor<1x40x2x8xbf16>, %k: tensor<1x40x2x8xbf16>, %v: tensor<1x40x2x6xbf16>) -> (tensor<1x40x2x6xbf16>, tensor<1x2x8x6xf32>) {
  %o, %s = retention.recurrent %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<1x40x2x8xbf16>, tensor<1x40x2x8xbf16>, tensor<1x40x2x6xbf16> -> tensor<1x40x2x6xbf16>, tensor<1x2x8x6xf32>
  return %o, %s : tensor<1x40x2x6xbf16>, tensor<1x2x8x6xf32>
}

// -----

// Chunkwise, chunk 16 (T = 37: two whole chunks and one of 5 rows).
// ONE: B=1 T=40 H=3 K=8 V=12 f32 initial tokens 1: o rel err = {{.+}} PASS
// TAIL: B=1 T=40 H=3 K=8 V=12 f32 initial tokens 37: o rel err = {{.+}} PASS
// MID: B=1 T=40 H=3 K=8 V=12 f32 initial tokens 17: o rel err = {{.+}} PASS
func.func @chunkwise(%q: tensor<1x40x3x8xf32>, %k: tensor<1x40x3x8xf32>, %v: tensor<1x40x3x12xf32>, %s0: tensor<1x3x8x12xf32>) -> (tensor<1x40x3x12xf32>, tensor<1x3x8x12xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v initial %s0 {chunk_size = 16 : i64, decay = #retention.decay<retnet>}
      : tensor<1x40x3x8xf32>, tensor<1x40x3x8xf32>, tensor<1x40x3x12xf32>, tensor<1x3x8x12xf32> -> tensor<1x40x3x12xf32>, tensor<1x3x8x12xf32>
  return %o, %s : tensor<1x40x3x12xf32>, tensor<1x3x8x12xf32>
}

// -----

// Chunkwise, no initial state, K = 12 > V = 5, chunk 8.
// ONE: B=1 T=40 H=2 K=12 V=5 f32 tokens 1: o rel err = {{.+}} PASS
// TAIL: B=1 T=40 H=2 K=12 V=5 f32 tokens 37: o rel err = {{.+}} PASS
// MID: B=1 T=40 H=2 K=12 V=5 f32 tokens 17: o rel err = {{.+}} PASS
func.func @chunkwise(%q: tensor<1x40x2x12xf32>, %k: tensor<1x40x2x12xf32>, %v: tensor<1x40x2x5xf32>) -> (tensor<1x40x2x5xf32>, tensor<1x2x12x5xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<1x40x2x12xf32>, tensor<1x40x2x12xf32>, tensor<1x40x2x5xf32> -> tensor<1x40x2x5xf32>, tensor<1x2x12x5xf32>
  return %o, %s : tensor<1x40x2x5xf32>, tensor<1x2x12x5xf32>
}

// -----

// Parallel, 32-token tiles (T = 37: a second query tile of 5 rows), the
// final state from its definition (gamma^T s0 + ...).
// ONE: B=1 T=40 H=3 K=8 V=12 f32 initial tokens 1: o rel err = {{.+}} PASS
// TAIL: B=1 T=40 H=3 K=8 V=12 f32 initial tokens 37: o rel err = {{.+}} PASS
// MID: B=1 T=40 H=3 K=8 V=12 f32 initial tokens 17: o rel err = {{.+}} PASS
func.func @parallel(%q: tensor<1x40x3x8xf32>, %k: tensor<1x40x3x8xf32>, %v: tensor<1x40x3x12xf32>, %s0: tensor<1x3x8x12xf32>) -> (tensor<1x40x3x12xf32>, tensor<1x3x8x12xf32>) {
  %o, %s = retention.parallel %q, %k, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<1x40x3x8xf32>, tensor<1x40x3x8xf32>, tensor<1x40x3x12xf32>, tensor<1x3x8x12xf32> -> tensor<1x40x3x12xf32>, tensor<1x3x8x12xf32>
  return %o, %s : tensor<1x40x3x12xf32>, tensor<1x3x8x12xf32>
}

// -----

// Parallel, no initial state, K = 4 < V = 10.
// ONE: B=1 T=40 H=2 K=4 V=10 f32 tokens 1: o rel err = {{.+}} PASS
// TAIL: B=1 T=40 H=2 K=4 V=10 f32 tokens 37: o rel err = {{.+}} PASS
// MID: B=1 T=40 H=2 K=4 V=10 f32 tokens 17: o rel err = {{.+}} PASS
func.func @parallel(%q: tensor<1x40x2x4xf32>, %k: tensor<1x40x2x4xf32>, %v: tensor<1x40x2x10xf32>) -> (tensor<1x40x2x10xf32>, tensor<1x2x4x10xf32>) {
  %o, %s = retention.parallel %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<1x40x2x4xf32>, tensor<1x40x2x4xf32>, tensor<1x40x2x10xf32> -> tensor<1x40x2x10xf32>, tensor<1x2x4x10xf32>
  return %o, %s : tensor<1x40x2x10xf32>, tensor<1x2x4x10xf32>
}
