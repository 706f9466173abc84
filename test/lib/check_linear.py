#!/usr/bin/env python3
"""End-to-end numerical check of one compiled linear (GEMM) kernel.

  check_linear.py --retc retc --retc-run retc-run --shape M,N,K \\
      [--dtype f32|bf16|f16] [--residual] [--target cpu|sm_80|sm_90|sm_90a] \\
      --workdir %t

compiles `retc --kernel=linear` (y[M,N] = x[M,K] weight[N,K]^T (+ residual),
f32 accumulation, one rounding to the dtype), runs it with `retc-run` on
fresh random inputs, N(0, 1), and compares y with a float64 reference
computed here with numpy from the inputs rounded to the dtype (what the
kernel sees). Prints

    y rel err = E  (tol T; rounding y to <dtype> alone gives F)
    worst row m = R: W of the RMS row norm (tol ...)

with rel = ||y - ref|| / ||ref|| (Frobenius), and exits non-zero if either
check fails, if y has a NaN or Inf or the wrong shape, or if a subprocess
fails. The row check catches a wrong or zeroed row (a tail tile) that the
whole tensor's norm would hide. F, the error of the reference rounded once
to the dtype, is the floor a kernel that accumulates in f32 reaches; a
kernel that rounds partial sums to a half type lands well above it.

Tolerances: f32 1e-5, from measurement (docs/testing.md, "Linear
kernels": the CPU kernels' errors are 2.8e-8 to 1.2e-7 over the suite's
shapes, about 80x below it); bf16 and f16 1.5 F, at least 2.5e-3 and 3e-4 (F is about
1.7e-3 and 2.1e-4 for these inputs, less stable for a handful of outputs):
a kernel that sums in f32 and rounds once lands on F, one that rounds its
partial sums to the dtype lands above 1.5 F from K = 20 on
(test/numerics/linear-checker-catches-half-sums.test).

With --package-dir the package is kept there under a hash of the retc flags,
so that --compile-only on the build machine and a run on the GPU machine
(where retc cannot run) share it. --retc / --retc-run are command lines
(split with shlex), so a test may point them at a stand-in such as
`python fake_linear.py compile`.
"""

import argparse
import hashlib
import os
import shlex
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref as ref  # noqa: E402  (rounding to bf16/f16 only)
from check_retention import load_output, remove_old_runs, run  # noqa: E402

# y's relative error, of the whole tensor: f32's, and the least a half
# type's may be (its tolerance is FLOOR_FACTOR times the rounding floor).
TOL = {"f32": 1e-5, "bf16": 2.5e-3, "f16": 3e-4}
FLOOR_FACTOR = 1.5
# The worst row against the RMS row norm.
ROW_TOL = {"f32": 1e-4, "bf16": 1.5e-2, "f16": 2e-3}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--retc", required=True, help="the retc command")
    p.add_argument("--retc-run", required=True, help="the retc-run command")
    p.add_argument("--shape", required=True, help="M,N,K")
    p.add_argument("--dtype", default="f32", choices=sorted(TOL))
    p.add_argument("--residual", action="store_true",
                   help="the kernel adds residual [M,N] (retc --residual)")
    p.add_argument("--target", default="cpu", help="retc --target (default cpu)")
    p.add_argument("--cpu", help="retc --cpu (the x86-64 CPU to compile for)")
    p.add_argument("--retc-flag", action="append", default=[],
                   help="one more flag for retc (repeatable)")
    p.add_argument("--workdir", required=True)
    p.add_argument("--package-dir",
                   help="keep the package here, named by a hash of the retc "
                        "flags, and reuse it when it exists")
    p.add_argument("--compile-only", action="store_true",
                   help="compile (into --package-dir) and stop")
    p.add_argument("--seed", type=int, help="input seed (default: from os.urandom)")
    p.add_argument("--tol", type=float,
                   help="relative tolerance of y (default by dtype)")
    p.add_argument("--perturb", type=float, default=1.0,
                   help="multiply the reference by this (a planted bug in the "
                        "reference, so that a test can show the checker fails)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds allowed to each subprocess")
    a = p.parse_args(argv)
    try:
        shape = tuple(int(x) for x in a.shape.split(","))
    except ValueError:
        p.error("--shape must be three integers M,N,K, got %r" % a.shape)
    if len(shape) != 3 or min(shape) < 1:
        p.error("--shape must be three positive integers M,N,K, got %r" % a.shape)
    a.shape = shape
    if a.compile_only and not a.package_dir:
        p.error("--compile-only needs --package-dir")
    return a


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    a.run_dir = None
    rc = check(a)
    if a.run_dir:
        if rc == 0:
            shutil.rmtree(a.run_dir, ignore_errors=True)
        else:
            print("inputs, package and outputs kept in %s" % a.run_dir)
    return rc


