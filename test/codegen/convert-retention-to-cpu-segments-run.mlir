// REQUIRES: mlir-runner
// DEFINE: %{lower} = retc-opt --convert-retention-to-cpu="parallel-tile=4" --canonicalize --one-shot-bufferize="bufferize-function-boundaries" --convert-linalg-to-loops --convert-vector-to-scf --lower-affine --convert-scf-to-cf --expand-strided-metadata --finalize-memref-to-llvm --convert-math-to-llvm --convert-vector-to-llvm --convert-arith-to-llvm --convert-cf-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts
// DEFINE: %{run} = %mlir_runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils
// RUN: sed -e 's/FORM/chunkwise/' -e 's/ATTRS/chunk_size = 4 : i64, decay = #retention.decay<retnet>/' %s > %t.chunkwise.mlir
// RUN: %{lower} %t.chunkwise.mlir | %{run} | FileCheck %s
// RUN: sed -e 's/FORM/chunkwise/' -e 's/ATTRS/chunk_size = 64 : i64, decay = #retention.decay<[0.5, 0.97]>, scale = 0.7 : f64/' %s > %t.chunk64.mlir
// RUN: %{lower} %t.chunk64.mlir | %{run} | FileCheck %s
// RUN: sed -e 's/FORM/parallel/' -e 's/ATTRS/decay = #retention.decay<retnet>/' %s > %t.parallel.mlir
// RUN: %{lower} %t.parallel.mlir | %{run} | FileCheck %s
// RUN: sed -e 's/FORM/recurrent/' -e 's/ATTRS/decay = #retention.decay<retnet>/' %s > %t.recurrent.mlir
// RUN: %{lower} %t.recurrent.mlir | %{run} | FileCheck %s
//
// Packed sequences (`segments`) on the CPU, every form: four sequences of
// 0, 1, 5 and 37 tokens packed into 43, each with its own initial state,
// against each sequence run alone through the unsegmented lowering (which
// test/numerics checks against the float64 reference). Printed: max |diff|
// of the empty sequence's final state against its initial state, then for
// each other sequence of its outputs and of its final state. A sequence
// sees the same chunks (tiles) from its own first token as when alone, so
// the two agree exactly; reading another sequence's tokens or state, a
// chunk starting at the packed offset 0 instead of the sequence's, or an
// empty sequence not keeping its state gives O(1). The chunk of 4 (and
// the parallel tile of 4) split the 5- and 37-token sequences; 64 does not.
// CHECK-COUNT-7: {{^0$}}
// CHECK-NOT: {{.}}

func.func private @printF64(f64)
func.func private @printNewline()

// Deterministic input in (-1, 1): sin(seed * (t * 16 + h * 8 + d + 1)).
func.func @input(%seed: f32) -> tensor<1x43x2x8xf32> {
  %t = tensor.generate {
  ^bb0(%b: index, %i: index, %h: index, %d: index):
    %c16 = arith.constant 16 : index
    %c8 = arith.constant 8 : index
    %c1 = arith.constant 1 : index
    %x = arith.muli %i, %c16 : index
    %y = arith.muli %h, %c8 : index
    %z = arith.addi %x, %y : index
    %w = arith.addi %z, %d : index
    %v = arith.addi %w, %c1 : index
    %zi = arith.index_cast %v : index to i64
    %zf = arith.sitofp %zi : i64 to f32
    %a = arith.mulf %zf, %seed : f32
    %s = math.sin %a : f32
    tensor.yield %s : f32
  } : tensor<1x43x2x8xf32>
  return %t : tensor<1x43x2x8xf32>
}

func.func @state(%seed: f32) -> tensor<4x2x8x8xf32> {
  %t = tensor.generate {
  ^bb0(%n: index, %h: index, %i: index, %j: index):
    %c128 = arith.constant 128 : index
    %c64 = arith.constant 64 : index
    %c8 = arith.constant 8 : index
    %x = arith.muli %n, %c128 : index
    %y = arith.muli %h, %c64 : index
    %z = arith.muli %i, %c8 : index
    %u = arith.addi %x, %y : index
    %w = arith.addi %u, %z : index
    %v = arith.addi %w, %j : index
    %zi = arith.index_cast %v : index to i64
    %zf = arith.sitofp %zi : i64 to f32
    %a = arith.mulf %zf, %seed : f32
    %s = math.cos %a : f32
    tensor.yield %s : f32
  } : tensor<4x2x8x8xf32>
  return %t : tensor<4x2x8x8xf32>
}

