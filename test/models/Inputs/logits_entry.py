#!/usr/bin/env python3
"""Which entry `retc-run --logits` used: runs it twice on the same random
tokens, once plain and once with --decode-from=T (every position through
`prefill`, the chunkwise form), and says whether the two files are equal
bit for bit:

    logits_entry.py RETC_RUN PKG WEIGHTS --num-tokens T --vocab V [--seed S]

prints `T tokens: the same bits as prefill` or `T tokens: not the bits of
prefill (max |difference| X)`. The parallel and chunkwise forms add in
different orders, so their logits differ in the last bits; equal bits mean
the plain run went through prefill too (docs/retc-run.md: beyond 1024
tokens it does).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("retc_run")
    p.add_argument("package")
    p.add_argument("weights")
    p.add_argument("--num-tokens", type=int, required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    tokens = np.random.default_rng(a.seed).integers(0, a.vocab, size=a.num_tokens)
    flag = "--tokens=" + ",".join(str(int(t)) for t in tokens)
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "plain.npy")
        prefill = os.path.join(tmp, "prefill.npy")
        for out, extra in ((plain, []), (prefill, ["--decode-from=%d" % a.num_tokens])):
            cmd = [a.retc_run, a.package, "--weights=" + a.weights, flag, "--logits=" + out]
            r = subprocess.run(cmd + extra, capture_output=True, text=True, timeout=600)
            if r.returncode != 0:
                print("retc-run failed (status %d): %s" % (r.returncode, r.stderr.strip()))
                return 1
        x, y = np.load(plain), np.load(prefill)
    if x.shape != y.shape:
        print("shapes differ: %s and %s" % (x.shape, y.shape))
        return 1
    if x.tobytes() == y.tobytes():
        print("%d tokens: the same bits as prefill" % a.num_tokens)
    else:
        print("%d tokens: not the bits of prefill (max |difference| %.3e)"
              % (a.num_tokens, float(np.max(np.abs(x - y)))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
