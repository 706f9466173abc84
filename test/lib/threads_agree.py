#!/usr/bin/env python3
"""Runs one command at several OpenMP thread counts and checks that its
output files are the same bit for bit at every count:

    threads_agree.py --threads 1,2,3 --compare o.npy state.npy -- \\
        retc-run k.retpkg --input q=q.npy ... --output-dir {out}

`{out}` in the command becomes a fresh directory per thread count
(WORKDIR/threads-N, WORKDIR from --workdir); the files named by --compare
are read from it. The kernels and models parallelise over independent
(batch, head) pairs and rows, never splitting a sum between threads, so
their results do not depend on OMP_NUM_THREADS; a race or a per-thread
buffer indexed wrongly shows as a difference. Prints `identical at N
threads: FILES` per count, or `FAIL: ...`; exit status 0 only when all
agree.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", required=True, help="comma-separated thread counts")
    p.add_argument("--compare", nargs="+", required=True, help="output files in {out}")
    p.add_argument("--workdir", required=True)
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        p.error("no command after --")
    counts = [int(n) for n in a.threads.split(",")]
    results = {}
    for n in counts:
        out = os.path.join(os.path.abspath(a.workdir), "threads-%d" % n)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        env = dict(os.environ, OMP_NUM_THREADS=str(n))
        run = [c.replace("{out}", out) for c in cmd]
        r = subprocess.run(run, env=env, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            print("FAIL: at %d threads the command exited with status %d:\n%s"
                  % (n, r.returncode, r.stderr.rstrip()))
            return 1
        results[n] = {f: np.load(os.path.join(out, f)) for f in a.compare}
    first = counts[0]
    ok = True
    for n in counts:
        differ = [f for f in a.compare
                  if results[n][f].tobytes() != results[first][f].tobytes()]
        if differ:
            ok = False
            for f in differ:
                x, y = results[n][f], results[first][f]
                print("FAIL: %s at %d threads differs from %d threads (max |difference| %.3e)"
                      % (f, n, first, float(np.max(np.abs(x - y)))))
        else:
            print("identical at %d threads: %s" % (n, " ".join(a.compare)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
