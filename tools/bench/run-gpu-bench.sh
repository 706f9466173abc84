#!/usr/bin/env bash
#===- run-gpu-bench.sh - Compile the GPU benchmark cases, or time them ----===#
#
# usage: tools/bench/run-gpu-bench.sh BUILD_DIR --compile-only
#        tools/bench/run-gpu-bench.sh BUILD_DIR --run [retc-bench-gpu options...]
#
# Two steps on two machines (retc runs only on the build machine; the GPU
# machine has no MLIR):
#   --compile-only  (build machine) compiles the benchmark packages with
#                   BUILD_DIR/bin/retc --target=sm_90a into BUILD_DIR/bench-gpu/
#                   and lists them in BUILD_DIR/bench-gpu/cases.txt.
#   --run           (GPU machine) runs BUILD_DIR/bin/retc-bench-gpu on the
#                   packages cases.txt lists; extra arguments go to the
#                   program (e.g. --reps 100, --matmul-tflops 700).
# Carry BUILD_DIR/bin/retc-bench-gpu, BUILD_DIR/bench-gpu/ and this script to
# the GPU machine. The program measures the copy-bandwidth and bf16 matmul
# ceilings in the same run and prints a markdown table (docs/benchmarks.md).
# The linear (GEMM) cases are also timed through cuBLAS on the same problem.
# RETC_BENCH_GPU_FLAGS (e.g. "--gpu-mma-all") compiles every chunkwise case
# a second time with those retc flags, named <case>+${RETC_BENCH_GPU_TAG:-new},
# so that one run times the default kernel and the variant side by side.
# RETC, RETC_BENCH_GPU and RETC_BENCH_OUT override the paths of retc, of the
# program and of the package folder; RETC_CUBLAS names the cuBLAS library (or
# its folder) when the program does not find it.
#===----------------------------------------------------------------------===#
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR --compile-only" >&2
  echo "       $0 BUILD_DIR --run [retc-bench-gpu options...]" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
build=$(cd "$1" && pwd)
mode=$2
shift 2
out="${RETC_BENCH_OUT:-$build/bench-gpu}"

# name | retc flags (all bf16; packages are deterministic functions of the
# flags, so each is compiled once).
chunk="--form=chunkwise --dtype=bf16"
decode="--form=recurrent --dtype=bf16 --initial-state"
# The chunk is retc's choice for the target (the table shows it); set
# RETC_BENCH_CHUNK to force one.
if [[ -n ${RETC_BENCH_CHUNK:-} ]]; then
  chunk="$chunk --chunk=$RETC_BENCH_CHUNK"
fi
cases=(
  "chunk-b32-t1024|$chunk --shape=32,1024,16,128,128"
  "chunk-b8-t4096|$chunk --shape=8,4096,16,128,128"
  "chunk-b2-t16384|$chunk --shape=2,16384,16,128,128"
  "chunk-b1-t32768|$chunk --shape=1,32768,16,128,128"
  # RetNet-1.3B heads.
  "retnet1.3b-b4-t4096|$chunk --shape=4,4096,8,256,512"
)
# The variant of every chunkwise case (RETC_BENCH_GPU_FLAGS).
if [[ -n ${RETC_BENCH_GPU_FLAGS:-} ]]; then
  for c in "${cases[@]}"; do
    cases+=("${c%%|*}+${RETC_BENCH_GPU_TAG:-new}|${c#*|} $RETC_BENCH_GPU_FLAGS")
  done
fi
for b in 1 8 64 256; do
  cases+=("decode-h16-b$b|$decode --shape=$b,1,16,128,128")
done
for b in 1 8 64 256; do
  cases+=("decode-h8k256-b$b|$decode --shape=$b,1,8,256,512")
