// RUN: retc-opt %s --split-input-file --convert-retention-graph-to-cpu | FileCheck %s
// RUN: retc-opt %s --split-input-file --convert-retention-graph-to-cpu="vector-width=4 mr=2 nr=2" | FileCheck %s --check-prefix=W4
// convert-retention-graph-to-cpu: each graph op becomes an scf.parallel
// nest over f32 vectors that reads its operands through
// bufferization.to_buffer and returns a fresh 64-byte-aligned buffer (rows
// from memref.dim when T is dynamic) through bufferization.to_tensor.
// Widths that the vector width does not divide end in a masked tail.

// Projection (fewer than 128 rows): a 2-D parallel loop over (row tile,
// column tile); inside, an
// MR x NR register tile of vector accumulators along the input axis
// (vector.fma), each reduced with vector.reduction; the 20-wide input is 16
// in full vectors, then 4 lanes masked; the residual is loaded in the
// epilogue and added before the store.
// CHECK-LABEL: func.func @linear_residual
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x20xf32>, %[[W:[^:]+]]: tensor<6x20xf32>, %[[R:[^:]+]]: tensor<?x6xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK-DAG: %[[C64:.+]] = arith.constant 64 : index
// CHECK: %[[XB:.+]] = bufferization.to_buffer %[[X]] read_only : tensor<?x20xf32> to memref<?x20xf32>
// CHECK: %[[T:.+]] = memref.dim %[[XB]], %[[C0]] : memref<?x20xf32>
// CHECK: %[[OUT:.+]] = memref.alloc(%[[T]]) {alignment = 64 : i64} : memref<?x6xf32>
// CHECK: %[[WB:.+]] = bufferization.to_buffer %[[W]] read_only : tensor<6x20xf32> to memref<6x20xf32>
// CHECK: %[[RB:.+]] = bufferization.to_buffer %[[R]] read_only : tensor<?x6xf32> to memref<?x6xf32>
// From 128 rows on (prefill), the packed form, chosen at run time: a task
// per block of NR x W = 16 output columns transposes its weights into a
// panel [in][16] (zeros past the 6th column), then each row tile of 6 rows
// accumulates x[t, k] (broadcast) times the panel's row k, 6 x 2 vector
// accumulators and no reduction; the residual and the store masked to the
// block's real columns.
// CHECK: %[[MANY:.+]] = arith.cmpi sge, %[[T]], %[[C128:.+]] : index
// CHECK: scf.if %[[MANY]] {
// CHECK: scf.parallel
// The transpose: for a whole block of 16 columns, tiles of 8 x 8 loaded
// as 8 vectors of 8 and transposed by shuffles; the inputs past the last
// multiple of 8 (here 4 of 20), and a partial block (this one: 6 columns),
// as scalars.
// CHECK: %[[PANEL:.+]] = memref.alloc() {alignment = 64 : i64} : memref<20x16xf32>
// CHECK: scf.if
// CHECK: vector.load %[[WB]]
// CHECK: vector.shuffle
// CHECK: vector.store %{{.+}}, %[[PANEL]]
// CHECK: } else {
// CHECK: memref.load %[[WB]]
// CHECK: memref.store %{{.+}}, %[[PANEL]]
// CHECK: %{{.+}}:12 = scf.for %{{.+}} iter_args({{.+}}) -> (vector<8xf32>,
// CHECK: vector.load %[[PANEL]]
// CHECK: memref.load %[[XB]]
// CHECK: vector.broadcast
// CHECK: vector.fma
// CHECK-NOT: vector.reduction
// CHECK: vector.maskedload %[[RB]]
// CHECK: vector.maskedstore %[[OUT]]
// CHECK-NOT: vector.reduction
// CHECK: } else {
// Fewer rows (decode): the weights streamed as they lie.
// CHECK: %[[TASKS:.+]] = arith.ceildivsi %[[T]], %[[C64]] : index
// CHECK: scf.parallel (%{{.+}}, %{{.+}}) = (%[[C0]], %[[C0]]) to (%[[TASKS]], %{{.+}})
// CHECK: scf.for %[[TR:[^ ]+]] =
// CHECK: scf.for %[[TC:[^ ]+]] =
// CHECK: %{{.+}}:8 = scf.for %[[I:.+]] = %[[C0]] to %[[C16]] step %{{.+}} iter_args({{.+}}) -> (vector<8xf32>,
// CHECK: vector.load %[[XB]][%[[TR]], %[[I]]] : memref<?x20xf32>, vector<8xf32>
// CHECK: vector.load %[[WB]][%[[TC]], %[[I]]] : memref<6x20xf32>, vector<8xf32>
// CHECK: vector.fma {{.+}} : vector<8xf32>
// CHECK: scf.yield
// CHECK: %[[MASK:.+]] = vector.create_mask %[[C4]] : vector<8xi1>
// CHECK: vector.maskedload %[[XB]][%[[TR]], %[[C16]]], %[[MASK]]
// CHECK: vector.maskedload %[[WB]][%[[TC]], %[[C16]]], %[[MASK]]
// CHECK: %[[ACC:.+]] = vector.fma
// CHECK: %[[SUM:.+]] = vector.reduction <add>, %[[ACC]] : vector<8xf32> into f32
// CHECK: %[[RES:.+]] = memref.load %[[RB]][%[[TR]], %[[TC]]] : memref<?x6xf32>
// CHECK: %[[Y:.+]] = arith.addf %[[SUM]], %[[RES]] : f32
// CHECK: memref.store %[[Y]], %[[OUT]][%[[TR]], %[[TC]]] : memref<?x6xf32>
// CHECK: scf.reduce
// CHECK: %[[TENSOR:.+]] = bufferization.to_tensor %[[OUT]] restrict : memref<?x6xf32> to tensor<?x6xf32>
// CHECK: return %[[TENSOR]]
// CHECK-NOT: retention.linear
// With W = 4, MR = NR = 2: 4 accumulators of vector<4xf32>, 20 = 5 x 4 with no tail.
// W4-LABEL: func.func @linear_residual
// W4: scf.parallel
// W4: %{{.+}}:4 = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args({{.+}}) -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// W4-NOT: vector.create_mask
// W4-NOT: vector.maskedload
// W4: vector.reduction <add>, %{{.+}} : vector<4xf32> into f32
// W4: return
func.func @linear_residual(%x: tensor<?x20xf32>, %w: tensor<6x20xf32>, %r: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %y = retention.linear %x, %w residual %r : tensor<?x20xf32>, tensor<6x20xf32>, tensor<?x6xf32> -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}