// max |a - b| over two tensors of one shape, as f64.
func.func @maxdiff4(%a: tensor<?x?x?x?xf32>, %b: tensor<?x?x?x?xf32>) -> f64 {
  %m = bufferization.to_buffer %a : tensor<?x?x?x?xf32> to memref<?x?x?x?xf32>
  %n = bufferization.to_buffer %b : tensor<?x?x?x?xf32> to memref<?x?x?x?xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %d0 = memref.dim %m, %c0 : memref<?x?x?x?xf32>
  %d1 = memref.dim %m, %c1 : memref<?x?x?x?xf32>
  %d2 = memref.dim %m, %c2 : memref<?x?x?x?xf32>
  %d3 = memref.dim %m, %c3 : memref<?x?x?x?xf32>
  %zero = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %d0 step %c1 iter_args(%a0 = %zero) -> f32 {
    %r1 = scf.for %j = %c0 to %d1 step %c1 iter_args(%a1 = %a0) -> f32 {
      %r2 = scf.for %k = %c0 to %d2 step %c1 iter_args(%a2 = %a1) -> f32 {
        %r3 = scf.for %l = %c0 to %d3 step %c1 iter_args(%a3 = %a2) -> f32 {
          %x = memref.load %m[%i, %j, %k, %l] : memref<?x?x?x?xf32>
          %y = memref.load %n[%i, %j, %k, %l] : memref<?x?x?x?xf32>
          %d = arith.subf %x, %y : f32
          %e = math.absf %d : f32
          %f = arith.maximumf %e, %a3 : f32
          scf.yield %f : f32
        }
        scf.yield %r3 : f32
      }
      scf.yield %r2 : f32
    }
    scf.yield %r1 : f32
  }
  %r64 = arith.extf %r : f32 to f64
  return %r64 : f64
}

