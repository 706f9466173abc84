#!/usr/bin/env bash
# On the GPU machine, from the repository root: run the GPU test suites
# (test/gpu, test/retc-run/cuda) and the GPU benchmark with what
# scripts/stage-device.sh prepared in DEVICE_DIR. Logs go to ${OUT:-.}.
# Exits 1 if a test fails, if no test ran, if numpy is missing, or if any GPU
# test is UNSUPPORTED: on a GPU machine every one of them must run (a missing
# `cuda` feature, numpy or ptxas would otherwise pass as a skip).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dev="$(cd "${1:?usage: gpu-check.sh DEVICE_DIR}" && pwd)"
out="${OUT:-$root}"
nvidia-smi -L
numpy_rc=0
python3 -c "import numpy; print('numpy', numpy.__version__)" || {
  echo "gpu-check: FAIL: numpy is missing for $(command -v python3);" \
       "test/gpu's float64 reference needs it (pip install numpy)"
  numpy_rc=1
}

# A lit site configuration for this machine's paths (scripts/device-lit.sh).
# FileCheck is not used by these suites.
. "$root/scripts/device-lit.sh"
site="$(device_lit_site "$dev" "$root")"
# -a: every test's output, so that the log holds the measured errors.
device_lit "$dev" -a --param gpu_packages="$dev/gpu-packages" \
  "$site/test/gpu" "$site/test/retc-run/cuda" 2>&1 | tee "$out/gpu-tests.log" | tail -40
tests_rc=${PIPESTATUS[0]}
# A run that found no tests must not look like a pass.
grep -q "Passed" "$out/gpu-tests.log" || { echo "gpu-check: no test ran"; tests_rc=1; }
# Nor may a skipped one: lit exits 0 when tests are UNSUPPORTED.
unsupported="$(grep '^UNSUPPORTED: ' "$out/gpu-tests.log")"
if [ -n "$unsupported" ]; then
  echo "gpu-check: FAIL: UNSUPPORTED GPU tests on a GPU machine:" \
       "$(printf '%s\n' "$unsupported" | wc -l)"
  printf '%s\n' "$unsupported" | sed 's/^/  /'
  tests_rc=1
fi
[ "$numpy_rc" -eq 0 ] || tests_rc=1

if [ -x "$dev/bin/retc-bench-gpu" ]; then
  "$root/tools/bench/run-gpu-bench.sh" "$dev" --run 2>&1 | tee "$out/gpu-bench.log"
fi
[ "$tests_rc" -eq 0 ] || echo "gpu-check: FAIL (see $out/gpu-tests.log)"
exit $tests_rc
