#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ (clang-22, ASan + UBSan) into
# ${FUZZ_BUILD_DIR:-build-fuzz} and runs each for a share of a time budget or
# for a number of runs; exits 1 on any crash, leak, timeout, out-of-memory or
# UB report, printing the reproducer's path and the command that replays it.
#
#   scripts/fuzz.sh                       # 60 s in all, split over the harnesses
#   scripts/fuzz.sh --time 600 npy        # one harness, 600 s
#   scripts/fuzz.sh --runs 10000000       # 10 million executions each
#   scripts/fuzz.sh --jobs 2 --time 3600  # libFuzzer workers per harness
#
# Harnesses: ret-language hf-config safetensors npy manifest package
# sequence-state batch-schedule. Seeds come from the tests
# (fuzz/gather_corpus.py) and
# fuzz/corpus/<harness>/; what a run finds accumulates in
# ${FUZZ_WORK:-$FUZZ_BUILD_DIR/fuzz}/corpus/<harness>/, reproducers go to
# .../artifacts/<harness>/ and libFuzzer's output to .../logs/<harness>.log.
# docs/testing.md, "Fuzzing".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
all=(ret-language hf-config safetensors npy manifest package sequence-state batch-schedule)

total=60
runs=""
jobs=1
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
  --time) total="$2"; shift 2 ;;
  --runs) runs="$2"; shift 2 ;;
  --jobs) jobs="$2"; shift 2 ;;
  -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {print}' "$0"; exit 0 ;;
  -*) echo "fuzz.sh: unknown option '$1'" >&2; exit 2 ;;
  *)
    if [[ ! " ${all[*]} " =~ " $1 " ]]; then
      echo "fuzz.sh: unknown harness '$1' (one of: ${all[*]})" >&2
      exit 2
    fi
    harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

# Build: the readers, the runtime and the harnesses only (no MLIR).
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DRETC_FUZZ=ON \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DPython3_EXECUTABLE=/usr/bin/python3 > /dev/null
fi
ninja -C "$build" retc-fuzzers

work="${FUZZ_WORK:-$build/fuzz}"
mkdir -p "$work" && work="$(cd "$work" && pwd)" # libFuzzer runs elsewhere: an absolute path
rm -rf "$work/seeds"
retc_args=()
[ -x "$root/build/bin/retc" ] && retc_args=(--retc "$root/build/bin/retc")
python3 "$root/fuzz/gather_corpus.py" "$work/seeds" "${retc_args[@]}"

export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
share=$(( total / ${#harnesses[@]} ))
[ "$share" -ge 1 ] || share=1
failed=0
for h in "${harnesses[@]}"; do
  corpus="$work/corpus/$h"
  artifacts="$work/artifacts/$h"
  log="$work/logs/$h.log"
  mkdir -p "$corpus" "$artifacts" "$work/logs"
  args=(-artifact_prefix="$artifacts/" -print_final_stats=1 -timeout=25
        -rss_limit_mb=2048)
  if [ -n "$runs" ]; then
    args+=(-runs="$runs")
  else
    args+=(-max_total_time="$share")
  fi
  dict="$root/fuzz/dict/$h.dict"
  [ "$h" = package ] && dict="$root/fuzz/dict/manifest.dict"
  [ -f "$dict" ] && args+=(-dict="$dict")
  dirs=("$corpus")
  [ -d "$work/seeds/$h" ] && dirs+=("$work/seeds/$h")
  [ -d "$root/fuzz/corpus/$h" ] && dirs+=("$root/fuzz/corpus/$h")
  if [ "$jobs" -gt 1 ]; then
    # Workers share the corpus; each writes fuzz-N.log in the current folder.
    args+=(-jobs="$jobs" -workers="$jobs")
  fi
  start=$(date +%s)
  status=0
  (cd "$work/logs" && "$build/bin/fuzz-$h" "${args[@]}" "${dirs[@]}") \
    > "$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  [ "$jobs" -gt 1 ] && cat "$work/logs"/fuzz-*.log >> "$log" 2>/dev/null
  # libFuzzer's final statistics (summed over workers) and last status line.
  stat() {
    { grep -oE "stat::$1:[[:space:]]*[0-9]+" "$log" || true; } |
      awk '{s += $NF} END {print s + 0}'
  }
  execs=$(stat number_of_executed_units)
  rate=$(stat average_exec_per_sec)
  last=$({ grep -E '^#[0-9]+' "$log" || true; } | tail -1)
  cov=$({ echo "$last" | grep -oE 'cov: [0-9]+' || true; } | awk '{print $2}')
  ft=$({ echo "$last" | grep -oE 'ft: [0-9]+' || true; } | awk '{print $2}')
  units=$(find "$corpus" -type f | wc -l)
  printf 'fuzz %-15s %10s execs in %5ss (%s exec/s), cov %s ft %s, corpus %s files\n' \
    "$h" "$execs" "$elapsed" "$rate" "${cov:-?}" "${ft:-?}" "$units"
  if [ "$status" -ne 0 ] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
    failed=1
    echo "fuzz.sh: fuzz-$h FAILED (status $status); its log: $log" >&2
    grep -E 'ERROR:|runtime error:|SUMMARY:' "$log" | head -5 >&2 || true
    for r in $(grep -oE "(Test unit|artifact) written to \S+" "$log" |
               awk '{print $NF}'); do
      echo "fuzz.sh: reproducer: $r" >&2
      echo "fuzz.sh: replay with: $build/bin/fuzz-$h $r" >&2
    done
  fi
done
exit "$failed"
