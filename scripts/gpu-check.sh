#!/usr/bin/env bash
# On the GPU machine, from the repository root: run the GPU test suites
# (test/gpu, test/retc-run/cuda) and the GPU benchmark with what
# scripts/stage-device.sh prepared in DEVICE_DIR. Logs go to ${OUT:-.}.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dev="$(cd "${1:?usage: gpu-check.sh DEVICE_DIR}" && pwd)"
out="${OUT:-$root}"
nvidia-smi -L
python3 -c "import numpy; print('numpy', numpy.__version__)" || echo "numpy missing"

# A lit site configuration for this machine's paths: tools from DEVICE_DIR,
# sources from here. FileCheck is not used by these suites.
site="$dev/site" && mkdir -p "$site/test"
cat > "$site/test/lit.site.cfg.py" <<CFG
import os
config.llvm_tools_dir = "$dev/bin"
config.retc_obj_root = "$site"
config.retc_tools_dir = "$dev/bin"
config.retc_src_root = "$root"
config.python_executable = "$(command -v python3)"
import lit.llvm
lit.llvm.initialize(lit_config, config)
lit_config.load_config(config, "$root/test/lit.cfg.py")
CFG
mkdir -p "$site/test/gpu" "$site/test/retc-run/cuda"
PYTHONPATH="$dev" python3 -c 'import sys; from lit.main import main; main()' \
  -v --param gpu_packages="$dev/gpu-packages" \
  "$site/test/gpu" "$site/test/retc-run/cuda" 2>&1 | tee "$out/gpu-tests.log" | tail -40
tests_rc=${PIPESTATUS[0]}
# A run that found no tests must not look like a pass.
grep -q "Passed" "$out/gpu-tests.log" || { echo "gpu-check: no test ran"; tests_rc=1; }

if [ -x "$dev/bin/retc-bench-gpu" ]; then
  "$root/tools/bench/run-gpu-bench.sh" "$dev" --run 2>&1 | tee "$out/gpu-bench.log"
fi
exit $tests_rc
