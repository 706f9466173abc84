#!/usr/bin/env python3
"""Causality under poison: a value at position p must not reach outputs < p.

Retention is causal (docs/dialect.md, "The operator, exactly"): o_n depends
on q_n and on k_m, v_m for m <= n only. So a NaN, an Inf or a huge finite
value in k or v at position p must leave o_0 .. o_{p-1} exactly as they are
without it; a kernel that masks a term by multiplying it with 0 (0 * NaN,
0 * Inf) breaks this. Two modes:

  check_causality.py kernel --retc retc --retc-run retc-run --form chunkwise \\
      --chunk 16 --shape 2,45,3,16,24 --dtype f32 --position 30 --position 37 \\
      --workdir %t

compiles one kernel (`--target`, default cpu; with `--package-dir` the
package is kept there under a hash of the retc flags, so that
`--compile-only` on the build machine and a run on the GPU machine, where
retc cannot run, share it), runs it on fresh random inputs (the clean run) and
again with k[:, p] or v[:, p] (every batch and head, the whole row) set to
NaN, +Inf and 1e38 in turn, one operand and one position at a time, and
checks for each poisoned run:

  - o[:, :p] is finite and equal, value for value, to the clean run's;
  - o[:, :p] is within the tolerance of the float64 reference
    (retention_ref.py) of the clean inputs;
  - for NaN and Inf, o[:, p] is not all finite (the poison reached the
    kernel, so that the test can fail);

and that the clean run's o and final state match the reference.

  check_causality.py model --retc-run retc-run --package PKG MODEL \\
      --weights W.safetensors --ref-config config.json --num-tokens 37 --workdir %t

runs a compiled model on random tokens whose last one (an id used nowhere
before it) has a NaN embedding row, through `forward` and through `prefill`
(`--decode-from=T`), with the clean weights and with the poisoned ones, and
checks that the logits of every earlier position are finite, equal to the
clean run's and within the tolerance of the float64 reference
(retnet_model_ref.py) of the clean model, and that the last position's
logits are not all finite.

Prints one line per poisoned run and PASS, or FAIL lines; exits non-zero on
any failure.
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
import check_model  # noqa: E402
import retention_ref as ref  # noqa: E402
import retnet_model_ref as model_ref  # noqa: E402
import safetensors_np  # noqa: E402
from check_retention import DEFAULT_TOL, remove_old_runs, run  # noqa: E402

POISONS = (("nan", np.float32(np.nan)), ("inf", np.float32(np.inf)),
           ("1e38", np.float32(1e38)))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)

    k = sub.add_parser("kernel", help="one compiled retention kernel")
    k.add_argument("--retc", required=True, help="the retc command")
    k.add_argument("--retc-run", required=True, help="the retc-run command")
    k.add_argument("--form", required=True, choices=("parallel", "chunkwise", "recurrent"))
    k.add_argument("--chunk", type=int, help="chunk size (retc --chunk)")
    k.add_argument("--shape", required=True, help="B,T,H,K,V")
    k.add_argument("--dtype", default="f32", choices=sorted(DEFAULT_TOL))
    k.add_argument("--initial-state", action="store_true")
    k.add_argument("--cpu", help="retc --cpu (the x86-64 CPU to compile for)")
    k.add_argument("--target", default="cpu", help="retc --target (cpu, sm_80, sm_90, sm_90a)")
    k.add_argument("--retc-flag", action="append", default=[],
                   help="one more retc flag (repeatable)")
    k.add_argument("--package-dir",
                   help="keep the package here, named by a hash of the retc flags")
    k.add_argument("--compile-only", action="store_true",
                   help="compile the package into --package-dir and stop")
    k.add_argument("--position", type=int, action="append", required=True,
                   help="the poisoned position p (repeatable)")
    k.add_argument("--operand", action="append", choices=("k", "v"),
                   help="poison this operand (repeatable; default: k and v)")

    m = sub.add_parser("model", help="one compiled model package")
    m.add_argument("model", help="the model the package was compiled from (.ret or checkpoint)")
    m.add_argument("--retc-run", required=True, help="the retc-run command")
    m.add_argument("--package", required=True)
    m.add_argument("--weights", help="clean weights (default: MODEL/model.safetensors)")
    m.add_argument("--ref-config", help="configuration for the reference")
    m.add_argument("--num-tokens", type=int, default=37)

    for s in (k, m):
        s.add_argument("--workdir", required=True)
        s.add_argument("--seed", type=int, help="input seed (default: from os.urandom)")
        s.add_argument("--tol", type=float, help="relative tolerance against the reference")
        s.add_argument("--timeout", type=float, default=300.0,
                       help="seconds allowed to each subprocess")
    a = p.parse_args(argv)
    if a.mode == "kernel":
        try:
            a.shape = tuple(int(x) for x in a.shape.split(","))
        except ValueError:
            p.error("--shape must be five integers B,T,H,K,V")
        if len(a.shape) != 5 or min(a.shape) < 1:
            p.error("--shape must be five positive integers B,T,H,K,V")
        T = a.shape[1]
        for pos in a.position:
            if not 1 <= pos < T:
                p.error("--position %d must lie in [1, T) = [1, %d)" % (pos, T))
        a.operand = a.operand or ["k", "v"]
    elif a.num_tokens < 2:
        p.error("--num-tokens must be >= 2 (the last one is poisoned)")
    return a


def compare_prefix(got, clean, want, p, tol, axis_name):
    """Checks rows [:p] (axis 1 for kernels' o, axis 0 for logits, given as
    slices already); returns (ok, description)."""
    bad = ~np.isfinite(got)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        return False, "%d of %d values before %s=%d are not finite (first at %s = %r)" % (
            int(bad.sum()), bad.size, axis_name, p, first, got[first])
    differ = got != clean
    e = ref.rel_err(got, want)
    if differ.any():
        first = tuple(int(i) for i in np.argwhere(differ)[0])
        return False, ("%d of %d values before %s=%d differ from the clean run (first at "
                       "%s: %r instead of %r); rel err %.3e" % (
                           int(differ.sum()), differ.size, axis_name, p, first,
                           got[first], clean[first], e))
    if not e <= tol:
        return False, "rel err %.3e before %s=%d above tol %.1e" % (e, axis_name, p, tol)
    return True, "identical to the clean run, rel err %.3e" % e


def load_array(path, shape, name):
    if not os.path.exists(path):
        return None, "%s: retc-run wrote no %s" % (name, path)
    a = np.load(path, allow_pickle=False)
    if a.shape != shape:
        return None, "%s: shape %s, expected %s" % (name, a.shape, shape)
    return a, None


def check_kernel(a, w):
    B, T, H, K, V = a.shape
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    tol = a.tol if a.tol is not None else DEFAULT_TOL[a.dtype]
    print("seed = %d  form = %s  chunk = %s  shape = B,T,H,K,V = %s  dtype = %s  "
          "initial state = %s  positions = %s  target = %s  cpu = %s%s" % (
              seed, a.form, a.chunk, a.shape, a.dtype, a.initial_state,
              ",".join(map(str, a.position)), a.target, a.cpu or "(host)",
              "  retc flags = " + " ".join(a.retc_flag) if a.retc_flag else ""))
    rng = np.random.default_rng(seed)
    inputs = {"q": rng.standard_normal((B, T, H, K), dtype=np.float32),
              "k": rng.standard_normal((B, T, H, K), dtype=np.float32),
              "v": rng.standard_normal((B, T, H, V), dtype=np.float32)}
    if a.initial_state:
        inputs["s0"] = rng.standard_normal((B, H, K, V), dtype=np.float32)

    pkg = os.path.join(w, "k.retpkg")
    cmd = shlex.split(a.retc) + ["--kernel=retention", "--form=" + a.form]
    if a.chunk is not None:
        cmd.append("--chunk=%d" % a.chunk)
    cmd += ["--shape=%d,%d,%d,%d,%d" % a.shape, "--dtype=" + a.dtype, "--target=" + a.target]
    if a.initial_state:
        cmd.append("--initial-state")
    if a.cpu:
        cmd.append("--cpu=" + a.cpu)
    cmd += a.retc_flag
    if a.package_dir:
        flags = " ".join(cmd[len(shlex.split(a.retc)):])
        os.makedirs(a.package_dir, exist_ok=True)
        pkg = os.path.join(a.package_dir, "causality-" +
                           hashlib.sha1(flags.encode()).hexdigest()[:20] + ".retpkg")
    # --compile-only always compiles (a package from an older retc must not
    # survive); a run reuses what the compile step left.
    if a.compile_only or not (a.package_dir and os.path.exists(pkg)):
        if not run(cmd + ["-o", pkg], "retc", a.timeout):
            return 1
    if a.compile_only:
        print("compiled %s (causality not checked: --compile-only)" % pkg)
        return 0

    def run_kernel(tag, arrays):
        d = os.path.join(w, tag)
        os.makedirs(d)
        rcmd = shlex.split(a.retc_run) + [pkg]
        for name, arr in arrays.items():
            path = os.path.join(d, name + ".npy")
            np.save(path, arr)
            rcmd += ["--input", "%s=%s" % (name, path)]
        rcmd += ["--output-dir", os.path.join(d, "out")]
        if not run(rcmd, "retc-run", a.timeout):
            return None, None, "retc-run failed"
        o, err = load_array(os.path.join(d, "out", "o.npy"), (B, T, H, V), "o")
        if err:
            return None, None, err
        st, err = load_array(os.path.join(d, "out", "state.npy"), (B, H, K, V), "state")
        return o, st, err

    o_clean, st_clean, err = run_kernel("clean", inputs)
    if err:
        print("FAIL: clean run: " + err)
        return 1
    rq, rk, rv = (ref.round_to_dtype(inputs[n], a.dtype) for n in ("q", "k", "v"))
    o_ref, s_ref = ref.retention(rq, rk, rv, s0=inputs.get("s0"))
    eo, es = ref.rel_err(o_clean, o_ref), ref.rel_err(st_clean, s_ref)
    print("clean: o rel err = %.3e  state rel err = %.3e  (tol %.1e)" % (eo, es, tol))
    failures = 0
    if not (np.all(np.isfinite(o_clean)) and np.all(np.isfinite(st_clean))
            and eo <= tol and es <= tol):
        print("FAIL: the clean run does not match the reference")
        failures += 1

    for p in a.position:
        for operand in a.operand:
            for pname, pval in POISONS:
                arrays = dict(inputs)
                x = arrays[operand].copy()
                x[:, p] = pval
                arrays[operand] = x
                tag = "%s-%s-%d" % (operand, pname, p)
                o, _, err = run_kernel(tag, arrays)
                if err:
                    print("FAIL: %s = %s at t=%d: %s" % (operand, pname, p, err))
                    failures += 1
                    continue
                ok, what = compare_prefix(o[:, :p], o_clean[:, :p], o_ref[:, :p], p, tol, "t")
                reached = int(np.sum(~np.isfinite(o[:, p])))
                if ok and pname != "1e38" and reached == 0:
                    ok, what = False, ("o[:, %d] is all finite: the poison did not reach "
                                       "the kernel" % p)
                print("%s %s = %s at t=%d: o[:, :%d] %s; %d non-finite values at t=%d" % (
                    "ok  " if ok else "FAIL:", operand, pname, p, p, what, reached, p))
                failures += not ok
    if failures:
        print("FAIL: %d check(s) failed (reproduce with --seed %d)" % (failures, seed))
        return 1
    print("PASS")
    return 0


def check_model_prefix(a, w):
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    weights = a.weights or os.path.join(a.model, "model.safetensors")
    config, where = check_model.reference_config(
        argparse.Namespace(ref_config=a.ref_config, model=a.model), a.package)
    model = model_ref.load_model(os.path.dirname(weights), weights_path=weights,
                                 config=config)
    V = config.vocab_size
    rng = np.random.default_rng(seed)
    poisoned_id = int(rng.integers(0, V))
    others = [t for t in range(V) if t != poisoned_id]
    T = a.num_tokens
    tokens = [int(t) for t in rng.choice(others, size=T - 1)] + [poisoned_id]
    print("seed = %d  model = %s  config from %s  T = %d  vocab = %d  poisoned id %d "
          "(only at position %d)" % (seed, a.model, where, T, V, poisoned_id, T - 1))

    tensors, dtypes = safetensors_np.load(weights, with_dtypes=True)
    emb = tensors["model.embeddings.weight"].astype(np.float32)
    emb[poisoned_id, :] = np.nan
    tensors["model.embeddings.weight"] = emb
    poisoned = os.path.join(w, "poisoned.safetensors")
    safetensors_np.save(poisoned, tensors, dtype=dtypes)

    want = model.forward(tokens[:-1])  # the clean model's logits of the prefix
    # The model checker's f32 tolerance (check_model.py): 1e-5, or 30 times
    # this draw's own sensitivity to f32 rounding where that is larger.
    sensitivity = check_model.f32_sensitivity(model, want, lambda m: m.forward(tokens[:-1]),
                                              seed)
    tol = a.tol if a.tol is not None else max(check_model.DEFAULT_TOL,
                                              check_model.COND_MARGIN * sensitivity)
    print("tolerance %.1e (f32 sensitivity of this draw %.1e)" % (tol, sensitivity))
    tok_flag = "--tokens=" + ",".join(map(str, tokens))
    failures = 0
    for entry, extra in (("forward", []), ("prefill", ["--decode-from=%d" % T])):
        got = {}
        for tag, wpath in (("clean", weights), ("poisoned", poisoned)):
            out = os.path.join(w, "%s-%s.npy" % (entry, tag))
            cmd = shlex.split(a.retc_run) + [a.package, "--weights=" + wpath, tok_flag,
                                              "--logits=" + out] + extra
            if check_model.run(cmd, "retc-run", a.timeout) is None:
                return 1
            got[tag], err = load_array(out, (T, V), "logits")
            if err:
                print("FAIL: " + err)
                return 1
        ok, what = compare_prefix(got["poisoned"][:-1], got["clean"][:-1], want, T - 1, tol,
                                  "position")
        reached = int(np.sum(~np.isfinite(got["poisoned"][-1])))
        if ok and reached == 0:
            ok, what = False, "the last logits are all finite: the poison did not reach the model"
        print("%s %s: logits[:%d] %s; %d non-finite logits at position %d" % (
            "ok  " if ok else "FAIL:", entry, T - 1, what, reached, T - 1))
        failures += not ok
    if failures:
        print("FAIL: %d check(s) failed (reproduce with --seed %d)" % (failures, seed))
        return 1
    print("PASS")
    return 0


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    os.makedirs(os.path.abspath(a.workdir), exist_ok=True)
    remove_old_runs(os.path.abspath(a.workdir))
    w = tempfile.mkdtemp(prefix="run-", dir=os.path.abspath(a.workdir))
    try:
        rc = check_kernel(a, w) if a.mode == "kernel" else check_model_prefix(a, w)
    except model_ref.ModelError as e:
        print("FAIL: %s" % e)
        rc = 1
    if rc == 0:
        shutil.rmtree(w, ignore_errors=True)
    else:
        print("inputs, package and outputs kept in %s" % w)
    return rc


if __name__ == "__main__":
    sys.exit(main())