// -----

// Without a residual nothing is loaded in the epilogue; a width that the
// vector divides has no masked tail; a static T allocates a static buffer.
// CHECK-LABEL: func.func @linear_static
// CHECK-NOT: memref.dim
// CHECK: %[[OUT:.+]] = memref.alloc() {alignment = 64 : i64} : memref<3x8xf32>
// CHECK: } else {
// CHECK: scf.parallel
// CHECK-NOT: vector.create_mask
// CHECK: vector.fma
// CHECK: %[[SUM:.+]] = vector.reduction <add>
// CHECK-NOT: memref.load
// CHECK: memref.store %[[SUM]], %[[OUT]]
// CHECK: return
func.func @linear_static(%x: tensor<3x16xf32>, %w: tensor<8x16xf32>) -> tensor<3x8xf32> {
  %y = retention.linear %x, %w : tensor<3x16xf32>, tensor<8x16xf32> -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// -----

// Both projections in one pass over x: two accumulators per output column,
// the SwiGLU product swish(g) * u in the epilogue.
// CHECK-LABEL: func.func @swiglu_linear
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x16xf32>, %[[WG:[^:]+]]: tensor<4x16xf32>, %[[WU:[^:]+]]: tensor<4x16xf32>)
// CHECK: %[[XB:.+]] = bufferization.to_buffer %[[X]] read_only
// CHECK: %[[OUT:.+]] = memref.alloc(%{{.+}}) {alignment = 64 : i64} : memref<?x4xf32>
// CHECK: %[[GB:.+]] = bufferization.to_buffer %[[WG]] read_only
// CHECK: %[[UB:.+]] = bufferization.to_buffer %[[WU]] read_only
// Packed: both panels, 6 x 1 x 2 accumulators.
// CHECK: scf.if
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<16x8xf32>
// CHECK: memref.alloc() {alignment = 64 : i64} : memref<16x8xf32>
// CHECK: %{{.+}}:12 = scf.for
// CHECK: } else {
// CHECK: scf.parallel
// CHECK: scf.for %[[TR:[^ ]+]] =
// CHECK: scf.for %[[TC:[^ ]+]] =
// CHECK: %[[ACC:.+]]:2 = scf.for %[[I:.+]] = {{.+}} iter_args(%[[A:.+]] = %{{.+}}, %[[B:.+]] = %{{.+}}) -> (vector<8xf32>, vector<8xf32>)
// CHECK: %[[XV:.+]] = vector.load %[[XB]][%[[TR]], %[[I]]]
// CHECK: %[[GV:.+]] = vector.load %[[GB]][%[[TC]], %[[I]]]
// CHECK: %[[UV:.+]] = vector.load %[[UB]][%[[TC]], %[[I]]]
// CHECK: vector.fma %[[XV]], %[[GV]], %[[A]]
// CHECK: vector.fma %[[XV]], %[[UV]], %[[B]]
// CHECK: %[[G:.+]] = vector.reduction <add>, %[[ACC]]#0
// CHECK: %[[NEG:.+]] = arith.negf %[[G]] : f32
// CHECK: %[[SWISH:.+]] = arith.divf %[[G]], %{{.+}} : f32
// CHECK: %[[U:.+]] = vector.reduction <add>, %[[ACC]]#1
// CHECK: %[[Y:.+]] = arith.mulf %[[SWISH]], %[[U]] : f32
// CHECK: memref.store %[[Y]], %[[OUT]][%[[TR]], %[[TC]]]
// CHECK-NOT: retention.swiglu_linear
func.func @swiglu_linear(%x: tensor<?x16xf32>, %wg: tensor<4x16xf32>, %wu: tensor<4x16xf32>) -> tensor<?x4xf32> {
  %y = retention.swiglu_linear %x, %wg, %wu : tensor<?x16xf32>, tensor<4x16xf32>, tensor<4x16xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// One row per parallel iteration: the table row of the token id (an i32
// cast to index), 12 = 8 + 4 masked lanes.
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[TOK:[^:]+]]: tensor<?xi32>, %[[TABLE:[^:]+]]: tensor<100x12xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[C8:.+]] = arith.constant 8 : index
// CHECK: %[[TB:.+]] = bufferization.to_buffer %[[TOK]] read_only : tensor<?xi32> to memref<?xi32>
// CHECK: %[[TAB:.+]] = bufferization.to_buffer %[[TABLE]] read_only
// CHECK: %[[T:.+]] = memref.dim %[[TB]], %[[C0]] : memref<?xi32>
// CHECK: %[[OUT:.+]] = memref.alloc(%[[T]]) {alignment = 64 : i64} : memref<?x12xf32>
// CHECK: scf.parallel (%[[ROW:.+]]) = (%[[C0]]) to (%[[T]])
// CHECK: %[[ID32:.+]] = memref.load %[[TB]][%[[ROW]]] : memref<?xi32>
// CHECK: %[[ID:.+]] = arith.index_cast %[[ID32]] : i32 to index
// CHECK: scf.for %[[J:.+]] = %[[C0]] to %[[C8]] step %[[C8]]
// CHECK: %[[V:.+]] = vector.load %[[TAB]][%[[ID]], %[[J]]]
// CHECK: vector.store %[[V]], %[[OUT]][%[[ROW]], %[[J]]]
// CHECK: %[[M:.+]] = vector.create_mask %[[C4]] : vector<8xi1>
// CHECK: %[[VT:.+]] = vector.maskedload %[[TAB]][%[[ID]], %[[C8]]], %[[M]]
// CHECK: vector.maskedstore %[[OUT]][%[[ROW]], %[[C8]]], %[[M]], %[[VT]]
func.func @embedding(%tok: tensor<?xi32>, %table: tensor<100x12xf32>) -> tensor<?x12xf32> {
  %h = retention.embedding %tok, %table : tensor<?xi32>, tensor<100x12xf32> -> tensor<?x12xf32>
  return %h : tensor<?x12xf32>
}

