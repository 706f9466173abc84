#!/usr/bin/env bash
# On the GPU machine: Nsight Compute's time and DRAM bytes of every kernel
# of one decode step of a GPU model package, each kernel timed alone.
#
#   tools/bench/profile-gpu-decode.sh DEVICE_DIR PACKAGE.retpkg [OUT.csv]
#
# DEVICE_DIR is scripts/stage-device.sh's folder (build/device). The
# decode entry's kernels come from its host program, run without a GPU
# (test/lib/check_host_program.py --kernels-of decode); the step is
# retc-bench-gpu-model's first decode step after a short prompt (no probe,
# no cuBLAS rows), so ncu profiles one launch of each of the step's
# kernels in order. Prints the CSV rows (kernel, metric, value) and a
# summary of time and bytes by kernel.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dev="${1:?usage: profile-gpu-decode.sh DEVICE_DIR PACKAGE.retpkg [OUT.csv]}"
pkg="${2:?usage: profile-gpu-decode.sh DEVICE_DIR PACKAGE.retpkg [OUT.csv]}"
out="${3:-/dev/stdout}"
ncu="$(command -v ncu || true)"
[ -n "$ncu" ] || ncu=/usr/local/cuda/bin/ncu
[ -x "$ncu" ] || { echo "profile-gpu-decode: no ncu found" >&2; exit 1; }
kernels="$(python3 "$root/test/lib/check_host_program.py" "$pkg" --tokens 1 \
             --kernels-of decode | tail -1)"
launches="$(python3 "$root/test/lib/check_host_program.py" "$pkg" --tokens 1 |
              sed -n 's/^decode: 1 tokens, \([0-9]*\) launches.*/\1/p')"
[ -n "$kernels" ] && [ -n "$launches" ] ||
  { echo "profile-gpu-decode: $pkg: no decode entry" >&2; exit 1; }
"$ncu" --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum \
  -k "regex:^($kernels)\$" -c "$launches" --csv \
  "$dev/bin/retc-bench-gpu-model" --prefill 16 --context 8 --decode 1 \
  --decode-warmup 0 --no-probe --no-cublas "$pkg" > "$out"
python3 - "$out" <<'PY'
import csv, sys, collections
rows = [r for r in csv.reader(open(sys.argv[1])) if len(r) > 10]
if not rows:
    sys.exit(0)
head, rows = rows[0], rows[1:]
k, m, v = head.index("Kernel Name"), head.index("Metric Name"), head.index("Metric Value")
u = head.index("Metric Unit")
unit = ""
t = collections.defaultdict(lambda: [0, 0.0, 0.0])
for r in rows:
    val = float(r[v].replace(",", ""))
    if r[m] == "gpu__time_duration.sum":
        unit = r[u]
        t[r[k]][0] += 1
        t[r[k]][1] += val
    elif r[m].startswith("dram__bytes"):
        t[r[k]][2] += val
total = sum(x[1] for x in t.values())
print("| kernel | launches | time (%s) | share | DRAM bytes |\n|---|---:|---:|---:|---:|"
      % unit, file=sys.stderr)
for name, (n, time, bytes_) in sorted(t.items(), key=lambda x: -x[1][1]):
    print("| %s | %d | %.1f | %.0f%% | %.1f M |" % (name, n, time, 100 * time / total,
                                                   bytes_ / 1e6), file=sys.stderr)
PY
