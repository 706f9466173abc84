// RUN: not retc-opt %s --convert-retention-to-cpu=vector-width=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-cpu=mr=-1 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-cpu=nr=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-cpu=parallel-tile=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-cpu=vector-width=wide 2>&1 | FileCheck %s --check-prefix=PARSE
// Microkernel options must be positive; nothing is lowered otherwise.

// CHECK: error: convert-retention-to-cpu: vector-width, mr and nr must be in [1, 64] and parallel-tile in [1, 4096]
// CHECK: "retention.parallel"
// PARSE: for the --vector-width option: 'wide' value invalid for long argument!
func.func @f(%q: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.parallel %q, %q, %q {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
