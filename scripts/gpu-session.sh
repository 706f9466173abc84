#!/usr/bin/env bash
#===- gpu-session.sh - One device call: every GPU check and measurement -===#
#
# On the GPU machine, from the repository root, with what
# scripts/stage-device.sh prepared in DEVICE_DIR (carried as build/device)
# and, optionally, flash-linear-attention's source in third_party/ (carried
# too; scripts/fla-reference/README.md):
#
#   scripts/gpu-session.sh DEVICE_DIR [SECONDS]
#
# Device time is scarce and machine starts fail often, so one call does
# everything, each part under its own time limit, every log under ${OUT:-.}
# and a summary of each on stdout:
#   1. the GPU lit suites (test/gpu, test/retc-run/cuda; as in
#      scripts/gpu-check.sh every test must run) -> gpu-tests.log;
#   2. the whole-model benchmark of RetNet-1.3B bf16: prefill of 4K and
#      32K tokens (four calls of max_tokens 8192), decode at B = 1
#      (launched and as one CUDA graph), decode_batch at B = 8, 64, 256
#      (launched and as one graph), cuBLAS rows -> model-bench.log;
#   3. Nsight Compute's per-kernel profile of one decode step
#      -> decode-profile.csv, decode-profile.log;
#   4. flash-linear-attention's RetNetForCausalLM at B = 1 and 64 and a 4K
#      prefill, if third_party/flash-linear-attention is there -> fla.log.
# SECONDS (default 560) is the whole budget; the parts get 40%, 25%, 10%
# and 25% of it. Exits 1 if a GPU test failed or did not run.
#===----------------------------------------------------------------------===#
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dev="$(cd "${1:?usage: gpu-session.sh DEVICE_DIR [SECONDS]}" && pwd)"
budget="${2:-560}"
out="${OUT:-$root}"
mkdir -p "$out"
part() { echo $(( budget * $1 / 100 )); }

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
echo "== 1. GPU tests (limit $(part 40) s)"
. "$root/scripts/device-lit.sh"
site="$(device_lit_site "$dev" "$root")"
# -a: every test's output, so that the log holds the measured errors.
timeout "$(part 40)" bash -c "source '$root/scripts/device-lit.sh'; \
  device_lit '$dev' -a --param gpu_packages='$dev/gpu-packages' \
  '$site/test/gpu' '$site/test/retc-run/cuda'" > "$out/gpu-tests.log" 2>&1
tests_rc=$?
[ "$tests_rc" -eq 124 ] && echo "gpu-session: the GPU tests ran out of time"
# As gpu-check.sh: no test run, or one skipped, is a failure on a GPU.
grep -q "Passed" "$out/gpu-tests.log" || { echo "gpu-session: no test ran"; tests_rc=1; }
grep -q "^UNSUPPORTED: " "$out/gpu-tests.log" &&
  { echo "gpu-session: UNSUPPORTED GPU tests on a GPU machine"; tests_rc=1; }
grep -E "^(FAIL|UNRESOLVED|TIMEOUT|UNSUPPORTED):|Passed|Failed" \
  "$out/gpu-tests.log" | tail -30

echo "== 2. Whole-model benchmark (limit $(part 25) s)"
timeout "$(part 25)" "$root/tools/bench/run-gpu-model-bench.sh" "$dev" \
  --run retnet-1.3b-bf16 -- --prefill 4096,32768 --decode 50 --cublas-reps 3 \
  > "$out/model-bench.log" 2>&1
echo "rc $?"
grep -E "^\|" "$out/model-bench.log"

echo "== 3. Decode step profile (limit $(part 10) s)"
timeout "$(part 10)" "$root/tools/bench/profile-gpu-decode.sh" "$dev" \
  "$dev/bench-gpu-model/retnet-1.3b-bf16.retpkg" "$out/decode-profile.csv" \
  > "$out/decode-profile.log" 2>&1
echo "rc $?"
tail -25 "$out/decode-profile.log"

fla="$root/third_party/flash-linear-attention"
if [ -d "$fla" ]; then
  echo "== 4. flash-linear-attention side by side (limit $(part 25) s)"
  timeout "$(part 25)" python3 "$root/scripts/fla-reference/fla_bench.py" \
    --fla "$fla" --batches 1,64 --steps 20 --prefill 4096 \
    > "$out/fla.log" 2>&1
  echo "rc $?"
  tail -20 "$out/fla.log"
else
  echo "== 4. no $fla: flash-linear-attention not timed"
fi
exit "$tests_rc"
