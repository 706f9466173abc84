// RUN: retc-opt %s --split-input-file --retention-gpu-state-in-place | FileCheck %s
// retention-gpu-state-in-place: a kernel whose gpu.func allows one buffer
// for its initial and final state (retention.state_in_place) takes the
// state's slice for both; the copies into and out of it and their buffers
// go. Where the kernel does not allow it, or something else touches the
// state between the copies, nothing changes.

// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[Q:.+]]: memref<1x1x2x8xf32>, %[[STATE:.+]]: memref<3x2x8x16xf32>, %[[L:.+]]: index)
// CHECK: %[[SLICE:.+]] = memref.subview %[[STATE]][%[[L]], 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1]
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.alloc() : memref<1x2x8x16xf32>
// CHECK: retention.launch_kernel @k1_recurrent(%[[Q]], %[[Q]], %{{.+}}, %[[SLICE]], %{{.+}}, %[[SLICE]], %{{.+}})
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc %{{.+}} : memref<1x2x8x16xf32>
// CHECK: return
gpu.module @k1_recurrent {
  gpu.func @k1_recurrent(%q: memref<1x1x2x8xf32>, %k: memref<1x1x2x8xf32>, %v: memref<1x1x2x16xf32>, %s0: memref<1x2x8x16xf32>, %o: memref<1x1x2x16xf32>, %st: memref<1x2x8x16xf32>, %t: index) kernel attributes {retention.state_in_place = array<i64: 3, 5>} {
    gpu.return
  }
}
func.func @layer(%q: memref<1x1x2x8xf32>, %state: memref<3x2x8x16xf32>, %l: index) {
  %c1 = arith.constant 1 : index
  %slice = memref.subview %state[%l, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : memref<3x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  %s0 = memref.alloc() : memref<1x2x8x16xf32>
  memref.copy %slice, %s0 : memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>> to memref<1x2x8x16xf32>
  %v = memref.alloc() : memref<1x1x2x16xf32>
  %o = memref.alloc() : memref<1x1x2x16xf32>
  %final = memref.alloc() : memref<1x2x8x16xf32>
  retention.launch_kernel @k1_recurrent(%q, %q, %v, %s0, %o, %final, %c1) {max_rows = 1 : i64} : memref<1x1x2x8xf32>, memref<1x1x2x8xf32>, memref<1x1x2x16xf32>, memref<1x2x8x16xf32>, memref<1x1x2x16xf32>, memref<1x2x8x16xf32>, index
  memref.dealloc %s0 : memref<1x2x8x16xf32>
  memref.copy %final, %slice : memref<1x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  memref.dealloc %final : memref<1x2x8x16xf32>
  memref.dealloc %v : memref<1x1x2x16xf32>
  memref.dealloc %o : memref<1x1x2x16xf32>
  return
}

// -----

// The state read between the copies (a copy of another layer's slice of
// the same buffer): unchanged.
// CHECK-LABEL: func.func @touched
// CHECK: memref.copy
// CHECK: retention.launch_kernel @k1_recurrent(%{{.+}}, %{{.+}}, %{{.+}}, %[[S0:.+]], %{{.+}}, %[[FINAL:.+]], %{{.+}})
// CHECK: memref.copy
// CHECK: memref.copy %[[FINAL]]
gpu.module @k1_recurrent {
  gpu.func @k1_recurrent(%q: memref<1x1x2x8xf32>, %k: memref<1x1x2x8xf32>, %v: memref<1x1x2x16xf32>, %s0: memref<1x2x8x16xf32>, %o: memref<1x1x2x16xf32>, %st: memref<1x2x8x16xf32>, %t: index) kernel attributes {retention.state_in_place = array<i64: 3, 5>} {
    gpu.return
  }
}
func.func @touched(%q: memref<1x1x2x8xf32>, %state: memref<3x2x8x16xf32>, %l: index, %other: memref<1x2x8x16xf32>) {
  %c1 = arith.constant 1 : index
  %slice = memref.subview %state[%l, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : memref<3x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  %s0 = memref.alloc() : memref<1x2x8x16xf32>
  memref.copy %slice, %s0 : memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>> to memref<1x2x8x16xf32>
  %v = memref.alloc() : memref<1x1x2x16xf32>
  %o = memref.alloc() : memref<1x1x2x16xf32>
  %final = memref.alloc() : memref<1x2x8x16xf32>
  retention.launch_kernel @k1_recurrent(%q, %q, %v, %s0, %o, %final, %c1) {max_rows = 1 : i64} : memref<1x1x2x8xf32>, memref<1x1x2x8xf32>, memref<1x1x2x16xf32>, memref<1x2x8x16xf32>, memref<1x1x2x16xf32>, memref<1x2x8x16xf32>, index
  %next = memref.subview %state[2, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : memref<3x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: 512>>
  memref.copy %next, %other : memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: 512>> to memref<1x2x8x16xf32>
  memref.copy %final, %slice : memref<1x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  return
}

// -----

// A kernel without retention.state_in_place (a chunkwise kernel, whose
// blocks read the initial state and write the final one at different
// times): unchanged.
// CHECK-LABEL: func.func @not_allowed
// CHECK: memref.copy
// CHECK: retention.launch_kernel @k2_chunkwise
// CHECK: memref.copy
gpu.module @k2_chunkwise {
  gpu.func @k2_chunkwise(%q: memref<1x1x2x8xf32>, %s0: memref<1x2x8x16xf32>, %st: memref<1x2x8x16xf32>, %t: index) kernel {
    gpu.return
  }
}
func.func @not_allowed(%q: memref<1x1x2x8xf32>, %state: memref<3x2x8x16xf32>, %l: index) {
  %c1 = arith.constant 1 : index
  %slice = memref.subview %state[%l, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : memref<3x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  %s0 = memref.alloc() : memref<1x2x8x16xf32>
  memref.copy %slice, %s0 : memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>> to memref<1x2x8x16xf32>
  %final = memref.alloc() : memref<1x2x8x16xf32>
  retention.launch_kernel @k2_chunkwise(%q, %s0, %final, %c1) {max_rows = 1 : i64} : memref<1x1x2x8xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, index
  memref.copy %final, %slice : memref<1x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  return
}

// -----

// A write to the state nested in a region between the copies: unchanged.
// CHECK-LABEL: func.func @nested_write
// CHECK: memref.copy
// CHECK: retention.launch_kernel @k1_recurrent(%{{.+}}, %{{.+}}, %{{.+}}, %[[S0:.+]], %{{.+}}, %[[FINAL:.+]], %{{.+}})
// CHECK: memref.copy %[[FINAL]]
gpu.module @k1_recurrent {
  gpu.func @k1_recurrent(%q: memref<1x1x2x8xf32>, %k: memref<1x1x2x8xf32>, %v: memref<1x1x2x16xf32>, %s0: memref<1x2x8x16xf32>, %o: memref<1x1x2x16xf32>, %st: memref<1x2x8x16xf32>, %t: index) kernel attributes {retention.state_in_place = array<i64: 3, 5>} {
    gpu.return
  }
}
func.func @nested_write(%q: memref<1x1x2x8xf32>, %state: memref<3x2x8x16xf32>, %l: index, %c: i1) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %f = arith.constant 1.0 : f32
  %slice = memref.subview %state[%l, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : memref<3x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  %s0 = memref.alloc() : memref<1x2x8x16xf32>
  memref.copy %slice, %s0 : memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>> to memref<1x2x8x16xf32>
  %v = memref.alloc() : memref<1x1x2x16xf32>
  %o = memref.alloc() : memref<1x1x2x16xf32>
  %final = memref.alloc() : memref<1x2x8x16xf32>
  scf.if %c {
    memref.store %f, %state[%c0, %c0, %c0, %c0] : memref<3x2x8x16xf32>
  }
  retention.launch_kernel @k1_recurrent(%q, %q, %v, %s0, %o, %final, %c1) {max_rows = 1 : i64} : memref<1x1x2x8xf32>, memref<1x1x2x8xf32>, memref<1x1x2x16xf32>, memref<1x2x8x16xf32>, memref<1x1x2x16xf32>, memref<1x2x8x16xf32>, index
  memref.copy %final, %slice : memref<1x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  return
}

// -----

// The launch takes the copy of the state twice (as s0 and as v): unchanged,
// and the launch stays.
// CHECK-LABEL: func.func @used_twice
// CHECK: memref.copy
// CHECK: retention.launch_kernel @k1_recurrent
// CHECK: memref.copy
gpu.module @k1_recurrent {
  gpu.func @k1_recurrent(%q: memref<1x1x2x8xf32>, %k: memref<1x1x2x8xf32>, %v: memref<1x2x8x16xf32>, %s0: memref<1x2x8x16xf32>, %o: memref<1x1x2x16xf32>, %st: memref<1x2x8x16xf32>, %t: index) kernel attributes {retention.state_in_place = array<i64: 3, 5>} {
    gpu.return
  }
}
func.func @used_twice(%q: memref<1x1x2x8xf32>, %state: memref<3x2x8x16xf32>, %l: index) {
  %c1 = arith.constant 1 : index
  %slice = memref.subview %state[%l, 0, 0, 0] [1, 2, 8, 16] [1, 1, 1, 1] : memref<3x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  %s0 = memref.alloc() : memref<1x2x8x16xf32>
  memref.copy %slice, %s0 : memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>> to memref<1x2x8x16xf32>
  %o = memref.alloc() : memref<1x1x2x16xf32>
  %final = memref.alloc() : memref<1x2x8x16xf32>
  retention.launch_kernel @k1_recurrent(%q, %q, %s0, %s0, %o, %final, %c1) {max_rows = 1 : i64} : memref<1x1x2x8xf32>, memref<1x1x2x8xf32>, memref<1x2x8x16xf32>, memref<1x2x8x16xf32>, memref<1x1x2x16xf32>, memref<1x2x8x16xf32>, index
  memref.copy %final, %slice : memref<1x2x8x16xf32> to memref<1x2x8x16xf32, strided<[256, 128, 16, 1], offset: ?>>
  return
}
