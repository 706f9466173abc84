// RUN: not retc-opt %s --retention-gpu-select-schedule=block-size=100 2>&1 | FileCheck %s
// RUN: not retc-opt %s --retention-gpu-select-schedule=block-size=2048 2>&1 | FileCheck %s
// RUN: not retc-opt %s --retention-gpu-select-schedule=block-size=-32 2>&1 | FileCheck %s
// RUN: not retc-opt %s --retention-gpu-select-schedule=num-sms=-1 2>&1 | FileCheck %s
// RUN: not retc-opt %s --retention-gpu-select-schedule=parallel-tile=0 2>&1 | FileCheck %s
// RUN: not retc-opt %s --retention-gpu-select-schedule=value-slice=48 2>&1 | FileCheck %s
// RUN: not retc-opt %s --retention-gpu-select-schedule=stages=5 2>&1 | FileCheck %s
// RUN: not retc-opt %s --retention-gpu-select-schedule=target=sm_70 2>&1 | FileCheck %s --check-prefix=TARGET
// Out-of-range options of the schedule selection are one error, before any
// op is touched.

// CHECK: error: retention-gpu-select-schedule: block-size must be 0 (auto) or a multiple of 32 up to 1024, parallel-tile positive, num-sms 0 (the target's) or positive, value-slice 0, 16, 32, 64 or 128, segments >= 0, stages 0 to 4
// CHECK-NOT: gpu_schedule
// TARGET: error: retention-gpu-select-schedule: unknown target 'sm_70' (expected sm_80, sm_90, sm_90a)
func.func @f(%q: tensor<1x8x1x4xf32>, %k: tensor<1x8x1x4xf32>, %v: tensor<1x8x1x4xf32>) -> (tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>) {
  %o, %s = retention.parallel %q, %k, %v {decay = #retention.decay<retnet>}
      : tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32>, tensor<1x8x1x4xf32> -> tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
  return %o, %s : tensor<1x8x1x4xf32>, tensor<1x1x4x4xf32>
}