// -----

// Sum of squares (vector.fma of x with itself, the tail masked), reduced;
// rsqrt(sum / n + eps) broadcast and applied with the weight.
// CHECK-LABEL: func.func @rms_norm
// CHECK-DAG: %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
// CHECK-DAG: %[[N:.+]] = arith.constant 2.000000e+01 : f32
// CHECK: scf.parallel (%[[ROW:.+]]) =
// CHECK: %[[SS:.+]] = scf.for
// CHECK: %[[V:.+]] = vector.load
// CHECK: vector.fma %[[V]], %[[V]], %{{.+}} : vector<8xf32>
// CHECK: vector.create_mask
// CHECK: %[[VT:.+]] = vector.maskedload
// CHECK: %[[SST:.+]] = vector.fma %[[VT]], %[[VT]], %[[SS]]
// CHECK: %[[SUM:.+]] = vector.reduction <add>, %[[SST]]
// CHECK: %[[MEAN:.+]] = arith.divf %[[SUM]], %[[N]] : f32
// CHECK: %[[ME:.+]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: %[[INV:.+]] = math.rsqrt %[[ME]] : f32
// CHECK: %[[INVV:.+]] = vector.broadcast %[[INV]] : f32 to vector<8xf32>
// CHECK: scf.for
// CHECK: arith.mulf %{{.+}}, %[[INVV]] : vector<8xf32>
// CHECK: vector.store
// CHECK: vector.maskedstore
func.func @rms_norm(%x: tensor<?x20xf32>, %w: tensor<20xf32>) -> tensor<?x20xf32> {
  %y = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<?x20xf32>, tensor<20xf32> -> tensor<?x20xf32>
  return %y : tensor<?x20xf32>
}

