#!/usr/bin/env python3
"""End-to-end numerical check of one compiled retention kernel.

Draws fresh random inputs, compiles a retention kernel with `retc`, runs it
with `retc-run`, and compares its outputs (o and the final state) with the
float64 reference in retention_ref.py. Prints

    o rel err = X  state rel err = Y  (tol Z)
    worst o row = R (tol ...)  worst state slice = W (tol ...)

with rel = ||out - ref|| / ||ref|| (Frobenius), and exits non-zero if any
check fails, if any output is NaN/inf, if a shape is wrong, or if a
subprocess fails. The checks (tolerances by dtype, TOLERANCES below):

  - o: the relative error of the whole tensor, and of every row o[b, t, h]
    against the RMS row norm (a zeroed or wrong row among many cannot hide
    in the Frobenius norm);
  - the final state: its error against a budget of the half-type tolerance
    times the norm of the part that comes from (rounded) k and v plus the
    f32 tolerance times the norm of the part that comes from s0 (gamma^T
    s0): the state is f32 everywhere, so s0 must not be rounded to the
    input type; the same for every slice state[b, h] (a wrong head's decay);
    and with s0 in a half type, the share of the state's error that s0
    rounded to it would explain (1 - |err - d|^2 / |err|^2, d = gamma^T
    (round(s0) - s0)) must stay below 0.5.

The half-type tolerances come from measured error (docs/testing.md): the
lane-level model of the mma.sync kernel (mma_chunkwise_model.py, which
rounds A, S and V * zeta to the input type as the GPU kernels do) gives o
2.5-2.7e-3 and state 1.6e-3 in bf16, 3.2e-4 and 2.0e-4 in f16, worst rows
up to 6.5e-3 and 7.1e-4; a kernel that carries its state in bf16 gives
5.5-9.9e-3. Used by the lit tests in test/numerics/ and test/gpu/, e.g.

  check_retention.py --retc retc --retc-run retc-run --form chunkwise --chunk 8 \\
      --shape 2,37,3,16,24 --dtype bf16 --initial-state --workdir %t

--retc / --retc-run are command lines (split with shlex), so a test may point
them at a stand-in such as `python fake_retc.py compile`.
"""

import argparse
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref as ref  # noqa: E402

# o's relative error, of the whole tensor (also the state's budget factor
# for its k, v part; test/lib/check_causality.py uses it too).
DEFAULT_TOL = {"f32": 1e-5, "bf16": 4e-3, "f16": 5e-4}
# The worst row of o against the RMS row norm, the worst state slice
# against its budget, and the state's budget factor.
ROW_TOL = {"f32": 1e-4, "bf16": 1.5e-2, "f16": 2e-3}
STATE_TOL = {"f32": 1e-5, "bf16": 2.5e-3, "f16": 3.2e-4}
SLICE_FACTOR = 2.0
FORMS = ("parallel", "chunkwise", "recurrent")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--retc", required=True, help="the retc command")
    p.add_argument("--retc-run", required=True, help="the retc-run command")
    p.add_argument("--form", required=True, choices=FORMS + ("auto",),
                   help="the form retc compiles (auto: retc chooses from T)")
    p.add_argument("--chunk", type=int, help="chunk size (passed to retc as --chunk)")
    p.add_argument("--shape", required=True, help="B,T,H,K,V")
    p.add_argument("--dtype", default="f32", choices=sorted(DEFAULT_TOL))
    p.add_argument("--initial-state", action="store_true",
                   help="give the kernel a random initial state s0")
    p.add_argument("--decay", help="retnet | paper | g0,g1,... (passed to retc)")
    p.add_argument("--scale", type=float, help="scale on q (passed to retc)")
    p.add_argument("--target", default="cpu", help="retc --target (default cpu)")
    p.add_argument("--cpu", help="retc --cpu (the x86-64 CPU to compile for)")
    p.add_argument("--retc-flag", action="append", default=[],
                   help="one more retc flag, as one word (e.g. "
                        "--retc-flag=--gpu-mma-all); repeatable")
    p.add_argument("--workdir", required=True)
    p.add_argument("--package-dir",
                   help="reuse packages compiled earlier into this folder, "
                        "named by a hash of the retc flags; compile missing "
                        "ones there (this is how GPU tests run on a machine "
                        "without retc: packages are compiled beforehand)")
    p.add_argument("--compile-only", action="store_true",
                   help="with --package-dir: compile the package and stop")
    p.add_argument("--seed", type=int, help="input seed (default: from os.urandom)")
    p.add_argument("--tol", type=float,
                   help="relative tolerance of o and of the state (default by "
                        "dtype); rows and slices get the default ratios to it")
    p.add_argument("--perturb", type=float, default=1.0,
                   help="multiply the reference by this factor (to prove that a "
                        "test can fail)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds allowed to each subprocess")
    a = p.parse_args(argv)
    try:
        shape = tuple(int(x) for x in a.shape.split(","))
    except ValueError:
        p.error("--shape must be five integers B,T,H,K,V, got %r" % a.shape)
    if len(shape) != 5 or min(shape) < 1:
        p.error("--shape must be five positive integers B,T,H,K,V, got %r" % a.shape)
    a.shape = shape
    if a.chunk is not None and a.chunk < 1:
        p.error("--chunk must be >= 1")
    return a


