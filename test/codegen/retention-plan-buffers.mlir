// RUN: retc-opt %s --split-input-file --retention-plan-buffers | FileCheck %s
// retention-plan-buffers: each memref.alloc at the top level of a function
// gets a memref.dealloc right after the last top-level op that uses it or
// a view of it; buffers that escape (returned, passed to a call) or are
// already freed get none.

// CHECK-LABEL: func.func @after_last_use
// CHECK: %[[A:.+]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: memref.store %{{.+}}, %[[A]][%{{.+}}]
// CHECK-NEXT: %[[X:.+]] = memref.load %[[A]][%{{.+}}]
// CHECK-NEXT: memref.dealloc %[[A]] : memref<8xf32>
// CHECK-NEXT: %[[Y:.+]] = arith.addf %[[X]], %[[X]]
// CHECK-NEXT: memref.store %[[Y]], %arg0
// CHECK-NEXT: return
func.func @after_last_use(%out: memref<8xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<8xf32>
  memref.store %v, %a[%c0] : memref<8xf32>
  %x = memref.load %a[%c0] : memref<8xf32>
  %y = arith.addf %x, %x : f32
  memref.store %y, %out[%c0] : memref<8xf32>
  return
}

// -----

// Two activations: the first dies as soon as the second is computed from
// it, before the second's last use.
// CHECK-LABEL: func.func @two_activations
// CHECK: %[[A:.+]] = memref.alloc(%{{.+}}) : memref<?x8xf32>
// CHECK: %[[B:.+]] = memref.alloc(%{{.+}}) : memref<?x8xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[B]]
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: memref.copy %[[B]], %arg0
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: return
func.func @two_activations(%out: memref<?x8xf32>, %t: index, %v: f32) {
  %a = memref.alloc(%t) : memref<?x8xf32>
  linalg.fill ins(%v : f32) outs(%a : memref<?x8xf32>)
  %b = memref.alloc(%t) : memref<?x8xf32>
  memref.copy %a, %b : memref<?x8xf32> to memref<?x8xf32>
  memref.copy %b, %out : memref<?x8xf32> to memref<?x8xf32>
  return
}

// -----

// The last use is through a subview taken earlier.
// CHECK-LABEL: func.func @through_subview
// CHECK: %[[A:.+]] = memref.alloc() : memref<4x8xf32>
// CHECK: %[[S:.+]] = memref.subview %[[A]]
// CHECK-NOT: memref.dealloc
// CHECK: memref.copy %[[S]], %arg0
// CHECK-NEXT: memref.dealloc %[[A]] : memref<4x8xf32>
// CHECK-NEXT: return
func.func @through_subview(%out: memref<2x8xf32, strided<[8, 1], offset: 8>>, %v: f32) {
  %a = memref.alloc() : memref<4x8xf32>
  %s = memref.subview %a[1, 0] [2, 8] [1, 1] : memref<4x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 8>>
  linalg.fill ins(%v : f32) outs(%a : memref<4x8xf32>)
  %c0 = arith.constant 0 : index
  %x = arith.addf %v, %v : f32
  memref.copy %s, %out : memref<2x8xf32, strided<[8, 1], offset: 8>> to memref<2x8xf32, strided<[8, 1], offset: 8>>
  return
}

// -----

