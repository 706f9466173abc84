#!/usr/bin/env python3
"""Random-configuration sweep over check_retention.py (a tool, not a lit test).

Draws N random (form, chunk, shape, dtype, initial state, decay, scale)
configurations, runs check_retention.py on each, and prints one line per case
and the command lines of the failures, e.g.

  python3 test/lib/fuzz_retention.py --bin build/bin -n 50

Exits non-zero if any case failed.
"""

import argparse
import os
import random
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def draw(rng):
    form = rng.choice(["parallel", "chunkwise", "recurrent"])
    B = rng.choice([1, 2, 3])
    T = rng.choice([1, 2, 7, 16, 31, 64, 65, 100, 129])
    H = rng.choice([1, 2, 3, 5])
    K = rng.choice([1, 3, 8, 12, 16, 20, 32, 33, 64])
    V = rng.choice([1, 5, 8, 12, 16, 24, 36, 64])
    args = ["--form", form, "--shape", "%d,%d,%d,%d,%d" % (B, T, H, K, V),
            "--dtype", rng.choice(["f32", "f32", "bf16", "f16"])]
    if form == "chunkwise" and rng.random() < 0.8:
        args += ["--chunk", str(rng.choice([1, 2, 5, 8, 16, 32, 64, 100]))]
    if rng.random() < 0.5:
        args.append("--initial-state")
    r = rng.random()
    if r < 0.25:
        args += ["--decay", "paper"]
    elif r < 0.45:
        args += ["--decay", ",".join("%.4g" % rng.uniform(0.01, 0.9999)
                                     for _ in range(H))]
    if rng.random() < 0.3:
        args += ["--scale", "%.3g" % rng.uniform(0.05, 2.0)]
    return args


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bin", required=True, help="folder holding retc and retc-run")
    p.add_argument("-n", type=int, default=30, help="number of cases")
    p.add_argument("--seed", type=int, help="configuration seed (default random)")
    a = p.parse_args()
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    print("configuration seed = %d" % seed)
    rng = random.Random(seed)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(a.n):
            cmd = [sys.executable, os.path.join(HERE, "check_retention.py"),
                   "--retc", os.path.join(a.bin, "retc"),
                   "--retc-run", os.path.join(a.bin, "retc-run"),
                   "--workdir", os.path.join(tmp, str(i))] + draw(rng)
            r = subprocess.run(cmd, capture_output=True, text=True)
            lines = r.stdout.splitlines()
            err = next((l for l in lines if "rel err" in l), "")
            seed_line = lines[0].split()[2] if lines else "?"
            status = "PASS" if r.returncode == 0 else "FAIL"
            print("%s %-70s %s" % (status, " ".join(cmd[8:]), err or
                                   next((l for l in lines if l.startswith("FAIL")), "")))
            if r.returncode != 0:
                failures.append((cmd + ["--seed", seed_line], r.stdout + r.stderr))
    for cmd, out in failures:
        print("\n=== FAILED: %s\n%s" % (" ".join(shlex.quote(c) for c in cmd), out))
    print("\n%d passed, %d failed" % (a.n - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