done
# GEMMs of a RetNet-1.3B layer (hidden 2048, value width 4096, FFN 2816,
# vocab 32000), bf16, timed against cuBLAS on the same problem: prefill of
# 4096 tokens and decode of 1, 8, 16 (the gemv kernel's, M <= 16) and 64
# sequences; and the f32 checking path.
gemm="--kernel=linear --dtype=bf16"
cases+=(
  "gemm-t4096-q|$gemm --shape=4096,2048,2048"
  "gemm-t4096-v|$gemm --shape=4096,4096,2048"
  "gemm-t4096-o|$gemm --shape=4096,2048,4096 --residual"
  "gemm-t4096-up|$gemm --shape=4096,2816,2048"
  "gemm-t4096-down|$gemm --shape=4096,2048,2816 --residual"
  "gemm-t4096-lmhead|$gemm --shape=4096,32000,2048"
  "gemm-b1-v|$gemm --shape=1,4096,2048"
  "gemm-b8-v|$gemm --shape=8,4096,2048"
  "gemm-b16-v|$gemm --shape=16,4096,2048"
  "gemm-b64-v|$gemm --shape=64,4096,2048"
  "gemm-b1-lmhead|$gemm --shape=1,32000,2048"
  "gemm-t512-q-f32|--kernel=linear --dtype=f32 --shape=512,2048,2048"
  # The q projection under other kernels and schedules: mma.sync (sm_90),
  # and wgmma blocks of 128 x 128 (6 stages) and of 128 x 256 in 3 stages.
  "gemm-t4096-q-mma|$gemm --shape=4096,2048,2048 --target=sm_90"
  "gemm-t4096-q-wg128|$gemm --shape=4096,2048,2048 --gemm-schedule=kernel=wgmma,block_m=128,block_n=128,block_k=64,warps_m=8,stages=6"
  "gemm-t4096-q-wg256s3|$gemm --shape=4096,2048,2048 --gemm-schedule=kernel=wgmma,block_m=128,block_n=256,block_k=64,warps_m=8,stages=3"
  # 128 x 128 in 3 stages: 96 KiB and 124 registers, two blocks an SM, so
  # that one block's fill and drain overlap the other's main loop.
  "gemm-t4096-q-wg128s3|$gemm --shape=4096,2048,2048 --gemm-schedule=kernel=wgmma,block_m=128,block_n=128,block_k=64,warps_m=8,stages=3"
  "gemm-t4096-v-wg128s3|$gemm --shape=4096,4096,2048 --gemm-schedule=kernel=wgmma,block_m=128,block_n=128,block_k=64,warps_m=8,stages=3"
  "gemm-t4096-down-wg128s3|$gemm --shape=4096,2048,2816 --residual --gemm-schedule=kernel=wgmma,block_m=128,block_n=128,block_k=64,warps_m=8,stages=3"
  # Decode under the mma.sync schedule retc chose before gemv (16 x 64
  # blocks, 4 stages), and gemv variants: 2 warps a block at M = 1 (512
  # blocks of 8 columns), 4 k-steps a group at M = 8, and 8 rows a warp at
  # M = 16 (half the shared loads of x an FMA; 52 bytes of spills).
  "gemm-b1-v-mma|$gemm --shape=1,4096,2048 --gemm-schedule=kernel=mma_sync,block_m=16,block_n=64,block_k=32,warps_n=4,stages=4"
  "gemm-b16-v-mma|$gemm --shape=16,4096,2048 --gemm-schedule=kernel=mma_sync,block_m=16,block_n=64,block_k=32,warps_n=4,stages=4"
  "gemm-b1-v-gemv-w2|$gemm --shape=1,4096,2048 --gemm-schedule=kernel=gemv,block_m=1,block_n=8,block_k=2048,warps_n=2,thread_n=4,stages=4"
  "gemm-b8-v-gemv-s4|$gemm --shape=8,4096,2048 --gemm-schedule=kernel=gemv,block_m=8,block_n=32,block_k=2048,warps_n=8,thread_n=4,stages=4"
  "gemm-b16-v-gemv-r8|$gemm --shape=16,4096,2048 --gemm-schedule=kernel=gemv,block_m=16,block_n=32,block_k=2048,warps_n=4,thread_n=8,stages=1"
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
    echo "# retc-bench-gpu cases: NAME=FILE (relative to this folder)"
    echo "# compiled $(date -u +%Y-%m-%dT%H:%MZ) by $("$retc" --version 2>/dev/null | tr '\n' ' ')"
  } >"$list"
  for c in "${cases[@]}"; do
    name=${c%%|*}
    flags=${c#*|}
    compiled=
    # Chunkwise: if retc refuses the chunk (shared memory), halve it.
    for try in 64 32 16; do
      f=${flags/--chunk=64/--chunk=$try}
      # The target: sm_90a (the H200's; the chunkwise cases take the wgmma
      # kernel) unless the case's flags name one (a RETC_BENCH_GPU_FLAGS
      # variant such as --target=sm_90, the mma.sync kernel).
      target=--target=sm_90a
      [[ $f == *--target=* ]] && target=
      # The kernel: retention unless the case's flags name one.
      kernel=--kernel=retention
      [[ $f == *--kernel=* ]] && kernel=
      echo "+ retc $kernel $f $target -o $out/$name.retpkg"
      # shellcheck disable=SC2086  # flags are words on purpose
      if "$retc" $kernel $f $target -o "$out/$name.retpkg"; then
        compiled=$try
        break
      fi
      [[ $f == *--chunk=* ]] || break
    done
    if [[ -z $compiled ]]; then
      echo "error: retc failed on case $name" >&2
      exit 1
    fi
    if [[ $flags == *--chunk=64* && $compiled != 64 ]]; then
      echo "# note: $name: retc refused chunk 64; compiled with chunk $compiled" |
        tee -a "$list"
    fi
    echo "$name=$name.retpkg" >>"$list"
  done
  echo "wrote $(grep -vc '^#' "$list") packages and $list"
  ;;
--run)
  bench="${RETC_BENCH_GPU:-$build/bin/retc-bench-gpu}"
  if [[ ! -x $bench ]]; then
    echo "error: $bench not found (build it on the build machine and carry it)" >&2
    exit 1
  fi
  list="$out/cases.txt"
  if [[ ! -f $list ]]; then
    echo "error: $list not found; run $0 $build --compile-only on the build machine" >&2
    exit 1
  fi
  pkgs=()
  while IFS= read -r line; do
    case $line in
    "# note:"*) echo "$line" ;;
    "#"* | "") ;;
    *) pkgs+=("${line%%=*}=$out/${line#*=}") ;;
    esac
  done <"$list"
  # cuBLAS from the Python wheels next to torch, as a last resort.
  # shellcheck source=tools/bench/torch-cublas-flags.sh
  . "$(dirname "$0")/torch-cublas-flags.sh"
  torch_cublas_flags
  extra=(${TORCH_CUBLAS_FLAGS[@]+"${TORCH_CUBLAS_FLAGS[@]}"})
  "$bench" ${extra[@]+"${extra[@]}"} "$@" "${pkgs[@]}"
  ;;
*)
  usage
  ;;
esac
