#!/usr/bin/env bash
# The README's first command: install, build, compile the example model
# examples/tiny.ret for this CPU, give it random weights of its sizes,
# generate 16 tokens from it and check its logits against the float64
# reference; then compile a chunkwise retention kernel, check it on fresh
# random inputs, and print its speed against this machine's ceilings.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
python=/usr/bin/python3
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" retc retc-run retc-bench-cpu

work="$build/quickstart"
mkdir -p "$work"
retc="$build/bin/retc"
retc_run="$build/bin/retc-run"

echo
echo "== a model: examples/tiny.ret (hidden 64, 2 layers, 4 heads, vocab 100), random weights =="
# Random weights with the sizes tiny.ret declares; their config.json lets the
# reference read the sizes without trusting retc's reading of the .ret file.
"$python" "$root/test/lib/make_random_retnet.py" "$work/tiny-weights" \
  --hidden 64 --layers 2 --heads 4 --expand-k 1 --expand-v 2 --ffn 256 --vocab 100 --seed 1
echo "\$ retc examples/tiny.ret --target=cpu -o $work/tiny.retpkg"
"$retc" "$root/examples/tiny.ret" --target=cpu -o "$work/tiny.retpkg"
echo "\$ retc-run $work/tiny.retpkg --weights $work/tiny-weights/model.safetensors --tokens 1,2,3 --generate=16"
"$retc_run" "$work/tiny.retpkg" --weights "$work/tiny-weights/model.safetensors" \
  --tokens 1,2,3 --generate=16
echo "-- its logits for 100 random tokens against the float64 reference:"
"$python" "$root/test/lib/check_model.py" "$root/examples/tiny.ret" \
  --retc "$retc" --retc-run "$retc_run" --package "$work/tiny.retpkg" \
  --weights "$work/tiny-weights/model.safetensors" \
  --ref-config "$work/tiny-weights/config.json" \
  --num-tokens 100 --workdir "$work/model-check" | grep -v '^\$ '

echo
echo "== a kernel: chunkwise, B=2 T=1000 H=4 K=128 V=96, bf16, initial state =="
"$python" "$root/test/lib/check_retention.py" \
  --retc "$retc" --retc-run "$retc_run" \
  --form chunkwise --chunk 64 --shape 2,1000,4,128,96 --dtype bf16 \
  --initial-state --workdir "$work/check"
echo
echo "== speed: chunkwise and recurrent at T=4096 H=8 K=V=128, decode at B=64 =="
"$root/tools/bench/run-cpu-bench.sh" "$build"
