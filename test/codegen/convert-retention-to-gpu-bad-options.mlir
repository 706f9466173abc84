// RUN: not retc-opt %s --convert-retention-to-gpu=block-size=100 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-gpu=block-size=2048 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-gpu=block-size=-32 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-gpu=num-sms=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-gpu=parallel-tile=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-gpu="mma-all=1 mma-v-slice=48" 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-gpu="mma-all=1 stages=5" 2>&1 | FileCheck %s
// RUN: not retc-opt %s --convert-retention-to-gpu="mma-all=1 max-shared-bytes=1024" 2>&1 | FileCheck %s

// CHECK: error: convert-retention-to-gpu: block-size must be 0 (auto) or a multiple of 32 up to 1024 and parallel-tile positive, num-sms positive, mma-v-slice 0, 16, 32, 64 or 128, segments >= 0, stages 0 to 4, max-shared-bytes at least 49152
// CHECK-NOT: gpu.module
func.func @f(%q: tensor<1x8x1x4xf32>, %k: tensor<1x8x1x4xf32>, %v: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.parallel %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
