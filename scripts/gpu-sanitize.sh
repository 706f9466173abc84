#!/usr/bin/env bash
# On the GPU machine, from the repository root: the GPU test suite
# (test/gpu) with every retc-run under compute-sanitizer, one tool after the
# other (memcheck, racecheck, synccheck, initcheck; or those named in
# TOOLS), with the packages scripts/stage-device.sh prepared in DEVICE_DIR;
# the benchmark's large shapes are left out (FILTER_OUT, a lit regex).
# A sanitizer error fails the test (--error-exitcode). Logs go to ${OUT:-.}:
# sanitize-<tool>.log. Exit status: non-zero if any tool's run failed.
# usage: scripts/gpu-sanitize.sh DEVICE_DIR
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dev="$(cd "${1:?usage: gpu-sanitize.sh DEVICE_DIR}" && pwd)"
out="${OUT:-$root}"
sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
[ -x "$sanitizer" ] || { echo "gpu-sanitize: no compute-sanitizer"; exit 1; }
. "$root/scripts/device-lit.sh"
site="$(device_lit_site "$dev" "$root")"
rc=0
for tool in ${TOOLS:-memcheck racecheck synccheck initcheck}; do
  start=$(date +%s)
  device_lit "$dev" -v --param gpu_packages="$dev/gpu-packages" \
    --param gpu_run_wrapper="$sanitizer --tool $tool --report-api-errors no --error-exitcode 86" \
    --filter-out "${FILTER_OUT:-benchmark-shapes-}" "$site/test/gpu" > "$out/sanitize-$tool.log" 2>&1
  status=$?
  [ $status -eq 0 ] || rc=1
  echo "$tool: exit $status in $(( $(date +%s) - start )) s: $(grep -E 'Passed|Failed|Unsupported' "$out/sanitize-$tool.log" | tr -s ' ' | tr '\n' ' ')"
done
exit $rc
