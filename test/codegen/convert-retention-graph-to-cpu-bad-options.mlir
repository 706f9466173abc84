// RUN: not retc-opt %s --convert-retention-graph-to-cpu=vector-width=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-graph-to-cpu=vector-width=65 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-graph-to-cpu=mr=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-graph-to-cpu=mr=9 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-graph-to-cpu=nr=-1 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-graph-to-cpu=nr=9 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-graph-to-cpu=row-tile=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-graph-to-cpu=col-tile=-64 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-graph-to-cpu=mr=four 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: retc-opt %s --convert-retention-graph-to-cpu="vector-width=64 mr=8 nr=8 row-tile=1 col-tile=1" | FileCheck %s --check-prefix=EDGE
// Out-of-range tile options fail the pass with one error before anything is
// lowered; the limits themselves are accepted.

// CHECK: error: convert-retention-graph-to-cpu: vector-width must be in [1, 64], mr and nr in [1, 8], row-tile and col-tile positive
// CHECK: "retention.linear"
// PARSE: for the --mr option: 'four' value invalid for long argument!
// EDGE-NOT: retention.linear
// EDGE: vector.fma {{.+}} : vector<64xf32>
func.func @f(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>) -> tensor<?x8xf32> {
  %y = retention.linear %x, %w : tensor<?x16xf32>, tensor<8x16xf32> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
