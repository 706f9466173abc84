#!/usr/bin/env bash
#===- run-model-bench.sh - Compile the RetNet 1024x12 model and time it ---===#
#
# usage: tools/bench/run-model-bench.sh BUILD_DIR [retc-bench-model options...]
#
# Compiles examples/retnet-1024x12.ret (hidden 1024, 12 layers, 8 heads,
# vocab 32000) with BUILD_DIR/bin/retc into a temporary folder and runs
# BUILD_DIR/bin/retc-bench-model on it: random f32 weights, the sgemm and
# bandwidth ceilings measured in the same run, prefill and decode timed
# (see docs/benchmarks.md). Extra arguments go to the program, e.g.
# --prompt 256 --decode 32 --prompts 8. RETC, RETC_BENCH_MODEL and
# RETC_MODEL override the paths of retc, of the program and of the model
# source; RETC_MAX_BATCH the package's --max-batch (default 16).
#===----------------------------------------------------------------------===#
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 BUILD_DIR [retc-bench-model options...]" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
shift
retc="${RETC:-$build/bin/retc}"
bench="${RETC_BENCH_MODEL:-$build/bin/retc-bench-model}"
model="${RETC_MODEL:-$root/examples/retnet-1024x12.ret}"
for tool in "$retc" "$bench"; do
  if [[ ! -x $tool ]]; then
    echo "error: $tool not found; build it first (ninja -C $build retc retc-bench-model)" >&2
    exit 1
  fi
done

out=$(mktemp -d "${TMPDIR:-/tmp}/retc-model-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
pkg="$out/$(basename "${model%.*}").retpkg"
echo "+ retc $model --target=cpu --max-batch=${RETC_MAX_BATCH:-16} -o $pkg"
start=$(date +%s%N)
# --max-batch: the entries prefill_batch and decode_batch, for --prompts.
"$retc" "$model" --target=cpu --max-batch="${RETC_MAX_BATCH:-16}" -o "$pkg"
echo "compiled in $(( ($(date +%s%N) - start) / 1000000 )) ms; load average (/proc/loadavg): $(cat /proc/loadavg)"
"$bench" "$@" "$pkg"
