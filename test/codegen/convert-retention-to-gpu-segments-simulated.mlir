// REQUIRES: numpy
// RUN: retc-opt %s --split-input-file --retention-gpu-select-schedule="target=sm_80 num-sms=132" --convert-retention-to-gpu=runtime-sizes=1 --canonicalize --cse --mlir-print-op-generic > %t.mlir
// RUN: %python %testlib/simt_sim.py %t.mlir --segments 0,1,5,37 | FileCheck %s --check-prefix=FOUR
// RUN: %python %testlib/simt_sim.py %t.mlir --segments 43 | FileCheck %s --check-prefix=ONE
// RUN: %python %testlib/simt_sim.py %t.mlir --segments 17,9,1,3,2 | FileCheck %s --check-prefix=ALL
// A planted bug must fail: the kernel told of 5 sequences where 2 are
// given (offsets past them read).
// RUN: not %python %testlib/simt_sim.py %t.mlir --segments 3,4 --kernel-count 5 | FileCheck %s --check-prefix=BUG
// BUG-COUNT-2: FAIL
//
// Packed sequences on the GPU (`segments`, the prefill of several prompts
// in one call): the SIMT chunkwise kernel with a block per sequence (grid
// z over the states' N = 5 slots), each reading its sequence's offset and
// length from the offsets and running over those tokens of the packed q,
// k, v and o, its chunks starting at the sequence's own first token; with
// runtime-sizes the sequence count is its last, index, parameter. Run by
// test/lib/simt_sim.py (every thread of every block in lockstep) against
// retention_ref.py's float64 recurrent form of each sequence alone, each
// with its own initial state: sequences of 0 (its state kept), 1, 5 and
// 37 tokens (chunks of 8: ragged), one sequence of all 43, and all 5
// slots. Tokens past the packed ones are NaN and may not be read, offsets
// past the count may not be read, states past it must keep their values,
// every output row of the packed tokens stored once.

// f32, the initial states given, K = 20, V = 12, chunks of 8.
// FOUR: Tmax=48 H=3 K=20 V=12 f32 initial segments 0,1,5,37: o rel err = {{.+}} PASS
// ONE: Tmax=48 H=3 K=20 V=12 f32 initial segments 43: o rel err = {{.+}} PASS
// ALL: Tmax=48 H=3 K=20 V=12 f32 initial segments 17,9,1,3,2: o rel err = {{.+}} PASS
func.func @chunkwise(%q: tensor<1x48x3x20xf32>, %k: tensor<1x48x3x20xf32>, %v: tensor<1x48x3x12xf32>, %s0: tensor<5x3x20x12xf32>, %off: tensor<6xi64>) -> (tensor<1x48x3x12xf32>, tensor<5x3x20x12xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v initial %s0 segments(%off : tensor<6xi64>) {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<1x48x3x20xf32>, tensor<1x48x3x20xf32>, tensor<1x48x3x12xf32>, tensor<5x3x20x12xf32> -> tensor<1x48x3x12xf32>, tensor<5x3x20x12xf32>
  return %o, %s : tensor<1x48x3x12xf32>, tensor<5x3x20x12xf32>
}

// -----

// bf16 inputs and output, no initial state (fresh prompts, as the model's
// prefill_batch), K = 16, V = 8.
// FOUR: Tmax=48 H=2 K=16 V=8 bf16 segments 0,1,5,37: o rel err = {{.+}} PASS
// ONE: Tmax=48 H=2 K=16 V=8 bf16 segments 43: o rel err = {{.+}} PASS
// ALL: Tmax=48 H=2 K=16 V=8 bf16 segments 17,9,1,3,2: o rel err = {{.+}} PASS
func.func @chunkwise(%q: tensor<1x48x2x16xbf16>, %k: tensor<1x48x2x16xbf16>, %v: tensor<1x48x2x8xbf16>, %off: tensor<6xi64>) -> (tensor<1x48x2x8xbf16>, tensor<5x2x16x8xf32>) {
  %o, %s = retention.chunkwise %q, %k, %v segments(%off : tensor<6xi64>) {chunk_size = 8 : i64, decay = #retention.decay<retnet>}
      : tensor<1x48x2x16xbf16>, tensor<1x48x2x16xbf16>, tensor<1x48x2x8xbf16> -> tensor<1x48x2x8xbf16>, tensor<5x2x16x8xf32>
  return %o, %s : tensor<1x48x2x8xbf16>, tensor<5x2x16x8xf32>
}
