#!/usr/bin/env bash
# On the build machine: prepare everything the GPU machine needs, where retc
# cannot run (it links libMLIR.so), in ${BUILD_DIR:-build}/device:
#   bin/      retc-run, retc-runtime-tests, retc-bench-gpu (no MLIR inside)
#   lit/      a copy of lit (pure Python)
#   gpu-packages/, bench-gpu/   packages compiled here by retc
# Then, on the GPU machine: scripts/gpu-check.sh build/device
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
dev="$build/device"
"$root/scripts/build.sh" retc retc-run retc-runtime-tests retc-bench-gpu
rm -rf "$dev" && mkdir -p "$dev/bin"
cp "$build"/bin/{retc-run,retc-runtime-tests,retc-bench-gpu} "$dev/bin/"
cp -r /usr/lib/llvm-22/utils/lit/lit "$dev/lit"
# GPU test packages: the same lit tests, compile-only.
/usr/lib/llvm-22/bin/lit -q --param gpu_compile_only=1 \
  --param gpu_packages="$dev/gpu-packages" "$build/test/gpu"
# Benchmark packages.
"$root/tools/bench/run-gpu-bench.sh" "$build" --compile-only
cp -r "$build/bench-gpu" "$dev/bench-gpu"
du -sh "$dev"
