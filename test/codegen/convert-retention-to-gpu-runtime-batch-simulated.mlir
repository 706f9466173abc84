// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 num-sms=132" --convert-retention-to-gpu=runtime-sizes=1 --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --count-dim batch --count 1 | FileCheck %s --check-prefix=ONE
// RUN: %python %testlib/simt_sim.py %t.mlir --count-dim batch --count -3 | FileCheck %s --check-prefix=TAIL
// RUN: %python %testlib/simt_sim.py %t.mlir --count-dim batch --count 0 | FileCheck %s --check-prefix=ALL
// A planted bug must fail: kernels given B = Bmax - 3 where the checks
// expect B = 1 (sequences past it read, written or changed).
// RUN: not %python %testlib/simt_sim.py %t.mlir --count-dim batch --count 1 --kernel-count -3 | FileCheck %s --check-prefix=BUG
// BUG-COUNT-2: sequences 1: FAIL
//
// The SIMT recurrent kernel of a batched decode step: a kernel function
// marked retention.runtime_batch (retention-outline-gpu-kernels marks the
// retention op of @decode_batch so) takes the sequence count B as its last,
// index, parameter (KernelSignature::numSequences); the memrefs keep the
// static Bmax = 7 slots. Run by test/lib/simt_sim.py (every thread of every
// block in lockstep) at B = 1, Bmax - 3 = 4 and Bmax on random inputs
// against retention_ref.py's float64 recurrent form. Rows of q, k, v and s0
// at or past B are NaN and may not be loaded; rows of o and of the state
// there may not be stored and must keep their values. Tolerance as in
// convert-retention-to-gpu-runtime-sizes-simulated.mlir (1e-5 for f32).

// One token a sequence (decode), the initial state given, K = 20 over 16
// thread rows (ragged), V = 12.
// ONE: B=7 T=1 H=3 K=20 V=12 f32 initial sequences 1: o rel err = {{.+}} PASS
// TAIL: B=7 T=1 H=3 K=20 V=12 f32 initial sequences 4: o rel err = {{.+}} PASS
// ALL: B=7 T=1 H=3 K=20 V=12 f32 initial sequences 7: o rel err = {{.+}} PASS
func.func @recurrent(%q: tensor<7x1x3x20xf32>, %k: tensor<7x1x3x20xf32>, %v: tensor<7x1x3x12xf32>, %s0: tensor<7x3x20x12xf32>) -> (tensor<7x1x3x12xf32>, tensor<7x3x20x12xf32>) attributes {retention.runtime_batch} {
  %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<7x1x3x20xf32>, tensor<7x1x3x20xf32>, tensor<7x1x3x12xf32>, tensor<7x3x20x12xf32> -> tensor<7x1x3x12xf32>, tensor<7x3x20x12xf32>
  return %o, %s : tensor<7x1x3x12xf32>, tensor<7x3x20x12xf32>
}

// -----

// bf16 inputs and output, two tokens a sequence, V = 6 (one column a thread).
// ONE: B=7 T=2 H=2 K=8 V=6 bf16 initial sequences 1: o rel err = {{.+}} PASS
// TAIL: B=7 T=2 H=2 K=8 V=6 bf16 initial sequences 4: o rel err = {{.+}} PASS
// ALL: B=7 T=2 H=2 K=8 V=6 bf16 initial sequences 7: o rel err = {{.+}} PASS
func.func @recurrent(%q: tensor<7x2x2x8xbf16>, %k: tensor<7x2x2x8xbf16>, %v: tensor<7x2x2x6xbf16>, %s0: tensor<7x2x8x6xf32>) -> (tensor<7x2x2x6xbf16>, tensor<7x2x8x6xf32>) attributes {retention.runtime_batch} {
  %o, %s = retention.recurrent %q, %k, %v initial %s0 {decay = #retention.decay<retnet>}
      : tensor<7x2x2x8xbf16>, tensor<7x2x2x8xbf16>, tensor<7x2x2x6xbf16>, tensor<7x2x8x6xf32> -> tensor<7x2x2x6xbf16>, tensor<7x2x8x6xf32>
  return %o, %s : tensor<7x2x2x6xbf16>, tensor<7x2x8x6xf32>
}
