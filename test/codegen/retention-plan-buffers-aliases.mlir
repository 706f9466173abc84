// RUN: retc-opt %s --split-input-file --retention-plan-buffers | FileCheck %s
// A buffer can also be reached through values that are not views: the
// results of region ops that yield it (scf.if, scf.for iter_args) and
// arith.select. The pass does not follow those: such a buffer is left
// alone (never freed early; a model's entry functions have none).
// (memref.cast is a view and is handled: retention-plan-buffers.mlir.)

// CHECK-LABEL: func.func @returned_through_if
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @returned_through_if(%cond: i1, %b: memref<8xf32>) -> memref<8xf32> {
  %a = memref.alloc() : memref<8xf32>
  %r = scf.if %cond -> memref<8xf32> {
    scf.yield %a : memref<8xf32>
  } else {
    scf.yield %b : memref<8xf32>
  }
  return %r : memref<8xf32>
}

// -----

// CHECK-LABEL: func.func @returned_through_select
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @returned_through_select(%cond: i1, %b: memref<8xf32>) -> memref<8xf32> {
  %a = memref.alloc() : memref<8xf32>
  %r = arith.select %cond, %a, %b : memref<8xf32>
  return %r : memref<8xf32>
}

// -----

// CHECK-LABEL: func.func @used_after_loop
// CHECK: %[[A:.+]] = memref.alloc()
// CHECK: %[[R:.+]] = scf.for {{.+}} iter_args(%{{.+}} = %[[A]])
// A loop-carried alias is not followed: the buffer is left alone (never
// freed too early).
// CHECK-NOT: memref.dealloc
// CHECK: memref.copy %[[R]], %arg2
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @used_after_loop(%n: index, %v: f32, %out: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<8xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%it = %a) -> memref<8xf32> {
    memref.store %v, %it[%c0] : memref<8xf32>
    scf.yield %it : memref<8xf32>
  }
  %x = arith.addf %v, %v : f32
  memref.copy %r, %out : memref<8xf32> to memref<8xf32>
  return
}
