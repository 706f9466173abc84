#!/usr/bin/env bash
# Builds retc with Debian's default C++ compiler (g++ 12, what a plain
# `cmake` picks) into ${GCC_BUILD_DIR:-build-gcc}, runs the test suite with
# it, then checks that it emits the same IR as the clang build
# (${BUILD_DIR:-build}, built if needed) on a set of kernels and a model.
# C++ leaves the order in which a call's arguments are evaluated unspecified
# (g++ right to left, clang left to right): two ops built inside one argument
# list come out in a different order with each compiler (docs/testing.md,
# "Two host compilers").
# About 20 CPU-minutes from scratch on 2 cores (the g++ build 13, its suite
# 6): 10 minutes idle, 40 busy; not part of CI (docs/testing.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
clang_build="${BUILD_DIR:-$root/build}"
gcc_build="${GCC_BUILD_DIR:-$root/build-gcc}"

# The flags of scripts/build.sh, but g++ and the system linker: g++ finds
# lld only as an unversioned ld.lld, which Debian's lld-22 does not install.
if [ ! -f "$gcc_build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$gcc_build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3
fi
ninja -C "$gcc_build" check-retc
BUILD_DIR="$clang_build" "$root/scripts/build.sh" retc

# The same command lines through both builds' retc: the IR after the
# emitters (--emit=loops, CPU and GPU; no CUDA toolkit needed) and the
# CPU's LLVM dialect.
cases=(
  "--kernel=retention --form=chunkwise --chunk=16 --shape=2,50,3,32,48 --cpu=x86-64-v3 --emit=loops"
  "--kernel=retention --form=chunkwise --chunk=64 --shape=1,200,2,128,128 --dtype=bf16 --initial-state --cpu=x86-64-v4 --emit=llvm"
  "--kernel=retention --form=parallel --shape=2,40,2,24,40 --initial-state --cpu=x86-64-v3 --emit=loops"
  "--kernel=retention --form=recurrent --shape=2,1,4,64,64 --initial-state --dtype=f16 --cpu=x86-64-v4 --emit=loops"
  "$root/examples/tiny.ret --target=cpu --cpu=x86-64-v3 --emit=loops"
  "$root/examples/tiny.ret --target=cpu --cpu=x86-64-v4 --emit=llvm"
  "--kernel=retention --target=sm_80 --form=chunkwise --chunk=64 --shape=1,100,2,128,96 --dtype=f16 --initial-state --emit=loops"
  "--kernel=retention --target=sm_90 --form=chunkwise --chunk=64 --shape=1,500,2,256,512 --dtype=bf16 --initial-state --gpu-segments=3 --emit=loops"
  "--kernel=retention --target=sm_90a --form=chunkwise --shape=2,300,2,128,128 --dtype=bf16 --initial-state --emit=loops"
  "--kernel=retention --target=sm_90a --form=chunkwise --shape=1,500,2,256,512 --dtype=bf16 --gpu-segments=2 --emit=loops"
  "--kernel=retention --target=sm_90 --form=chunkwise --chunk=32 --shape=2,100,3,64,64 --dtype=f32 --initial-state --emit=loops"
  "--kernel=retention --target=sm_90 --form=chunkwise --chunk=32 --shape=2,100,3,64,64 --dtype=bf16 --gpu-mma-all=false --emit=loops"
  "--kernel=retention --target=sm_90 --form=parallel --shape=2,100,4,64,64 --dtype=bf16 --initial-state --emit=loops"
  "--kernel=retention --target=sm_90 --form=recurrent --shape=4,37,3,100,64 --initial-state --emit=loops"
  "--kernel=linear --target=sm_90a --shape=3,75,200 --dtype=bf16 --residual --emit=loops"
  "--kernel=linear --target=sm_80 --shape=16,100,5000 --dtype=f16 --emit=loops"
)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
differ=0
for i in "${!cases[@]}"; do
  read -r -a args <<< "${cases[$i]}"
  "$clang_build/bin/retc" "${args[@]}" > "$out/clang.$i" 2>&1 || true
  "$gcc_build/bin/retc" "${args[@]}" > "$out/gcc.$i" 2>&1 || true
  if ! cmp -s "$out/clang.$i" "$out/gcc.$i"; then
    echo "check-host-compilers: clang and g++ builds differ on: retc ${cases[$i]}"
    diff "$out/clang.$i" "$out/gcc.$i" | head -20 || true
    differ=$((differ + 1))
  fi
done
if [ "$differ" -ne 0 ]; then
  echo "check-host-compilers: $differ of ${#cases[@]} command lines differ"
  exit 1
fi
echo "check-host-compilers: g++ build passes the suite; same IR as clang on ${#cases[@]} command lines"
