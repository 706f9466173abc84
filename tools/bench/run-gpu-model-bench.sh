#!/usr/bin/env bash
#===- run-gpu-model-bench.sh - Compile GPU model packages, or time them ---===#
#
# usage: tools/bench/run-gpu-model-bench.sh BUILD_DIR --compile-only
#        tools/bench/run-gpu-model-bench.sh BUILD_DIR --run [CASE...] [-- retc-bench-gpu-model options...]
#
# Two steps on two machines (retc runs only on the build machine; the GPU
# machine has no MLIR), as run-gpu-bench.sh:
#   --compile-only  (build machine) compiles the model cases below with
#                   BUILD_DIR/bin/retc MODEL --target=sm_90a into
#                   BUILD_DIR/bench-gpu-model/ (packages without weights:
#                   the program makes random ones in memory) and lists them,
#                   with each case's program options, in
#                   BUILD_DIR/bench-gpu-model/cases.txt.
#   --run           (GPU machine) runs BUILD_DIR/bin/retc-bench-gpu-model on
#                   every case of cases.txt, or on the CASEs named; options
#                   after `--` go to every run (they come after the case's
#                   own, so they win), e.g. -- --decode 200.
# scripts/stage-device.sh carries the program and the packages to
# BUILD_DIR=build/device. The program measures the copy bandwidth, the
# cuBLAS matmul rate for the weights' dtype in the same
# run and prints a markdown table (docs/benchmarks.md).
# RETC, RETC_BENCH_GPU_MODEL and RETC_BENCH_OUT override the paths of retc,
# of the program and of the package folder; RETC_CUBLAS names the cuBLAS
# library (or its folder) when the program does not find it.
#===----------------------------------------------------------------------===#
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR --compile-only" >&2
  echo "       $0 BUILD_DIR --run [CASE...] [-- retc-bench-gpu-model options...]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
mode=$2
shift 2
out="${RETC_BENCH_OUT:-$build/bench-gpu-model}"

# name | model source | retc flags | program options
cases=(
  # A quick sanity run: 2 layers, hidden 64, vocab 100 (seconds).
  "tiny|examples/tiny.ret|--max-tokens=1024|--prefill 256,max --decode 50"
  # RetNet-1.3B's shape (hidden 2048, 24 layers, 8 heads, K 256, V 512,
  # FFN 2816, vocab 32000; 5.4 GB of f32 weights, a 100.7 MB state).
  # max_tokens 8192: the arena is 1.79 GB (retc --emit=buffers:
  # retention.arena_bytes), the logits buffer 8192 x 32000 f32 = 1.05 GB;
  # with the weights about 8.3 GB of device memory. Prefill 4096 and 8192
  # (one call each).
  "retnet-1.3b|examples/retnet-2048x24.ret|--max-tokens=8192|--prefill 4096,max --decode 100"
  # The same in bf16 (--dtype=bf16: 2.7 GB of bf16 weights; the
  # projections and chunkwise retention on wgmma, bf16 activations between
  # kernels, an f32 residual stream and state).
  "retnet-1.3b-bf16|examples/retnet-2048x24.ret|--max-tokens=8192 --dtype=bf16 --max-batch=256|--prefill 4096,max --decode 100"
)

case $mode in
--compile-only)
  [[ $# -eq 0 ]] || usage
  retc="${RETC:-$build/bin/retc}"
  if [[ ! -x $retc ]]; then
    echo "error: $retc not found; build it first (ninja -C $build retc)" >&2
    exit 1
  fi
  mkdir -p "$out"
  rm -f "$out"/*.retpkg
  list="$out/cases.txt"
  {
    echo "# retc-bench-gpu-model cases: NAME=FILE OPTIONS... (FILE relative to this folder)"
    echo "# compiled $(date -u +%Y-%m-%dT%H:%MZ) by $("$retc" --version 2>/dev/null | tr '\n' ' ')"
  } >"$list"
  for c in "${cases[@]}"; do
    IFS='|' read -r name model flags options <<<"$c"
    echo "+ retc $model --target=sm_90a $flags -o $out/$name.retpkg"
    start=$(date +%s%N)
    # shellcheck disable=SC2086  # flags are words on purpose
    "$retc" "$root/$model" --target=sm_90a $flags -o "$out/$name.retpkg"
    echo "  compiled in $(( ($(date +%s%N) - start) / 1000000 )) ms"
    echo "$name=$name.retpkg $options" >>"$list"
  done
  echo "wrote $(grep -vc '^#' "$list") packages and $list ($(du -sh "$out" | cut -f1))"
  ;;
--run)
  bench="${RETC_BENCH_GPU_MODEL:-$build/bin/retc-bench-gpu-model}"
  if [[ ! -x $bench ]]; then
    echo "error: $bench not found (build it on the build machine and carry it)" >&2
    exit 1
  fi
  list="$out/cases.txt"
  if [[ ! -f $list ]]; then
    echo "error: $list not found; run $0 $build --compile-only on the build machine" >&2
    exit 1
  fi
  wanted=()
  while [[ $# -gt 0 && $1 != -- ]]; do
    wanted+=("$1")
    shift
  done
  [[ $# -gt 0 ]] && shift # the --
  # cuBLAS from the Python wheels next to torch, as a last resort.
  # shellcheck source=tools/bench/torch-cublas-flags.sh
  . "$(dirname "$0")/torch-cublas-flags.sh"
  torch_cublas_flags
  extra=(${TORCH_CUBLAS_FLAGS[@]+"${TORCH_CUBLAS_FLAGS[@]}"})
  status=0
  ran=0
  while IFS= read -r line; do
    case $line in
    "#"* | "") continue ;;
    esac
    entry=${line%% *}
    options=
    [[ $line == *" "* ]] && options=${line#* }
    name=${entry%%=*}
    file=${entry#*=}
    if [[ ${#wanted[@]} -gt 0 ]]; then
      found=
      for w in "${wanted[@]}"; do [[ $w == "$name" ]] && found=1; done
      [[ -n $found ]] || continue
    fi
    echo
    echo "## $name"
    echo
    rc=0
    # shellcheck disable=SC2086  # the case's options are words on purpose
    "$bench" ${extra[@]+"${extra[@]}"} $options "$@" "$out/$file" || rc=$?
    if [[ $rc -ne 0 ]]; then
      echo "run-gpu-model-bench: case $name exited with status $rc" >&2
      status=1
    fi
    ran=$((ran + 1))
  done <"$list"
  if [[ $ran -eq 0 ]]; then
    echo "error: no case of $list matched: ${wanted[*]}" >&2
    exit 1
  fi
  exit $status
  ;;
*)
  usage
  ;;
esac
