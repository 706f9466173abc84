#!/usr/bin/env bash
# Long runs (docs/testing.md, "Long runs"): a million-token prefill and
# 100,000 decode steps against the float64 reference (test/lib/long_run.py),
# for the CPU f32 kernel and model and the GPU bf16 kernel. Not part of CI:
# the CPU parts take about 9 minutes on the 2-core build machine.
#
#   scripts/long-run.sh [PART...]          here: the CPU parts, all by default:
#                                          kernel-prefill kernel-decode
#                                          model-prefill model-decode
#   scripts/long-run.sh --gpu-stage DIR    here: compile the GPU kernels into
#                                          DIR/packages and copy retc-run and
#                                          retc-decode-loop into DIR/bin
#   scripts/long-run.sh --gpu DIR          on the GPU machine (where retc
#                                          cannot run), from a copy of the
#                                          repository: run them
#
# Environment: PYTHON (a python3 with numpy; default the first of
# /usr/bin/python3 and python3 that has it), BUILD_DIR (default build),
# WORK (the runs' files, default $BUILD_DIR/long-run here and
# /tmp/retc-long-run with --gpu; 2 GB for the CPU kernel's prefill, 4 GB
# for the GPU's, removed on PASS), SEED (default: a fresh one per part,
# printed), TOKENS (1000000) and STEPS (100000) for shorter runs. Exits 1
# if any part fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
tokens="${TOKENS:-1000000}"
steps="${STEPS:-100000}"
# A python3 with numpy: $PYTHON, else Debian's (here), else the one on
# PATH (the GPU machine's).
py=""
for candidate in "${PYTHON:-}" /usr/bin/python3 "$(command -v python3)"; do
  if [ -n "$candidate" ] && "$candidate" -c "import numpy" 2>/dev/null; then
    py="$candidate"
    break
  fi
done
[ -n "$py" ] || { echo "long-run: no python3 with numpy (set PYTHON)"; exit 1; }
long_run=("$py" "$root/test/lib/long_run.py")
seed=()
[ -n "${SEED:-}" ] && seed=(--seed "$SEED")

# The shapes, B,T,H,K,V (T: the prefill's tokens, the decode's steps).
cpu_prefill="1,$tokens,2,64,64"
cpu_decode="1,$steps,2,64,64"
gpu_prefill="1,$tokens,2,128,128"
gpu_decode="1,$steps,2,128,128"
gpu=(--target sm_90a --dtype bf16)
# The first and the last decay of an 8-head model's retnet schedule,
# 1 - 2^-5 and 1 - 2^-12: memories of 32 and 4,096 tokens.
decay=(--decay 0.96875,0.999755859375)

# run_part NAME ARGS...: one long_run.py run, its output also in
# $work/NAME.log; remembers a failure.
failed=()
run_part() {
  local name="$1"
  shift
  echo "=== $name"
  mkdir -p "$work"
  "${long_run[@]}" "$@" "${seed[@]}" --workdir "$work" 2>&1 | tee "$work/$name.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed+=("$name")
}

finish() {
  if [ "${#failed[@]}" -gt 0 ]; then
    echo "long-run: FAIL: ${failed[*]} (logs in $work)"
    exit 1
  fi
  echo "long-run: all passed (logs in $work)"
}

case "${1:-}" in
--gpu-stage)
  dev="$(mkdir -p "${2:?usage: long-run.sh --gpu-stage DIR}" && cd "$2" && pwd)"
  work="$dev/stage-logs"
  "$root/scripts/build.sh" retc retc-run retc-decode-loop || exit 1
  mkdir -p "$dev/bin"
  cp "$build/bin/retc-run" "$build/bin/retc-decode-loop" "$dev/bin/"
  for part in kernel-prefill:"$gpu_prefill" kernel-decode:"$gpu_decode"; do
    run_part "${part%%:*}" "${part%%:*}" --shape "${part#*:}" "${gpu[@]}" "${decay[@]}" \
      --retc "$build/bin/retc" --package-dir "$dev/packages" --compile-only
  done
  du -sh "$dev"
  finish
  ;;
--gpu)
  dev="$(cd "${2:?usage: long-run.sh --gpu DIR}" && pwd)"
  work="${WORK:-/tmp/retc-long-run}"
  nvidia-smi -L || { echo "long-run: no GPU here (nvidia-smi -L failed)"; exit 1; }
  "$py" -c "import numpy, sys; print(sys.executable, 'numpy', numpy.__version__)"
  run_part gpu-kernel-prefill kernel-prefill --shape "$gpu_prefill" "${gpu[@]}" "${decay[@]}" \
    --retc-run "$dev/bin/retc-run" --package-dir "$dev/packages"
  run_part gpu-kernel-decode kernel-decode --shape "$gpu_decode" "${gpu[@]}" "${decay[@]}" \
    --decode-loop "$dev/bin/retc-decode-loop" --package-dir "$dev/packages"
  [ -n "${OUT:-}" ] && cp "$work"/*.log "$OUT/" 2>/dev/null
  finish
  ;;
*)
  work="${WORK:-$build/long-run}"
  parts=("$@")
  [ "${#parts[@]}" -gt 0 ] || parts=(kernel-prefill kernel-decode model-prefill model-decode)
  "$root/scripts/build.sh" retc retc-run retc-decode-loop || exit 1
  bin="$build/bin"
  for part in "${parts[@]}"; do
    case "$part" in
    kernel-prefill)
      run_part "$part" kernel-prefill --shape "$cpu_prefill" "${decay[@]}" \
        --retc "$bin/retc" --retc-run "$bin/retc-run" ;;
    kernel-decode)
      run_part "$part" kernel-decode --shape "$cpu_decode" "${decay[@]}" \
        --retc "$bin/retc" --decode-loop "$bin/retc-decode-loop" ;;
    model-prefill)
      run_part "$part" model --tokens "$tokens" --decode-from "$tokens" \
        --retc "$bin/retc" --retc-run "$bin/retc-run" ;;
    model-decode)
      run_part "$part" model --tokens "$((steps + 1))" --decode-from 1 \
        --retc "$bin/retc" --retc-run "$bin/retc-run" ;;
    *)
      echo "long-run: unknown part '$part' (kernel-prefill, kernel-decode," \
           "model-prefill, model-decode)"
      exit 2 ;;
    esac
  done
  finish
  ;;
esac
