#!/usr/bin/env bash
# Builds the whole project with AddressSanitizer and UndefinedBehaviorSanitizer
# (clang-22) into ${ASAN_BUILD_DIR:-build-asan} and runs the whole lit suite
# there (check-retc); any sanitizer report, leaks included, fails the test
# that caused it. Other ninja targets may be given instead of `all
# check-retc` (`retc`, say).
# libMLIR.so and libLLVM.so stay unsanitized (Debian's), and so do the kernel
# shared objects retc writes, which retc-run loads with dlopen. Measured cost
# and findings: docs/testing.md, "Sanitizers". Not part of CI (too slow).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${ASAN_BUILD_DIR:-$root/build-asan}"

# Release optimization (the suite runs compiled kernels through these tools),
# line tables for the reports, frame pointers for fast unwinding; any UB
# report is fatal.
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
flags="$san -fno-omit-frame-pointer -gline-tables-only"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$san" \
    -DCMAKE_SHARED_LINKER_FLAGS="$san" \
    -DCMAKE_MODULE_LINKER_FLAGS="$san" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3
fi

# lit passes these through to every test (lit's TestingConfig). A report
# aborts the process: exiting with status 1, the sanitizers' default, would
# pass every `not retc ...` that expects an error.
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:abort_on_error=1}"
if [ $# -eq 0 ]; then
  set -- all check-retc
fi
ninja -C "$build" "$@"