// Views of views: expand_shape of a subview, then collapse_shape.
// CHECK-LABEL: func.func @through_view_chain
// CHECK: %[[A:.+]] = memref.alloc() : memref<16xf32>
// CHECK: %[[E:.+]] = memref.expand_shape %[[A]]
// CHECK: %[[C:.+]] = memref.collapse_shape %[[E]]
// CHECK-NOT: memref.dealloc
// CHECK: memref.load %[[C]]
// CHECK-NEXT: memref.dealloc %[[A]] : memref<16xf32>
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @through_view_chain(%v: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<16xf32>
  memref.store %v, %a[%c0] : memref<16xf32>
  %e = memref.expand_shape %a [[0, 1]] output_shape [4, 4] : memref<16xf32> into memref<4x4xf32>
  %c = memref.collapse_shape %e [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  %y = arith.mulf %v, %v : f32
  %x = memref.load %c[%c0] : memref<16xf32>
  %z = arith.addf %x, %y : f32
  return %z : f32
}

// -----

// A use inside a nested region: the dealloc follows the top-level op that
// holds it, not the use itself.
// CHECK-LABEL: func.func @nested_region_use
// CHECK: %[[A:.+]] = memref.alloc() : memref<8xf32>
// CHECK: scf.for
// CHECK: scf.if
// CHECK: memref.load %[[A]]
// CHECK-NOT: memref.dealloc
// CHECK: }
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[A]] : memref<8xf32>
// CHECK-NEXT: arith.constant
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @nested_region_use(%out: memref<8xf32>, %v: f32, %n: index, %cond: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<8xf32>
  memref.store %v, %a[%c0] : memref<8xf32>
  scf.for %i = %c0 to %n step %c1 {
    scf.if %cond {
      %x = memref.load %a[%c0] : memref<8xf32>
      memref.store %x, %out[%i] : memref<8xf32>
    }
  }
  %c2 = arith.constant 2 : index
  memref.store %v, %out[%c2] : memref<8xf32>
  return
}

// -----

// Returned (directly or as a view): no dealloc.
// CHECK-LABEL: func.func @returned
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @returned(%v: f32) -> (memref<8xf32>, memref<4xf32, strided<[1], offset: 4>>) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<8xf32>
  memref.store %v, %a[%c0] : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  %s = memref.subview %b[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
  memref.store %v, %b[%c0] : memref<8xf32>
  return %a, %s : memref<8xf32>, memref<4xf32, strided<[1], offset: 4>>
}

// -----

// Already freed: no second dealloc.
// CHECK-LABEL: func.func @already_freed
// CHECK: memref.dealloc
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @already_freed(%v: f32) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc() : memref<8xf32>
  memref.store %v, %a[%c0] : memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  %x = arith.addf %v, %v : f32
  return
}

// -----

// Passed to a call: the callee may keep it.
// CHECK-LABEL: func.func @passed_to_call
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func private @keep(memref<8xf32>)
func.func @passed_to_call(%v: f32) {
  %a = memref.alloc() : memref<8xf32>
  call @keep(%a) : (memref<8xf32>) -> ()
  return
}

// -----

// Never used: freed right away.
// CHECK-LABEL: func.func @unused
// CHECK: %[[A:.+]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: memref.dealloc %[[A]]
func.func @unused(%v: f32) -> f32 {
  %a = memref.alloc() : memref<8xf32>
  %x = arith.addf %v, %v : f32
  return %x : f32
}

// -----

// An alloc inside a loop body is not at the top level: left alone.
// CHECK-LABEL: func.func @not_top_level
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @not_top_level(%n: index, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.alloc() : memref<8xf32>
    memref.store %v, %a[%c0] : memref<8xf32>
  }
  return
}

// -----

// Declarations have no body.
// CHECK-LABEL: func.func private @declaration
func.func private @declaration(memref<8xf32>)

// -----

// memref.cast is a view: the buffer lives until the cast's last use, and a
// returned cast is an escape.
// CHECK-LABEL: func.func @through_cast
// CHECK: %[[A:.+]] = memref.alloc() : memref<8xf32>
// CHECK: %[[C:.+]] = memref.cast %[[A]]
// CHECK-NOT: memref.dealloc
// CHECK: memref.copy %[[C]], %arg1
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK-NEXT: return
// CHECK-LABEL: func.func @returned_cast
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @through_cast(%v: f32, %out: memref<?xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %r = memref.cast %a : memref<8xf32> to memref<?xf32>
  %x = arith.addf %v, %v : f32
  memref.copy %r, %out : memref<?xf32> to memref<?xf32>
  return
}
func.func @returned_cast(%v: f32) -> memref<?xf32> {
  %a = memref.alloc() : memref<8xf32>
  %r = memref.cast %a : memref<8xf32> to memref<?xf32>
  return %r : memref<?xf32>
}