def run(cmd, what, timeout):
    """Run a subprocess; on failure print its output and return False."""
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as e:
        print("FAIL: %s: cannot run %s: %s" % (what, cmd[0], e))
        return False
    except subprocess.TimeoutExpired as e:
        print("FAIL: %s timed out after %.0f s" % (what, timeout))
        for name, out in (("stdout", e.stdout), ("stderr", e.stderr)):
            if out:
                out = out.decode(errors="replace") if isinstance(out, bytes) else out
                print("--- %s %s ---\n%s" % (what, name, out.rstrip()))
        return False
    if r.returncode != 0:
        print("FAIL: %s exited with status %d" % (what, r.returncode))
        for name, out in (("stdout", r.stdout), ("stderr", r.stderr)):
            if out.strip():
                print("--- %s %s ---\n%s" % (what, name, out.rstrip()))
        return False
    return True


def load_output(path, want_shape, name):
    """Load an output .npy; return (array, error message or None)."""
    if not os.path.exists(path):
        return None, "%s: retc-run wrote no %s" % (name, path)
    try:
        a = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any unreadable file is a failure
        return None, "%s: cannot read %s: %s" % (name, path, e)
    if a.dtype.kind != "f":
        return None, "%s: expected floating point data, got dtype %s" % (name, a.dtype)
    if a.shape != want_shape:
        return None, "%s: shape %s, expected %s" % (name, a.shape, want_shape)
    bad = ~np.isfinite(a)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        return None, "%s: %d non-finite values (first at %s = %r)" % (
            name, int(bad.sum()), idx, a[idx])
    return a, None


def state_tolerances(dtype, scale_tol=1.0):
    """(the budget factor of the state's k, v part, that of its s0 part):
    the half type's error on the first, f32's on gamma^T s0."""
    state_tol = STATE_TOL[dtype] * scale_tol
    return state_tol, min(DEFAULT_TOL["f32"], state_tol)


def state_error(st, s_ref, s_kv, s_init, state_tol, f32_tol):
    """The final state's error against its budget, state_tol times the norm
    of its k, v part s_kv plus f32_tol times that of its s0 part s_init
    (s_ref = s_kv + s_init), overall and per (batch, head) slice. Returns
    (the overall ratio, the worst slice (b, h), its ratio)."""
    def budget(axis):
        return (state_tol * np.sqrt(np.sum(s_kv * s_kv, axis=axis)) +
                f32_tol * np.sqrt(np.sum(s_init * s_init, axis=axis)) + 1e-30)
    ratio = float(np.linalg.norm(st - s_ref)) / float(budget(None))
    slice_ratio = np.linalg.norm(st - s_ref, axis=(2, 3)) / budget((2, 3))
    worst = np.unravel_index(int(np.argmax(slice_ratio)), slice_ratio.shape)
    return ratio, tuple(int(i) for i in worst), float(slice_ratio[worst])


def s0_rounding_share(st, s_ref, s_init, s0, dtype):
    """How much of the state's error d = gamma^T (round(s0) - s0), s0
    rounded to `dtype`, explains: 1 - |err - d|^2 / |err|^2 (at most 0.5
    passes; a correct kernel's error is independent of d, so <= 0)."""
    s0_64 = np.asarray(s0, dtype=np.float64)
    rounded = ref.round_to_dtype(s0, dtype).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(s0_64 != 0, s_init / s0_64 * (rounded - s0_64), 0.0)
    err2 = float(np.sum((st - s_ref) ** 2))
    left2 = float(np.sum((st - s_ref - d) ** 2))
    return 1.0 - left2 / err2 if err2 > 0 else 0.0


