// RUN: retc-opt %s | retc-opt | FileCheck %s
// RUN: retc-opt %s -o %t.1.mlir && retc-opt %t.1.mlir -o %t.2.mlir && diff %t.1.mlir %t.2.mlir
// The three spellings of #retention.decay, printed back in the same spelling.

#paper = #retention.decay<paper>

// CHECK-LABEL: func.func @named
// CHECK-SAME: retnet = #retention.decay<retnet>
// CHECK-SAME: via_alias = #retention.decay<paper>
func.func @named() attributes {retnet = #retention.decay<retnet>, via_alias = #paper} {
  return
}

// CHECK-LABEL: func.func @explicit
// CHECK-SAME: many = #retention.decay<[1.000000e-01, 5.000000e-01, 9.687500e-01, 9.999000e-01]>
// CHECK-SAME: one = #retention.decay<[5.000000e-01]>
// CHECK-SAME: sci = #retention.decay<[1.000000e-03, 2.500000e-01]>
// CHECK-SAME: tiny = #retention.decay<[4.940660e-324]>
func.func @explicit() attributes {
    one = #retention.decay<[0.5]>,
    many = #retention.decay<[0.1, 0.5, 0.96875, 0.9999]>,
    sci = #retention.decay<[1.0e-3, 2.5e-1]>,
    tiny = #retention.decay<[4.9406564584124654e-324]>} {
  return
}

// Values that %e does not print exactly are printed with all their digits,
// so that the round trip is exact (the diff RUN line).
// CHECK-LABEL: func.func @not_exact_in_six_digits
// CHECK-SAME: g = #retention.decay<[0.99899999999999999, 0.99999999999999988]>
func.func @not_exact_in_six_digits() attributes {g = #retention.decay<[0.999, 0.9999999999999999]>} {
  return
}
