#!/usr/bin/env python3
"""A stand-in for `retc --kernel=linear` + `retc-run`, to test check_linear.py.

  fake_linear.py compile --kernel=linear --shape=M,N,K [--dtype=T] [--residual]
                 [--target=...] [--bug=KIND] -o PKG
  fake_linear.py run PKG --input x=... --input weight=... [--input residual=...]
                 --output-dir DIR

`compile` writes the flags to PKG as JSON (not the real package format).
`run` computes y = x weight^T (+ residual) with numpy, the inputs rounded to
the dtype, summed in float32 and rounded once to the dtype, as the kernel
must, and writes y.npy. `--bug` plants a defect so that the checker's
failure paths can be tested:
  tail-k          drops the last input column (a K tail tile left out)
  tail-row        leaves the last row of y at zero (an M tail tile left out)
  no-residual     ignores the residual
  half-sums       rounds every partial sum to the dtype (no f32 accumulation)
  nan             writes a NaN into y
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref as ref  # noqa: E402  (rounding only)

BUGS = ("none", "tail-k", "tail-row", "no-residual", "half-sums", "nan")


def compile_main(argv):
    p = argparse.ArgumentParser(prog="fake_linear.py compile")
    p.add_argument("--kernel", required=True, choices=["linear"])
    p.add_argument("--shape", required=True)
    p.add_argument("--dtype", default="f32", choices=["f32", "bf16", "f16"])
    p.add_argument("--residual", action="store_true")
    p.add_argument("--target", default="cpu")
    p.add_argument("--bug", default="none", choices=BUGS)
    p.add_argument("-o", required=True)
    a = p.parse_args(argv)
    with open(a.o, "w") as f:
        json.dump({"fake": True, "shape": [int(v) for v in a.shape.split(",")],
                   "dtype": a.dtype, "residual": a.residual, "bug": a.bug}, f)
    return 0


def run_main(argv):
    p = argparse.ArgumentParser(prog="fake_linear.py run")
    p.add_argument("package")
    p.add_argument("--input", action="append", default=[])
    p.add_argument("--output-dir", required=True)
    a = p.parse_args(argv)
    with open(a.package) as f:
        pkg = json.load(f)
    dtype, bug = pkg["dtype"], pkg["bug"]
    arrays = {}
    for spec in a.input:
        name, path = spec.split("=", 1)
        arrays[name] = ref.round_to_dtype(np.load(path), dtype)
    x, w = arrays["x"], arrays["weight"]
    if bug == "tail-k":
        x, w = x[:, :-1], w[:, :-1]
    if bug == "half-sums":
        y = np.zeros((x.shape[0], w.shape[0]), dtype=np.float32)
        for k in range(x.shape[1]):
            y = ref.round_to_dtype(y + np.outer(x[:, k], w[:, k]), dtype)
    else:
        y = (x @ w.T).astype(np.float32)
    if pkg["residual"] and bug != "no-residual":
        y = y + arrays["residual"]
    y = ref.round_to_dtype(y, dtype)
    if bug == "tail-row":
        y[-1, :] = 0.0
    if bug == "nan":
        y[0, 0] = np.nan
    os.makedirs(a.output_dir, exist_ok=True)
    np.save(os.path.join(a.output_dir, "y.npy"), y.astype(np.float32))
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("compile", "run"):
        print("usage: fake_linear.py compile|run ...", file=sys.stderr)
        return 2
    if sys.argv[1] == "compile":
        return compile_main(sys.argv[2:])
    return run_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