def remove_old_runs(workdir, max_age_s=3600):
    """Delete run-* folders that failed runs left more than an hour ago."""
    now = time.time()
    for name in os.listdir(workdir):
        path = os.path.join(workdir, name)
        try:
            if name.startswith("run-") and now - os.path.getmtime(path) > max_age_s:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


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


def check(a):
    B, T, H, K, V = a.shape
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    tol = a.tol if a.tol is not None else DEFAULT_TOL[a.dtype]
    print("seed = %d  form = %s  chunk = %s  shape = B,T,H,K,V = %s  dtype = %s  "
          "initial state = %s  decay = %s  scale = %s%s" % (
              seed, a.form, a.chunk, a.shape, a.dtype, a.initial_state,
              a.decay or "(default)", a.scale if a.scale is not None else "(default)",
              "  retc flags = " + " ".join(a.retc_flag) if a.retc_flag else ""))
    try:
        gamma = ref.decay_schedule(H, a.decay or "retnet")
    except ValueError as e:
        print("FAIL: bad --decay: %s" % e)
        return 2

    # Fresh random inputs, N(0, 1). With the default scale K^-1/2 on q, each
    # o entry is a sum of ~sqrt(K * 1/(1-gamma)) unit terms divided by
    # sqrt(K): O(1..20), comfortably inside bf16/f16 range.
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((B, T, H, K), dtype=np.float32)
    k = rng.standard_normal((B, T, H, K), dtype=np.float32)
    v = rng.standard_normal((B, T, H, V), dtype=np.float32)
    s0 = rng.standard_normal((B, H, K, V), dtype=np.float32) if a.initial_state else None

    # A fresh folder per run, so that two runs of one test at once (two lit
    # runs over one build tree) cannot read each other's files, and no stale
    # output can pass. Removed on success, kept on failure.
    os.makedirs(os.path.abspath(a.workdir), exist_ok=True)
    remove_old_runs(os.path.abspath(a.workdir))
    w = a.run_dir = tempfile.mkdtemp(prefix="run-", dir=os.path.abspath(a.workdir))
    out_dir = os.path.join(w, "out")
    pkg = os.path.join(w, "k.retpkg")
    inputs = {"q": q, "k": k, "v": v}
    if s0 is not None:
        inputs["s0"] = s0
    for name, arr in inputs.items():
        np.save(os.path.join(w, name + ".npy"), arr)

    compile_cmd = shlex.split(a.retc) + [
        "--kernel=retention", "--form=" + a.form]
    if a.chunk is not None:
        compile_cmd.append("--chunk=%d" % a.chunk)
    compile_cmd += ["--shape=%d,%d,%d,%d,%d" % a.shape, "--dtype=" + a.dtype]
    if a.initial_state:
        compile_cmd.append("--initial-state")
    if a.decay:
        compile_cmd.append("--decay=" + a.decay)
    if a.scale is not None:
        compile_cmd.append("--scale=%r" % a.scale)
    compile_cmd += ["--target=" + a.target]
    if a.cpu:
        compile_cmd.append("--cpu=" + a.cpu)
    compile_cmd += a.retc_flag
    if a.package_dir:
        flags = " ".join(compile_cmd[len(shlex.split(a.retc)):])
        os.makedirs(a.package_dir, exist_ok=True)
        pkg = os.path.join(a.package_dir,
                           hashlib.sha1(flags.encode()).hexdigest()[:20] + ".retpkg")
    # --compile-only always compiles (a package from an older retc must not
    # survive); a run reuses what the compile step left.
    if a.compile_only or not (a.package_dir and os.path.exists(pkg)):
        if not run(compile_cmd + ["-o", pkg], "retc", a.timeout):
            return 1
        if not os.path.exists(pkg):
            print("FAIL: retc exited 0 but wrote no %s" % pkg)
            return 1
    if a.compile_only:
        print("compiled %s (o rel err not measured: --compile-only)" % pkg)
        return 0

    run_cmd = shlex.split(a.retc_run) + [pkg]
    for name in inputs:
        run_cmd += ["--input", "%s=%s" % (name, os.path.join(w, name + ".npy"))]
    run_cmd += ["--output-dir", out_dir]
    if not run(run_cmd, "retc-run", a.timeout):
        return 1

    o, err_o = load_output(os.path.join(out_dir, "o.npy"), (B, T, H, V), "o")
    st, err_s = load_output(os.path.join(out_dir, "state.npy"), (B, H, K, V), "state")
    if err_o or err_s:
        for e in (err_o, err_s):
            if e:
                print("FAIL: " + e)
        return 1

    # The reference sees what the kernel sees: q, k, v rounded to the input
    # type. The state is fp32 everywhere (docs/dialect.md, "Numerical
    # policy"), so s0 is not rounded.
    rq, rk, rv = (ref.round_to_dtype(x, a.dtype) for x in (q, k, v))
    o_ref, s_ref = ref.retention(rq, rk, rv, gamma=gamma, scale=a.scale, s0=s0)
    o_ref = o_ref * a.perturb
    s_ref = s_ref * a.perturb
    eo, es = ref.rel_err(o, o_ref), ref.rel_err(st, s_ref)
    print("o rel err = %.3e  state rel err = %.3e  (tol %.1e)" % (eo, es, tol))
    print("  max |o - ref| = %.3e (max |ref| %.3e)   max |state - ref| = %.3e (max |ref| %.3e)"
          % (np.max(np.abs(o - o_ref)), np.max(np.abs(o_ref)),
             np.max(np.abs(st - s_ref)), np.max(np.abs(s_ref))))
    ok = eo <= tol
    # Rows of o against the RMS row norm.
    scale_tol = tol / DEFAULT_TOL[a.dtype]
    row_tol = ROW_TOL[a.dtype] * scale_tol
    row_err = np.linalg.norm(o - o_ref, axis=3)
    rms_row = max(float(np.sqrt(np.mean(np.sum(o_ref * o_ref, axis=3)))), 1e-300)
    worst_row = np.unravel_index(int(np.argmax(row_err)), row_err.shape)
    er = float(row_err[worst_row]) / rms_row
    if s0 is not None:
        _, s_kv = ref.retention(rq, rk, rv, gamma=gamma, scale=a.scale, s0=None)
        s_kv = s_kv * a.perturb
    else:
        s_kv = s_ref
    s_init = s_ref - s_kv
    state_tol, f32_tol = state_tolerances(a.dtype, scale_tol)
    state_ratio, worst_slice, es_slice = state_error(st, s_ref, s_kv, s_init,
                                                     state_tol, f32_tol)
    print("  worst o row (b, t, h) = %s: %.3e of the RMS row norm (tol %.1e);  "
          "state error %.2f of its budget, worst slice (b, h) = %s %.2f (tol %.1f)"
          % (tuple(int(i) for i in worst_row), er, row_tol, state_ratio,
             tuple(int(i) for i in worst_slice), es_slice, SLICE_FACTOR))
    if er > row_tol:
        print("FAIL: o row (b, t, h) = %s is off by %.3e of the RMS row norm, above %.1e"
              % (tuple(int(i) for i in worst_row), er, row_tol))
        ok = False
    if state_ratio > 1.0:
        print("FAIL: the final state's error is %.2f times its budget (%.1e of its k, v "
              "part + %.1e of its s0 part)" % (state_ratio, state_tol, f32_tol))
        ok = False
    # A state whose s0 part was rounded to the input type: its error holds
    # d = gamma^T (round(s0) - s0), and removing d leaves much less of it.
    # A correct kernel's error (rounding noise of the k, v part) is
    # independent of d, so removing d only adds |d|^2 to it.
    s0_explained = 0.0
    if s0 is not None and a.dtype != "f32":
        s0_explained = s0_rounding_share(st, s_ref, s_init, s0, a.dtype)
        print("  the share of the state error that s0 rounded to %s explains: %.3f "
              "(tol 0.5)" % (a.dtype, s0_explained))
    if s0_explained > 0.5:
        print("FAIL: the final state holds s0 rounded to %s (it explains %.3f of the "
              "error): the state is f32 everywhere" % (a.dtype, s0_explained))
        ok = False
    if es_slice > SLICE_FACTOR:
        print("FAIL: state slice (b, h) = %s is off by %.2f times its budget"
              % (tuple(int(i) for i in worst_slice), es_slice))
        ok = False
    if not ok:
        # Say where it goes wrong: the worst token and head of o.
        d = np.linalg.norm(o - o_ref, axis=(0, 3)) / np.maximum(
            np.linalg.norm(o_ref, axis=(0, 3)), 1e-300)
        t, h = np.unravel_index(int(np.argmax(d)), d.shape)
        print("  worst o slice: token t=%d head h=%d, rel err %.3e" % (t, h, d[t, h]))
        print("FAIL: relative error above tolerance (reproduce with --seed %d)" % seed)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
