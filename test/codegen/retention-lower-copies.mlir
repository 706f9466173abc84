// RUN: retc-opt %s --split-input-file --retention-lower-copies | FileCheck %s
// retention-lower-copies: every memref.copy becomes a loop nest over the
// source's sizes (memref.dim, so dynamic sizes too) of a load from the
// source and a store to the target at the same indices; the outer
// dimensions in an scf.parallel (unless inside one already), the innermost
// in an scf.for; strided layouts are read through their own indexing, no
// call into the runner utilities.

// CHECK-LABEL: func.func @copy_2d_dynamic
// CHECK-SAME: (%[[SRC:[^:]+]]: memref<?x8xf32>, %[[DST:[^:]+]]: memref<?x8xf32>)
// CHECK-NOT: memref.copy
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[D0:.+]] = memref.dim %[[SRC]], %[[C0]]
// CHECK-DAG: %[[D1:.+]] = memref.dim %[[SRC]], %[[C1]]
// CHECK: scf.parallel (%[[I:.+]]) = (%{{.+}}) to (%[[D0]]) step (%{{.+}}) {
// CHECK-NEXT: scf.for %[[J:.+]] = %{{.+}} to %[[D1]] step %{{.+}} {
// CHECK-NEXT: %[[V:.+]] = memref.load %[[SRC]][%[[I]], %[[J]]] : memref<?x8xf32>
// CHECK-NEXT: memref.store %[[V]], %[[DST]][%[[I]], %[[J]]] : memref<?x8xf32>
// CHECK-NOT: memref.copy
// CHECK: return
func.func @copy_2d_dynamic(%src: memref<?x8xf32>, %dst: memref<?x8xf32>) {
  memref.copy %src, %dst : memref<?x8xf32> to memref<?x8xf32>
  return
}

// -----

// A strided subview into a contiguous buffer: what MLIR would lower to a
// memrefCopy call.
// CHECK-LABEL: func.func @copy_strided
// CHECK-NOT: memref.copy
// CHECK: scf.parallel ({{.+}}, {{.+}}) =
// CHECK: scf.for
// CHECK: %[[V:.+]] = memref.load %arg0[{{.+}}] : memref<2x3x4xf32, strided<[48, 8, 1], offset: 5>>
// CHECK: memref.store %[[V]], %arg1[{{.+}}] : memref<2x3x4xf32>
// CHECK-NOT: memref.copy
// CHECK-NOT: call
// CHECK: return
func.func @copy_strided(%src: memref<2x3x4xf32, strided<[48, 8, 1], offset: 5>>, %dst: memref<2x3x4xf32>) {
  memref.copy %src, %dst : memref<2x3x4xf32, strided<[48, 8, 1], offset: 5>> to memref<2x3x4xf32>
  return
}

// -----

// Copies inside other ops' regions are lowered too, each in place.
// CHECK-LABEL: func.func @copies_nested
// CHECK-NOT: memref.copy
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: memref.load %arg0
// CHECK: memref.store {{.+}}, %arg1
// CHECK: scf.reduce
// CHECK: scf.for
// CHECK: memref.load %arg1
// CHECK: memref.store {{.+}}, %arg0
// CHECK-NOT: memref.copy
// CHECK: return
func.func @copies_nested(%a: memref<16xi32>, %b: memref<16xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.copy %a, %b : memref<16xi32> to memref<16xi32>
    scf.reduce
  }
  memref.copy %b, %a : memref<16xi32> to memref<16xi32>
  return
}

// -----

// A 0-d copy is one load and one store.
// CHECK-LABEL: func.func @copy_0d
// CHECK-NOT: memref.copy
// CHECK: %[[V:.+]] = memref.load %arg0[] : memref<f32>
// CHECK-NEXT: memref.store %[[V]], %arg1[] : memref<f32>
func.func @copy_0d(%src: memref<f32>, %dst: memref<f32>) {
  memref.copy %src, %dst : memref<f32> to memref<f32>
  return
}
