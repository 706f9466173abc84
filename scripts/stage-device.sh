#!/usr/bin/env bash
# On the build machine: prepare everything the GPU machine needs, where retc
# cannot run (it links libMLIR.so), in ${BUILD_DIR:-build}/device:
#   bin/      retc-run, retc-runtime-tests, retc-bench-gpu, retc-bench-gpu-model
#             (no MLIR inside)
#   lit/      a copy of lit (pure Python)
#   gpu-packages/, bench-gpu/, bench-gpu-model/   packages compiled here by
#             retc (the model packages hold no weights: the benchmark makes
#             random ones on the GPU machine)
# Then, on the GPU machine: scripts/gpu-check.sh build/device
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
dev="$build/device"
"$root/scripts/build.sh" retc retc-run retc-runtime-tests retc-bench-gpu \
  retc-bench-gpu-model
rm -rf "$dev" && mkdir -p "$dev/bin"
cp "$build"/bin/{retc-run,retc-runtime-tests,retc-bench-gpu,retc-bench-gpu-model} "$dev/bin/"
cp -r /usr/lib/llvm-22/utils/lit/lit "$dev/lit"
# GPU test packages: the same lit tests, compile-only.
/usr/lib/llvm-22/bin/lit -q --param gpu_compile_only=1 \
  --param gpu_packages="$dev/gpu-packages" "$build/test/gpu"
# Benchmark packages.
"$root/tools/bench/run-gpu-bench.sh" "$build" --compile-only
cp -r "$build/bench-gpu" "$dev/bench-gpu"
# Whole-model packages (tools/bench/run-gpu-model-bench.sh): tiny and the
# RetNet-1.3B shape, about 0.7 MB.
"$root/tools/bench/run-gpu-model-bench.sh" "$build" --compile-only
cp -r "$build/bench-gpu-model" "$dev/bench-gpu-model"
du -sh "$dev"