func.func @main() {
  %s1 = arith.constant 0.37 : f32
  %s2 = arith.constant 0.61 : f32
  %s3 = arith.constant 0.83 : f32
  %s4 = arith.constant 0.29 : f32
  %q = call @input(%s1) : (f32) -> tensor<1x43x2x8xf32>
  %k = call @input(%s2) : (f32) -> tensor<1x43x2x8xf32>
  %v = call @input(%s3) : (f32) -> tensor<1x43x2x8xf32>
  %s0 = call @state(%s4) : (f32) -> tensor<4x2x8x8xf32>
  %off = arith.constant dense<[0, 0, 1, 6, 43]> : tensor<5xi64>
  %o, %s = retention.FORM %q, %k, %v initial %s0 segments(%off : tensor<5xi64>) {ATTRS}
      : tensor<1x43x2x8xf32>, tensor<1x43x2x8xf32>, tensor<1x43x2x8xf32>, tensor<4x2x8x8xf32> -> tensor<1x43x2x8xf32>, tensor<4x2x8x8xf32>
  %e0 = tensor.extract_slice %s[0, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x2x8x8xf32> to tensor<1x2x8x8xf32>
  %w0 = tensor.extract_slice %s0[0, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x2x8x8xf32> to tensor<1x2x8x8xf32>
  %e0d = tensor.cast %e0 : tensor<1x2x8x8xf32> to tensor<?x?x?x?xf32>
  %w0d = tensor.cast %w0 : tensor<1x2x8x8xf32> to tensor<?x?x?x?xf32>
  %m0 = call @maxdiff4(%e0d, %w0d) : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> f64
  call @printF64(%m0) : (f64) -> ()
  call @printNewline() : () -> ()
  %q1 = tensor.extract_slice %q[0, 0, 0, 0] [1, 1, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x1x2x8xf32>
  %k1 = tensor.extract_slice %k[0, 0, 0, 0] [1, 1, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x1x2x8xf32>
  %v1 = tensor.extract_slice %v[0, 0, 0, 0] [1, 1, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x1x2x8xf32>
  %i1 = tensor.extract_slice %s0[1, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x2x8x8xf32> to tensor<1x2x8x8xf32>
  %ao1, %as1 = retention.FORM %q1, %k1, %v1 initial %i1 {ATTRS}
      : tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x1x2x8xf32>, tensor<1x2x8x8xf32>
  %po1 = tensor.extract_slice %o[0, 0, 0, 0] [1, 1, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x1x2x8xf32>
  %ps1 = tensor.extract_slice %s[1, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x2x8x8xf32> to tensor<1x2x8x8xf32>
  %x1 = tensor.cast %po1 : tensor<1x1x2x8xf32> to tensor<?x?x?x?xf32>
  %y1 = tensor.cast %ao1 : tensor<1x1x2x8xf32> to tensor<?x?x?x?xf32>
  %mo1 = call @maxdiff4(%x1, %y1) : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> f64
  call @printF64(%mo1) : (f64) -> ()
  call @printNewline() : () -> ()
  %xs1 = tensor.cast %ps1 : tensor<1x2x8x8xf32> to tensor<?x?x?x?xf32>
  %ys1 = tensor.cast %as1 : tensor<1x2x8x8xf32> to tensor<?x?x?x?xf32>
  %ms1 = call @maxdiff4(%xs1, %ys1) : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> f64
  call @printF64(%ms1) : (f64) -> ()
  call @printNewline() : () -> ()
  %q2 = tensor.extract_slice %q[0, 1, 0, 0] [1, 5, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x5x2x8xf32>
  %k2 = tensor.extract_slice %k[0, 1, 0, 0] [1, 5, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x5x2x8xf32>
  %v2 = tensor.extract_slice %v[0, 1, 0, 0] [1, 5, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x5x2x8xf32>
  %i2 = tensor.extract_slice %s0[2, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x2x8x8xf32> to tensor<1x2x8x8xf32>
  %ao2, %as2 = retention.FORM %q2, %k2, %v2 initial %i2 {ATTRS}
      : tensor<1x5x2x8xf32>, tensor<1x5x2x8xf32>, tensor<1x5x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x5x2x8xf32>, tensor<1x2x8x8xf32>
  %po2 = tensor.extract_slice %o[0, 1, 0, 0] [1, 5, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x5x2x8xf32>
  %ps2 = tensor.extract_slice %s[2, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x2x8x8xf32> to tensor<1x2x8x8xf32>
  %x2 = tensor.cast %po2 : tensor<1x5x2x8xf32> to tensor<?x?x?x?xf32>
  %y2 = tensor.cast %ao2 : tensor<1x5x2x8xf32> to tensor<?x?x?x?xf32>
  %mo2 = call @maxdiff4(%x2, %y2) : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> f64
  call @printF64(%mo2) : (f64) -> ()
  call @printNewline() : () -> ()
  %xs2 = tensor.cast %ps2 : tensor<1x2x8x8xf32> to tensor<?x?x?x?xf32>
  %ys2 = tensor.cast %as2 : tensor<1x2x8x8xf32> to tensor<?x?x?x?xf32>
  %ms2 = call @maxdiff4(%xs2, %ys2) : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> f64
  call @printF64(%ms2) : (f64) -> ()
  call @printNewline() : () -> ()
  %q3 = tensor.extract_slice %q[0, 6, 0, 0] [1, 37, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x37x2x8xf32>
  %k3 = tensor.extract_slice %k[0, 6, 0, 0] [1, 37, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x37x2x8xf32>
  %v3 = tensor.extract_slice %v[0, 6, 0, 0] [1, 37, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x37x2x8xf32>
  %i3 = tensor.extract_slice %s0[3, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x2x8x8xf32> to tensor<1x2x8x8xf32>
  %ao3, %as3 = retention.FORM %q3, %k3, %v3 initial %i3 {ATTRS}
      : tensor<1x37x2x8xf32>, tensor<1x37x2x8xf32>, tensor<1x37x2x8xf32>, tensor<1x2x8x8xf32> -> tensor<1x37x2x8xf32>, tensor<1x2x8x8xf32>
  %po3 = tensor.extract_slice %o[0, 6, 0, 0] [1, 37, 2, 8] [1, 1, 1, 1] : tensor<1x43x2x8xf32> to tensor<1x37x2x8xf32>
  %ps3 = tensor.extract_slice %s[3, 0, 0, 0] [1, 2, 8, 8] [1, 1, 1, 1] : tensor<4x2x8x8xf32> to tensor<1x2x8x8xf32>
  %x3 = tensor.cast %po3 : tensor<1x37x2x8xf32> to tensor<?x?x?x?xf32>
  %y3 = tensor.cast %ao3 : tensor<1x37x2x8xf32> to tensor<?x?x?x?xf32>
  %mo3 = call @maxdiff4(%x3, %y3) : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> f64
  call @printF64(%mo3) : (f64) -> ()
  call @printNewline() : () -> ()
  %xs3 = tensor.cast %ps3 : tensor<1x2x8x8xf32> to tensor<?x?x?x?xf32>
  %ys3 = tensor.cast %as3 : tensor<1x2x8x8xf32> to tensor<?x?x?x?xf32>
  %ms3 = call @maxdiff4(%xs3, %ys3) : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> f64
  call @printF64(%ms3) : (f64) -> ()
  call @printNewline() : () -> ()
  return
}