// -----

// Parallel over (row, head); the norm over each head's 16 columns (mean
// over head_dim), the weight indexed within the head, then the swish of
// the gate.
// CHECK-LABEL: func.func @gated_head_norm
// CHECK-SAME: (%[[O:[^:]+]]: tensor<?x32xf32>, %[[W:[^:]+]]: tensor<16xf32>, %[[G:[^:]+]]: tensor<?x32xf32>)
// CHECK-DAG: %[[HD:.+]] = arith.constant 1.600000e+01 : f32
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[C16:.+]] = arith.constant 16 : index
// CHECK: %[[WB:.+]] = bufferization.to_buffer %[[W]] read_only
// CHECK: %[[GB:.+]] = bufferization.to_buffer %[[G]] read_only
// CHECK: scf.parallel (%[[ROW:.+]], %[[H:.+]]) = (%{{.+}}, %{{.+}}) to (%{{.+}}, %[[C2]])
// CHECK: %[[BASE:.+]] = arith.muli %[[H]], %[[C16]] : index
// CHECK: vector.reduction <add>
// CHECK: arith.divf %{{.+}}, %[[HD]] : f32
// CHECK: math.rsqrt
// CHECK: scf.for %[[J:.+]] = %{{.+}} to %[[C16]]
// CHECK: vector.load %[[WB]][%[[J]]] : memref<16xf32>
// CHECK: %[[GCOL:.+]] = arith.addi %[[BASE]], %[[J]] : index
// CHECK: %[[GV:.+]] = vector.load %[[GB]][%[[ROW]], %[[GCOL]]]
// CHECK: arith.negf %[[GV]] : vector<8xf32>
// CHECK: arith.divf %[[GV]], %{{.+}} : vector<8xf32>
// CHECK: vector.store
func.func @gated_head_norm(%o: tensor<?x32xf32>, %w: tensor<16xf32>, %g: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %y = retention.gated_head_norm %o, %w gate %g {head_dim = 16 : i64, eps = 1.0e-06 : f64} : tensor<?x32xf32>, tensor<16xf32>, tensor<?x32xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// Without a gate: no swish.
// CHECK-LABEL: func.func @head_norm_no_gate
// CHECK: math.rsqrt
// CHECK-NOT: arith.negf
// CHECK-NOT: math.exp
// CHECK: return
func.func @head_norm_no_gate(%o: tensor<?x32xf32>, %w: tensor<16xf32>) -> tensor<?x32xf32> {
  %y = retention.gated_head_norm %o, %w {head_dim = 16 : i64, eps = 1.0e-06 : f64} : tensor<?x32xf32>, tensor<16xf32> -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// rotate_half: angle (position + t) * base^(-2i/head_dim) in f64 (the
// frequencies a constant table), cos and sin once per (row, pair), then
// every head: columns i and i + head_dim/2 rotated.
// CHECK: memref.global "private" constant @__retc_rotary_inv_freq_16_{{.*}} : memref<8xf64> = dense<[1.000000e+00, 0.31622776601683794,
// CHECK-LABEL: func.func @rotary_rotate_half
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<?x32xf32>, %[[POS:[^:]+]]: index)
// CHECK-DAG: %[[HALF:.+]] = arith.constant 8 : index
// CHECK-DAG: %[[TABLE:.+]] = memref.get_global @__retc_rotary_inv_freq_16_
// CHECK: scf.parallel (%[[ROW:.+]]) =
// CHECK: %[[P:.+]] = arith.addi %[[POS]], %[[ROW]] : index
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %[[HALF]]
// CHECK: %[[FREQ:.+]] = memref.load %[[TABLE]][%[[I]]] : memref<8xf64>
// CHECK: %[[ANGLE:.+]] = arith.mulf %{{.+}}, %[[FREQ]] : f64
// CHECK: %[[COS:.+]] = math.cos %[[ANGLE]] : f64
// CHECK: %[[SIN:.+]] = math.sin %[[ANGLE]] : f64
// CHECK: %[[SECOND:.+]] = arith.addi %[[I]], %[[HALF]] : index
// CHECK: scf.for %[[H:.+]] =
// CHECK: %[[C0:.+]] = arith.addi %{{.+}}, %[[I]] : index
// CHECK: %[[C1:.+]] = arith.addi %{{.+}}, %[[SECOND]] : index
// CHECK: %[[A:.+]] = memref.load %{{.+}}[%[[ROW]], %[[C0]]]
// CHECK: %[[B:.+]] = memref.load %{{.+}}[%[[ROW]], %[[C1]]]
// CHECK: arith.subf
// CHECK: memref.store %{{.+}}[%[[ROW]], %[[C0]]]
// CHECK: arith.addf
// CHECK: memref.store %{{.+}}[%[[ROW]], %[[C1]]]
func.func @rotary_rotate_half(%q: tensor<?x32xf32>, %pos: index) -> tensor<?x32xf32> {
  %r = retention.rotary %q at %pos {head_dim = 16 : i64, base = 1.0e+04 : f64, layout = "rotate_half"} : tensor<?x32xf32> -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// interleaved: columns 2i and 2i + 1.
// CHECK-LABEL: func.func @rotary_interleaved
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK: scf.parallel (%[[ROW:.+]]) =
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %[[C2]]
// CHECK: %[[FIRST:.+]] = arith.muli %[[I]], %[[C2]] : index
// CHECK: %[[SECOND:.+]] = arith.addi %[[FIRST]], %[[C1]] : index
// CHECK: %[[A:.+]] = arith.addi %{{.+}}, %[[FIRST]] : index
// CHECK: %[[B:.+]] = arith.addi %{{.+}}, %[[SECOND]] : index
// CHECK: memref.load %{{.+}}[%[[ROW]], %[[A]]]
// CHECK: memref.load %{{.+}}[%[[ROW]], %[[B]]]
func.func @rotary_interleaved(%q: tensor<2x8xf32>, %pos: index) -> tensor<2x8xf32> {
  %r = retention.rotary %q at %pos {head_dim = 4 : i64, base = 1.0e+04 : f64, layout = "interleaved"} : tensor<2x8xf32> -> tensor<2x8xf32>
  return %r : tensor<2x8xf32>
}

// -----

// Output head h reads input head h / groups.
// CHECK-LABEL: func.func @repeat_heads
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK-DAG: %[[C4:.+]] = arith.constant 4 : index
// CHECK-DAG: %[[C8:.+]] = arith.constant 8 : index
// CHECK: %[[OUT:.+]] = memref.alloc(%{{.+}}) {alignment = 64 : i64} : memref<?x32xf32>
// CHECK: scf.parallel (%[[ROW:.+]], %[[H:.+]]) = (%{{.+}}, %{{.+}}) to (%{{.+}}, %[[C4]])
// CHECK: %[[SRCH:.+]] = arith.divsi %[[H]], %[[C2]] : index
// CHECK: %[[SRC:.+]] = arith.muli %[[SRCH]], %[[C8]] : index
// CHECK: %[[DST:.+]] = arith.muli %[[H]], %[[C8]] : index
// CHECK: %[[SC:.+]] = arith.addi %[[SRC]], %{{.+}} : index
// CHECK: %[[V:.+]] = vector.load %{{.+}}[%[[ROW]], %[[SC]]] : memref<?x16xf32>
// CHECK: %[[DC:.+]] = arith.addi %[[DST]], %{{.+}} : index
// CHECK: vector.store %[[V]], %[[OUT]][%[[ROW]], %[[DC]]] : memref<?x32xf32>
func.func @repeat_heads(%k: tensor<?x16xf32>) -> tensor<?x32xf32> {
  %r = retention.repeat_heads %k {head_dim = 8 : i64, groups = 2 : i64} : tensor<?x16xf32> -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// CHECK-LABEL: func.func @add
// CHECK: %[[OUT:.+]] = memref.alloc() {alignment = 64 : i64} : memref<3x10xf32>
// CHECK: scf.parallel
// CHECK: %[[A:.+]] = vector.load
// CHECK: %[[B:.+]] = vector.load
// CHECK: %[[S:.+]] = arith.addf %[[A]], %[[B]] : vector<8xf32>
// CHECK: vector.store %[[S]], %[[OUT]]
// CHECK: %[[M:.+]] = vector.create_mask
// CHECK: %[[AT:.+]] = vector.maskedload %{{.+}}, %[[M]]
// CHECK: %[[BT:.+]] = vector.maskedload %{{.+}}, %[[M]]
// CHECK: %[[ST:.+]] = arith.addf %[[AT]], %[[BT]] : vector<8xf32>
// CHECK: vector.maskedstore %[[OUT]][%{{.+}}], %[[M]], %[[ST]]
func.func @add(%a: tensor<3x10xf32>, %b: tensor<3x10xf32>) -> tensor<3x10xf32> {
  %y = retention.add %a, %b : tensor<3x10xf32>, tensor<3x10xf32> -> tensor<3x10xf32>
  return %y : tensor<3x10xf32>
}

// -----

// swish(gate) * up, vectorized.
// CHECK-LABEL: func.func @swiglu
// CHECK: scf.parallel
// CHECK: %[[G:.+]] = vector.load
// CHECK: %[[U:.+]] = vector.load
// CHECK: arith.negf %[[G]] : vector<8xf32>
// CHECK: %[[SW:.+]] = arith.divf %[[G]], %{{.+}} : vector<8xf32>
// CHECK: %[[Y:.+]] = arith.mulf %[[SW]], %[[U]] : vector<8xf32>
// CHECK: vector.store %[[Y]]
func.func @swiglu(%g: tensor<?x16xf32>, %u: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %y = retention.swiglu %g, %u : tensor<?x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// A chain: the linear reads the norm's buffer directly (to_buffer of
// to_tensor folds away) and has the same rows; no graph op is left.
// CHECK-LABEL: func.func @chain
// CHECK-NOT: retention.
// CHECK: %[[T:.+]] = memref.dim
// CHECK: %[[A:.+]] = memref.alloc(%[[T]])
// CHECK: math.rsqrt
// CHECK: %[[B:.+]] = memref.alloc(%[[T]])
// CHECK-NOT: bufferization.to_tensor %[[A]]
// CHECK: vector.load %[[A]]
// CHECK: %[[BT:.+]] = bufferization.to_tensor %[[B]] restrict
// CHECK-NOT: retention.
// CHECK: return %[[BT]]
func.func @chain(%x: tensor<?x16xf32>, %w: tensor<16xf32>, %wl: tensor<16x16xf32>) -> tensor<?x16xf32> {
  %n = retention.rms_norm %x, %w {eps = 1.0e-06 : f64} : tensor<?x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  %y = retention.linear %n, %wl residual %x : tensor<?x16xf32>, tensor<16x16xf32>, tensor<?x16xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
