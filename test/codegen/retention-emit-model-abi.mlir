// RUN: retc-opt %s --split-input-file --retention-emit-model-abi | FileCheck %s
// RUN: retc-opt %s --split-input-file --retention-emit-model-abi | FileCheck %s --check-prefix=NONE
// Each model entry function (public, void, i64 num_tokens, position,
// all_logits, then pointers: tokens, state, logits, the table of weight
// addresses) gets `retc_model_<name>(const retc_model_call *call)` that
// loads the fields of retc_model_call {weights, tokens, num_tokens,
// position, state, logits, all_logits, positions, num_sequences,
// sequence_offsets} (runtime/KernelABI.h) and calls it; an entry taking
// one more pointer (decode_batch: its rows' positions) gets `positions`
// too, one taking a pointer, an i64 and a pointer more (prefill_batch)
// `positions`, `num_sequences` and `sequence_offsets`.

// CHECK-LABEL: llvm.func @prefill(
// CHECK-LABEL: llvm.func @retc_model_prefill(
// CHECK-SAME: %[[CALL:[^:]+]]: !llvm.ptr) {
// CHECK-NEXT: %[[P0:.+]] = llvm.getelementptr %[[CALL]][0, 2] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[N:.+]] = llvm.load %[[P0]] : !llvm.ptr -> i64
// CHECK-NEXT: %[[P1:.+]] = llvm.getelementptr %[[CALL]][0, 3] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[POS:.+]] = llvm.load %[[P1]] : !llvm.ptr -> i64
// CHECK-NEXT: %[[P2:.+]] = llvm.getelementptr %[[CALL]][0, 6] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[ALL:.+]] = llvm.load %[[P2]] : !llvm.ptr -> i64
// CHECK-NEXT: %[[P3:.+]] = llvm.getelementptr %[[CALL]][0, 1] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[TOK:.+]] = llvm.load %[[P3]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[P4:.+]] = llvm.getelementptr %[[CALL]][0, 4] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[STATE:.+]] = llvm.load %[[P4]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[P5:.+]] = llvm.getelementptr %[[CALL]][0, 5] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[LOGITS:.+]] = llvm.load %[[P5]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[P6:.+]] = llvm.getelementptr %[[CALL]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[WEIGHTS:.+]] = llvm.load %[[P6]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: llvm.call @prefill(%[[N]], %[[POS]], %[[ALL]], %[[TOK]], %[[STATE]], %[[LOGITS]], %[[WEIGHTS]])
// CHECK-NEXT: llvm.return
llvm.func @prefill(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr,
                   %weights: !llvm.ptr) {
  llvm.return
}

// -----

// Every entry gets its wrapper; declarations, private functions (the layer
// functions), functions of other signatures (no weight table, or more
// pointers) and existing wrappers get none.
// CHECK-DAG: llvm.func @retc_model_prefill(%{{.+}}: !llvm.ptr) {
// CHECK-DAG: llvm.func @retc_model_decode(%{{.+}}: !llvm.ptr) {
// NONE-NOT: @retc_model_malloc
// NONE-NOT: @retc_model_helper
// NONE-NOT: @retc_model_kernel
// NONE-NOT: @retc_model_returns
// NONE-NOT: @retc_model_retc_model_
// NONE-NOT: @retc_model_prefill_layer
// NONE-NOT: @retc_model_six
// CHECK-LABEL: llvm.func @retc_model_forward(
// CHECK: llvm.call @forward(
llvm.func @malloc(i64) -> !llvm.ptr
llvm.func @helper(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr, %weights: !llvm.ptr) attributes {sym_visibility = "private"} {
  llvm.return
}
llvm.func @kernel(%a: !llvm.ptr, %b: !llvm.ptr, %c: !llvm.ptr, %d: !llvm.ptr, %e: !llvm.ptr, %f: !llvm.ptr, %g: !llvm.ptr) {
  llvm.return
}
llvm.func @returns(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr, %weights: !llvm.ptr) -> i64 {
  llvm.return %n : i64
}
llvm.func @retc_model_old(%call: !llvm.ptr) {
  llvm.return
}
llvm.func @prefill(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr, %weights: !llvm.ptr) {
  llvm.return
}
llvm.func @prefill_layer(%n: i64, %pos: i64, %l: i64, %h: !llvm.ptr, %state: !llvm.ptr, %w0: !llvm.ptr, %w1: !llvm.ptr) attributes {sym_visibility = "private"} {
  llvm.return
}
llvm.func @decode(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr, %weights: !llvm.ptr) {
  llvm.return
}
llvm.func @six(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr) {
  llvm.return
}
llvm.func @forward(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr, %weights: !llvm.ptr) {
  llvm.return
}

// -----

// decode_batch: the positions field (7) last.
// CHECK-LABEL: llvm.func @retc_model_decode_batch(
// CHECK: %[[PP:.+]] = llvm.getelementptr %{{.+}}[0, 7] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[POSITIONS:.+]] = llvm.load %[[PP]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: llvm.call @decode_batch(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[POSITIONS]])
llvm.func @decode_batch(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr,
                        %weights: !llvm.ptr, %positions: !llvm.ptr) {
  llvm.return
}

// -----

// prefill_batch: the positions (7), the sequence count (8) and the
// offsets (9) last.
// CHECK-LABEL: llvm.func @retc_model_prefill_batch(
// CHECK: %[[PP:.+]] = llvm.getelementptr %{{.+}}[0, 7] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[POSITIONS:.+]] = llvm.load %[[PP]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: %[[NP:.+]] = llvm.getelementptr %{{.+}}[0, 8] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[N:.+]] = llvm.load %[[NP]] : !llvm.ptr -> i64
// CHECK-NEXT: %[[OP:.+]] = llvm.getelementptr %{{.+}}[0, 9] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr, i64, i64, ptr, ptr, i64, ptr, i64, ptr)>
// CHECK-NEXT: %[[OFFSETS:.+]] = llvm.load %[[OP]] : !llvm.ptr -> !llvm.ptr
// CHECK-NEXT: llvm.call @prefill_batch(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[POSITIONS]], %[[N]], %[[OFFSETS]])
llvm.func @prefill_batch(%n: i64, %pos: i64, %all: i64, %tok: !llvm.ptr, %state: !llvm.ptr, %logits: !llvm.ptr,
                         %weights: !llvm.ptr, %positions: !llvm.ptr, %count: i64, %offsets: !llvm.ptr) {
  llvm.return
}