def compile_package(a, w):
    """Compiles the kernel (or finds it in --package-dir); its path or None."""
    cmd = shlex.split(a.retc) + [
        "--kernel=linear", "--shape=%d,%d,%d" % a.shape, "--dtype=" + a.dtype]
    if a.residual:
        cmd.append("--residual")
    cmd.append("--target=" + a.target)
    if a.cpu:
        cmd.append("--cpu=" + a.cpu)
    cmd += a.retc_flag
    pkg = os.path.join(w, "linear.retpkg")
    if a.package_dir:
        flags = " ".join(cmd[len(shlex.split(a.retc)):])
        os.makedirs(a.package_dir, exist_ok=True)
        pkg = os.path.join(a.package_dir,
                           hashlib.sha1(flags.encode()).hexdigest()[:20] + ".retpkg")
    # --compile-only always compiles (a package from an older retc must not
    # survive); a run reuses what the compile step left.
    if a.compile_only or not (a.package_dir and os.path.exists(pkg)):
        if not run(cmd + ["-o", pkg], "retc", a.timeout):
            return None
        if not os.path.exists(pkg):
            print("FAIL: retc exited 0 but wrote no %s" % pkg)
            return None
    return pkg


def rel(err, ref_norm):
    return err / ref_norm if ref_norm > 0 else err


def check(a):
    M, N, K = a.shape
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    print("seed = %d  shape = M,N,K = %s  dtype = %s  residual = %s  target = %s%s" % (
        seed, a.shape, a.dtype, a.residual, a.target,
        "  retc flags = " + " ".join(a.retc_flag) if a.retc_flag else ""))

    os.makedirs(os.path.abspath(a.workdir), exist_ok=True)
    remove_old_runs(os.path.abspath(a.workdir))
    # A fresh folder per run (removed on success, kept on failure), so that
    # two runs of one test at once cannot read each other's files.
    w = a.run_dir = tempfile.mkdtemp(prefix="run-", dir=os.path.abspath(a.workdir))
    pkg = compile_package(a, w)
    if pkg is None:
        return 1
    if a.compile_only:
        print("compiled %s (y rel err not measured: --compile-only)" % pkg)
        return 0

    # The weight scaled by K^-1/2, as a trained projection's is, so that y
    # stays O(1) at every K (inside bf16/f16 range, like the model's).
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((M, K), dtype=np.float32)
    weight = (rng.standard_normal((N, K)) / np.sqrt(K)).astype(np.float32)
    inputs = {"x": x, "weight": weight}
    if a.residual:
        inputs["residual"] = rng.standard_normal((M, N), dtype=np.float32)
    run_cmd = shlex.split(a.retc_run) + [pkg]
    for name, arr in inputs.items():
        path = os.path.join(w, name + ".npy")
        np.save(path, arr)
        run_cmd += ["--input", "%s=%s" % (name, path)]
    out_dir = os.path.join(w, "out")
    run_cmd += ["--output-dir", out_dir]
    if not run(run_cmd, "retc-run", a.timeout):
        return 1
    y, err = load_output(os.path.join(out_dir, "y.npy"), (M, N), "y")
    if err:
        print("FAIL: " + err)
        return 1

    # The reference sees what the kernel sees: every input rounded to the
    # dtype; the sum is exact enough in float64.
    seen = {name: ref.round_to_dtype(arr, a.dtype).astype(np.float64)
            for name, arr in inputs.items()}
    y_ref = seen["x"] @ seen["weight"].T
    if a.residual:
        y_ref = y_ref + seen["residual"]
    y_ref = y_ref * a.perturb
    floor = rel(np.linalg.norm(ref.round_to_dtype(y_ref, a.dtype) - y_ref),
                np.linalg.norm(y_ref))

    tol = a.tol if a.tol is not None else (
        TOL["f32"] if a.dtype == "f32" else max(TOL[a.dtype], FLOOR_FACTOR * floor))
    y = y.astype(np.float64)
    e = rel(np.linalg.norm(y - y_ref), np.linalg.norm(y_ref))
    print("y rel err = %.3e  (tol %.2e; rounding y to %s alone gives %.3e)"
          % (e, tol, a.dtype, floor))
    ok = e <= tol
    row_tol = ROW_TOL[a.dtype] * (a.tol / TOL[a.dtype] if a.tol is not None else 1.0)
    rms_row = np.sqrt(np.mean(np.sum(y_ref * y_ref, axis=1))) + 1e-30
    row_err = np.sqrt(np.sum((y - y_ref) ** 2, axis=1)) / rms_row
    worst = int(np.argmax(row_err))
    print("worst row m = %d: %.3e of the RMS row norm (tol %.1e)"
          % (worst, row_err[worst], row_tol))
    if row_err[worst] > row_tol:
        print("FAIL: row m = %d is off by %.3e of the RMS row norm (tol %.1e)"
              % (worst, row_err[worst], row_tol))
        ok = False
    if not ok:
        if e > tol:
            print("FAIL: relative error above tolerance (reproduce with --seed %d)"
                  % seed)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
