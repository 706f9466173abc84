#!/usr/bin/env bash
#===- run-cpu-bench.sh - Compile the CPU benchmark cases and time them ----===#
#
# usage: tools/bench/run-cpu-bench.sh BUILD_DIR [retc-bench-cpu options...]
#
# Compiles the benchmark packages with BUILD_DIR/bin/retc into
# BUILD_DIR/bench-cpu/ and runs BUILD_DIR/bin/retc-bench-cpu on them, which
# measures the sgemm and bandwidth ceilings in the same run and prints a
# markdown table (see docs/benchmarks.md). Extra arguments go to the program,
# e.g. --reps 50. RETC, RETC_BENCH_CPU and RETC_BENCH_OUT override the paths
# of retc, of the program and of the package folder.
#===----------------------------------------------------------------------===#
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [retc-bench-cpu options...]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
shift
retc="${RETC:-$build/bin/retc}"
bench="${RETC_BENCH_CPU:-$build/bin/retc-bench-cpu}"
for tool in "$retc" "$bench"; do
  if [[ ! -x $tool ]]; then
    echo "error: $tool not found; build it first (ninja -C $build retc retc-bench-cpu)" >&2
    exit 1
  fi
done
out="${RETC_BENCH_OUT:-$build/bench-cpu}"
mkdir -p "$out"

# name | retc flags
cases=(
  "prefill-chunkwise|--form=chunkwise --chunk=64 --shape=1,4096,8,128,128 --dtype=f32"
  "prefill-recurrent|--form=recurrent --shape=1,4096,8,128,128 --dtype=f32"
  "decode-recurrent|--form=recurrent --shape=64,1,8,128,128 --dtype=f32 --initial-state"
)

pkgs=()
for c in "${cases[@]}"; do
  name=${c%%|*}
  flags=${c#*|}
  echo "+ retc --kernel=retention $flags --target=cpu -o $out/$name.retpkg"
  # shellcheck disable=SC2086  # flags are words on purpose
  "$retc" --kernel=retention $flags --target=cpu -o "$out/$name.retpkg"
  pkgs+=("$name=$out/$name.retpkg")
done

"$bench" "$@" "${pkgs[@]}"
