#!/usr/bin/env bash
# The README's first command: install, build, compile a chunkwise retention
# kernel for this CPU, run it on fresh random inputs, print its error against
# a float64 reference and its speed against this machine's ceilings.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" retc retc-run retc-bench-cpu

work="$build/quickstart"
mkdir -p "$work"
echo
echo "== correctness: chunkwise, B=2 T=1000 H=4 K=128 V=96, bf16, initial state =="
/usr/bin/python3 "$root/test/lib/check_retention.py" \
  --retc "$build/bin/retc" --retc-run "$build/bin/retc-run" \
  --form chunkwise --chunk 64 --shape 2,1000,4,128,96 --dtype bf16 \
  --initial-state --workdir "$work/check"
echo
echo "== speed: chunkwise and recurrent at T=4096 H=8 K=V=128, decode at B=64 =="
"$root/tools/bench/run-cpu-bench.sh" "$build"
