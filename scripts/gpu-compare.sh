#!/usr/bin/env bash
# On the GPU machine, from the repository root: the GPU suite and benchmark
# of this tree (DEVICE_DIR, from scripts/stage-device.sh) and the benchmark
# of another build (BASE_DIR, staged the same way from another commit),
# alternated on the same card: new (with the suite), base, new, base. Logs
# go to ${OUT:-.}: check.log, gpu-tests.log, gpu-bench.log, bench-base1.log,
# bench-new2.log, bench-base2.log.
# usage: scripts/gpu-compare.sh DEVICE_DIR BASE_DIR
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
new="${1:?usage: gpu-compare.sh DEVICE_DIR BASE_DIR}"
base="${2:?usage: gpu-compare.sh DEVICE_DIR BASE_DIR}"
out="${OUT:-.}"
nvidia-smi -L
start=$(date +%s)
OUT="$out" timeout 330 "$root/scripts/gpu-check.sh" "$new" > "$out/check.log" 2>&1
echo "gpu-check rc=$? after $(( $(date +%s) - start )) s"
for run in base1 new2 base2; do
  dir="$new"; [[ $run == base* ]] && dir="$base"
  timeout 70 "$root/tools/bench/run-gpu-bench.sh" "$dir" --run > "$out/bench-$run.log" 2>&1
  echo "bench $run rc=$? after $(( $(date +%s) - start )) s"
done
tail -5 "$out/gpu-tests.log"
