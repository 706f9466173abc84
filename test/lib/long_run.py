#!/usr/bin/env python3
"""Long runs: a compiled retention kernel or model over a million-token
prefill or 100,000 decode steps, against the float64 reference
(docs/testing.md, "Long runs"; scripts/long-run.sh runs them all).

    long_run.py kernel-prefill --shape 1,1000000,2,64,64 [--dtype f32] [--target cpu]
    long_run.py kernel-decode  --shape 1,100000,2,64,64  ...  (T: the steps)
    long_run.py model --tokens 1000000 --decode-from 1000000 ...
    long_run.py model --tokens 100001 --decode-from 1 ...

kernel-prefill compiles the chunkwise form at shape B,T,H,K,V with an
initial state and runs it once with retc-run; kernel-decode compiles the
recurrent form at B,1,H,K,V and runs it T times with retc-decode-loop, each
step's state the next step's s0. Inputs are N(0, 1) (the default scale
K^-1/2 on q keeps o of order 1..20, as check_retention.py's), written to
.npy files one segment at a time. `model` writes a random checkpoint
(make_random_retnet.py), compiles it and runs `retc-run --logits
--decode-from P` over random tokens (passed as `--tokens @FILE`): prefill
for positions < P, decode for the rest.

The reference is the operator's (or model's) exact function in float64,
evaluated a segment at a time (retention_ref.retention_segments,
RetNetModel.forward_segments: the chunkwise form inside a segment, the
state carried between them; both checked against the recurrent form by
the references' self-tests), so its memory does not grow with T. Outputs
are compared segment by segment with the conventions of the short tests:

  kernels (check_retention.py): o's relative Frobenius error, every row
    o[b, t, h] against the RMS row norm, the final state against its
    budget overall and per (b, h) slice, tolerances by dtype;
  models (check_model.py): the relative error over all [T, vocab] logits
    within max(1e-5, 30 S), S the draw's f32 sensitivity (the reference
    run again with every weight perturbed by one f32 rounding, here in
    lockstep with the first run, segment by segment).

Every output must be finite. The relative error of each tenth of the
sequence is printed too, so that an error growing along the sequence shows
before it crosses the tolerance. Prints PASS or FAIL; exit status 0 only
on PASS.

On a GPU machine, where retc cannot run: compile the kernel packages here
with --package-dir DIR --compile-only, then run there with --package-dir
DIR (and no --retc); packages are named by a hash of the retc flags, as
check_retention.py names them.
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
import check_model  # noqa: E402
import check_retention  # noqa: E402
import make_random_retnet  # noqa: E402
import retention_ref as ref  # noqa: E402
import retnet_model_ref as model_ref  # noqa: E402

# Tokens per segment of the reference (and of the input files' writing).
KERNEL_SEGMENT = 16384
MODEL_SEGMENT = 4096
TENTHS = 10


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("kernel-prefill", "kernel-decode", "model"))
    p.add_argument("--retc", help="the retc command (not needed where --package-dir "
                                  "holds the packages)")
    p.add_argument("--retc-run", help="the retc-run command")
    p.add_argument("--decode-loop", help="the retc-decode-loop command (kernel-decode)")
    p.add_argument("--workdir", required=True,
                   help="inputs and outputs go in a fresh folder here, removed on PASS")
    p.add_argument("--seed", type=int, help="input seed (default: from os.urandom)")
    g = p.add_argument_group("kernels")
    g.add_argument("--shape", default="1,1000000,2,64,64",
                   help="B,T,H,K,V; T is the tokens of the prefill or the decode steps")
    g.add_argument("--dtype", default="f32", choices=sorted(check_retention.DEFAULT_TOL))
    g.add_argument("--target", default="cpu", help="retc --target (cpu, sm_90a, ...)")
    g.add_argument("--chunk", type=int, help="kernel-prefill: retc --chunk")
    g.add_argument("--decay", default="retnet", help="retnet | paper | g0,g1,...")
    g.add_argument("--package-dir",
                   help="kernel packages compiled beforehand, named by a hash of the "
                        "retc flags; missing ones are compiled there")
    g.add_argument("--compile-only", action="store_true",
                   help="with --package-dir: compile the package and stop")
    g.add_argument("--graph", action="store_true",
                   help="kernel-decode on a GPU: replay a CUDA graph at every step")
    m = p.add_argument_group("models")
    m.add_argument("--tokens", type=int, default=1000000, help="sequence length")
    m.add_argument("--decode-from", type=int,
                   help="prefill positions < P, decode the rest (default: all prefill)")
    m.add_argument("--hidden", type=int, default=64)
    m.add_argument("--layers", type=int, default=2)
    m.add_argument("--heads", type=int, default=8)
    m.add_argument("--ffn", type=int, default=128)
    m.add_argument("--vocab", type=int, default=64)
    p.add_argument("--tol", type=float,
                   help="relative tolerance of o (kernels; the rows' and the state's "
                        "scale with it, as in check_retention.py) or of the logits "
                        "(models); default: the short tests'")
    p.add_argument("--perturb", type=float, default=1.0,
                   help="multiply the reference by this (to prove the check can fail)")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per subprocess")
    a = p.parse_args(argv)
    try:
        a.shape = tuple(int(x) for x in a.shape.split(","))
    except ValueError:
        p.error("--shape must be five integers B,T,H,K,V, got %r" % a.shape)
    if len(a.shape) != 5 or min(a.shape) < 1:
        p.error("--shape must be five positive integers B,T,H,K,V")
    if a.mode == "model":
        if a.decode_from is None:
            a.decode_from = a.tokens
        if not 1 <= a.decode_from <= a.tokens:
            p.error("--decode-from must lie in [1, --tokens]")
        if a.retc is None or a.retc_run is None:
            p.error("model needs --retc and --retc-run")
    elif a.compile_only and not a.package_dir:
        p.error("--compile-only needs --package-dir")
    elif a.retc is None and not a.package_dir:
        p.error("give --retc, or --package-dir holding the compiled packages")
    elif not a.compile_only and a.mode == "kernel-prefill" and a.retc_run is None:
        p.error("kernel-prefill needs --retc-run")
    elif not a.compile_only and a.mode == "kernel-decode" and a.decode_loop is None:
        p.error("kernel-decode needs --decode-loop")
    return a


def run(cmd, what, timeout):
    """Runs a subprocess; returns (its stdout, its wall time in seconds), or
    (None, time) after printing why it failed."""
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    start = time.time()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (FileNotFoundError, subprocess.TimeoutExpired) as e:
        print("FAIL: %s: %s" % (what, e))
        return None, time.time() - start
    seconds = time.time() - start
    if r.returncode != 0:
        print("FAIL: %s exited with status %d" % (what, r.returncode))
        for name, out in (("stdout", r.stdout), ("stderr", r.stderr)):
            if out.strip():
                print("--- %s %s ---\n%s" % (what, name, out.rstrip()))
        return None, seconds
    if r.stderr.strip():
        print(r.stderr.rstrip())
    return r.stdout, seconds


class Comparison:
    """Outputs against the reference, one segment at a time. A segment is
    [L, R, W]: L tokens, R rows each (a kernel's (b, h) pairs, a model's
    one row of logits), W values a row."""

    def __init__(self, num_tokens):
        self.T = num_tokens
        self.err2 = np.zeros(TENTHS)
        self.ref2 = np.zeros(TENTHS)
        self.rows = 0
        self.nonfinite = 0
        self.first_nonfinite = None
        self.worst_row = (0.0, None)        # (|row error|, (t, r))
        self.worst_relative = (0.0, None)   # (|row error| / |ref row|, (t, r))
        self.argmax_same = 0

    def add(self, start, got, want):
        got = np.asarray(got, dtype=np.float64)
        bad = ~np.isfinite(got)
        if bad.any():
            if self.first_nonfinite is None:
                t, r, _ = np.argwhere(bad)[0]
                self.first_nonfinite = (start + int(t), int(r))
            self.nonfinite += int(bad.sum())
            got = np.where(bad, 0.0, got)
        d2 = np.sum((got - want) ** 2, axis=2)   # [L, R]
        r2 = np.sum(want * want, axis=2)
        tenth = (np.arange(start, start + got.shape[0]) * TENTHS) // self.T
        self.err2 += np.bincount(tenth, weights=d2.sum(axis=1), minlength=TENTHS)
        self.ref2 += np.bincount(tenth, weights=r2.sum(axis=1), minlength=TENTHS)
        self.rows += d2.size
        i = np.unravel_index(int(np.argmax(d2)), d2.shape)
        if np.sqrt(d2[i]) > self.worst_row[0]:
            self.worst_row = (float(np.sqrt(d2[i])), (start + int(i[0]), int(i[1])))
        rel = d2 / np.maximum(r2, 1e-300)
        i = np.unravel_index(int(np.argmax(rel)), rel.shape)
        if np.sqrt(rel[i]) > self.worst_relative[0]:
            self.worst_relative = (float(np.sqrt(rel[i])), (start + int(i[0]), int(i[1])))
        self.argmax_same += int(np.sum(np.argmax(got, axis=2) == np.argmax(want, axis=2)))

    def rel_err(self):
        return float(np.sqrt(self.err2.sum() / max(self.ref2.sum(), 1e-300)))

    def tenths(self):
        return np.sqrt(self.err2 / np.maximum(self.ref2, 1e-300))

    def worst_row_of_rms(self):
        """The worst row's error over the RMS row norm (check_retention.py)."""
        rms = np.sqrt(self.ref2.sum() / max(self.rows, 1))
        return self.worst_row[0] / max(rms, 1e-300), self.worst_row[1]

    def report_finite(self, what):
        if self.nonfinite:
            print("FAIL: %d non-finite values in %s (the first at token %d, row %d)"
                  % ((self.nonfinite, what) + self.first_nonfinite))
            return False
        print("finite: every value of %s" % what)
        return True

    def print_tenths(self):
        print("  rel err by tenth of the sequence: " +
              " ".join("%.2e" % e for e in self.tenths()))


def package_path(package_dir, flags):
    """Where a package of these retc flags lives in `package_dir`."""
    os.makedirs(package_dir, exist_ok=True)
    name = hashlib.sha1(" ".join(flags).encode()).hexdigest()[:20] + ".retpkg"
    return os.path.join(package_dir, name)


def compile_kernel(a, w):
    """Compiles (or finds) the kernel package; returns (path, seconds) or
    (None, seconds)."""
    B, T, H, K, V = a.shape
    decode = a.mode == "kernel-decode"
    flags = ["--kernel=retention", "--form=" + ("recurrent" if decode else "chunkwise")]
    if a.chunk is not None and not decode:
        flags.append("--chunk=%d" % a.chunk)
    flags += ["--shape=%d,%d,%d,%d,%d" % (B, 1 if decode else T, H, K, V),
              "--dtype=" + a.dtype, "--initial-state", "--decay=" + a.decay,
              "--target=" + a.target]
    pkg = package_path(a.package_dir, flags) if a.package_dir else \
        os.path.join(w, "kernel.retpkg")
    if not a.compile_only and os.path.exists(pkg):
        print("package %s (compiled beforehand)" % pkg)
        return pkg, 0.0
    if a.retc is None:
        print("FAIL: no package %s for retc flags %s, and no --retc to compile it"
              % (pkg, " ".join(flags)))
        return None, 0.0
    out, seconds = run(shlex.split(a.retc) + flags + ["-o", pkg], "retc", a.timeout)
    return (pkg if out is not None else None), seconds


def write_kernel_inputs(a, w, rng):
    """q, k [B, T, H, K], v [B, T, H, V] (float32 .npy files, written a
    segment at a time) and s0 [B, H, K, V]; returns {name: path}."""
    B, T, H, K, V = a.shape
    paths = {name: os.path.join(w, name + ".npy") for name in ("q", "k", "v", "s0")}
    files = {name: np.lib.format.open_memmap(paths[name], mode="w+", dtype=np.float32,
                                             shape=(B, T, H, V if name == "v" else K))
             for name in ("q", "k", "v")}
    for start in range(0, T, KERNEL_SEGMENT):
        end = min(start + KERNEL_SEGMENT, T)
        for name in ("q", "k", "v"):
            f = files[name]
            f[:, start:end] = rng.standard_normal((B, end - start) + f.shape[2:],
                                                  dtype=np.float32)
    for f in files.values():
        f.flush()
    del files
    np.save(paths["s0"], rng.standard_normal((B, H, K, V), dtype=np.float32))
    return paths


def load_output(path, shape):
    """An output .npy, memory-mapped; (array, None) or (None, why)."""
    if not os.path.exists(path):
        return None, "no %s was written" % path
    out = np.load(path, mmap_mode="r", allow_pickle=False)
    if out.shape != shape:
        return None, "%s has shape %s, expected %s" % (path, out.shape, shape)
    return out, None


def check_kernel(a, w, seed, times):
    B, T, H, K, V = a.shape
    pkg, times["compile"] = compile_kernel(a, w)
    if pkg is None:
        return 1
    if a.compile_only:
        print("compiled %s (nothing run: --compile-only)" % pkg)
        return 0
    rng = np.random.default_rng(seed)
    start = time.time()
    paths = write_kernel_inputs(a, w, rng)
    times["inputs"] = time.time() - start
    out_dir = os.path.join(w, "out")
    inputs = []
    for name, path in paths.items():
        inputs += ["--input", "%s=%s" % (name, path)]
    if a.mode == "kernel-prefill":
        # --repeat 3: retc-run prints the kernel's own median time.
        cmd = (shlex.split(a.retc_run) + [pkg] + inputs +
               ["--output-dir", out_dir, "--repeat", "3"])
        out, times["run"] = run(cmd, "retc-run", a.timeout)
    else:
        cmd = (shlex.split(a.decode_loop) + [pkg] + inputs + ["--output-dir", out_dir] +
               (["--graph"] if a.graph else []))
        out, times["run"] = run(cmd, "retc-decode-loop", a.timeout)
    if out is None:
        return 1
    if out.strip():
        print(out.rstrip())
    o, why = load_output(os.path.join(out_dir, "o.npy"), (B, T, H, V))
    st, why_s = load_output(os.path.join(out_dir, "state.npy"), (B, H, K, V))
    if why or why_s:
        print("FAIL: " + (why or why_s))
        return 1

    start = time.time()
    gamma = ref.decay_schedule(H, a.decay)
    q, k, v = (np.load(paths[n], mmap_mode="r") for n in ("q", "k", "v"))
    s0 = np.load(paths["s0"]).astype(np.float64)
    cmp = Comparison(T)
    s_ref = None
    for begin, o_ref, s_ref in ref.retention_segments(q, k, v, gamma=gamma, s0=s0,
                                                      segment=KERNEL_SEGMENT,
                                                      input_dtype=a.dtype):
        L = o_ref.shape[1]
        as_rows = lambda x: np.asarray(x).transpose(1, 0, 2, 3).reshape(L, B * H, V)  # noqa: E731
        cmp.add(begin, as_rows(o[:, begin:begin + L]), as_rows(o_ref) * a.perturb)
    s_ref = s_ref * a.perturb
    times["reference"] = time.time() - start

    st = np.asarray(st, dtype=np.float64)
    ok = cmp.report_finite("o") and np.all(np.isfinite(st))
    if not np.all(np.isfinite(st)):
        print("FAIL: the final state has %d non-finite values" % int(np.sum(~np.isfinite(st))))
    tol = a.tol if a.tol is not None else check_retention.DEFAULT_TOL[a.dtype]
    scale_tol = tol / check_retention.DEFAULT_TOL[a.dtype]
    row_tol = check_retention.ROW_TOL[a.dtype] * scale_tol
    eo = cmp.rel_err()
    er, (t, r) = cmp.worst_row_of_rms()
    # The state's parts: gamma^T s0 and what the tokens put in.
    s_init = np.exp2(T * np.log2(gamma)).reshape(1, H, 1, 1) * s0 * a.perturb
    s_kv = s_ref - s_init
    state_tol, f32_tol = check_retention.state_tolerances(a.dtype, scale_tol)
    state_ratio, slice_bh, slice_ratio = check_retention.state_error(
        st, s_ref, s_kv, s_init, state_tol, f32_tol)
    print("o rel err = %.3e (tol %.1e)  state rel err = %.3e" % (
        eo, tol, ref.rel_err(st, s_ref)))
    cmp.print_tenths()
    print("  worst o row (b, t, h) = %s: %.3e of the RMS row norm (tol %.1e);  "
          "state error %.2f of its budget, worst slice (b, h) = %s %.2f (tol %.1f)"
          % ((r // H, t, r % H), er, row_tol, state_ratio, slice_bh, slice_ratio,
             check_retention.SLICE_FACTOR))
    if a.dtype != "f32":
        share = check_retention.s0_rounding_share(st, s_ref, s_init, s0, a.dtype)
        print("  the share of the state error that s0 rounded to %s explains: %.3f "
              "(tol 0.5)" % (a.dtype, share))
        if share > 0.5:
            print("FAIL: the final state holds s0 rounded to %s" % a.dtype)
            ok = False
    for bad, what in ((eo > tol, "o's relative error is above its tolerance"),
                      (er > row_tol, "an o row is off by more than its tolerance"),
                      (state_ratio > 1.0, "the final state is off by more than its budget"),
                      (slice_ratio > check_retention.SLICE_FACTOR,
                       "a state slice is off by more than twice its budget")):
        if bad:
            print("FAIL: " + what)
            ok = False
    return 0 if ok else 1


def check_whole_model(a, w, seed, times):
    ckpt = os.path.join(w, "ckpt")
    config = make_random_retnet.write_checkpoint(
        ckpt, hidden=a.hidden, layers=a.layers, heads=a.heads, ffn=a.ffn, vocab=a.vocab,
        seed=seed)
    pkg = os.path.join(w, "model.retpkg")
    out, times["compile"] = run(shlex.split(a.retc) + [ckpt, "--target=cpu", "-o", pkg],
                                "retc", a.timeout)
    if out is None:
        return 1
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, config.vocab_size, size=a.tokens)
    token_file = os.path.join(w, "tokens.txt")
    with open(token_file, "w") as f:
        f.write(",".join(str(int(t)) for t in tokens) + "\n")
    logits_path = os.path.join(w, "logits.npy")
    cmd = shlex.split(a.retc_run) + [
        pkg, "--weights=" + os.path.join(ckpt, "model.safetensors"),
        "--tokens", "@" + token_file, "--logits=" + logits_path,
        "--decode-from=%d" % a.decode_from]
    out, times["run"] = run(cmd, "retc-run", a.timeout)
    if out is None:
        return 1
    got, why = load_output(logits_path, (a.tokens, config.vocab_size))
    if why:
        print("FAIL: " + why)
        return 1

    start = time.time()
    model = model_ref.load_model(ckpt)
    perturbed = check_model.perturbed_model(model, seed)
    cmp = Comparison(a.tokens)
    sens2 = want2 = 0.0
    for (begin, want), (_, moved) in zip(model.forward_segments(tokens, MODEL_SEGMENT),
                                         perturbed.forward_segments(tokens, MODEL_SEGMENT)):
        sens2 += float(np.sum((moved - want) ** 2))
        want2 += float(np.sum(want * want))
        L = want.shape[0]
        cmp.add(begin, got[begin:begin + L, None, :], want[:, None, :] * a.perturb)
    times["reference"] = time.time() - start
    sensitivity = np.sqrt(sens2 / want2)

    ok = cmp.report_finite("the logits")
    base_tol = a.tol if a.tol is not None else check_model.DEFAULT_TOL
    tol = max(base_tol, check_model.COND_MARGIN * sensitivity)
    e = cmp.rel_err()
    print("rel_err=%.3e (tol %.1e; f32 sensitivity %.1e%s)" % (
        e, base_tol, sensitivity, ", so tol %.1e" % tol if tol > base_tol else ""))
    cmp.print_tenths()
    worst, (t, _) = cmp.worst_relative
    print("  worst token: position %d, rel err %.3e of its row;  argmax agrees at %d of "
          "%d tokens" % (t, worst, cmp.argmax_same, a.tokens))
    if not e <= tol:
        print("FAIL: relative error above tolerance")
        ok = False
    return 0 if ok else 1


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    if a.mode == "model":
        print("%s  seed = %d  T = %d  decode from %d  hidden %d, %d layers, %d heads, "
              "ffn %d, vocab %d" % (a.mode, seed, a.tokens, a.decode_from, a.hidden,
                                    a.layers, a.heads, a.ffn, a.vocab))
    else:
        print("%s  seed = %d  B,T,H,K,V = %s  dtype = %s  target = %s  decay = %s"
              % (a.mode, seed, ",".join(map(str, a.shape)), a.dtype, a.target, a.decay))
    sys.stdout.flush()
    os.makedirs(os.path.abspath(a.workdir), exist_ok=True)
    check_retention.remove_old_runs(os.path.abspath(a.workdir))
    w = tempfile.mkdtemp(prefix="run-", dir=os.path.abspath(a.workdir))
    times = {}
    start = time.time()
    rc = (check_whole_model if a.mode == "model" else check_kernel)(a, w, seed, times)
    times["total"] = time.time() - start
    print("times (s): " + "  ".join("%s %.1f" % kv for kv in times.items()))
    if rc == 0:
        shutil.rmtree(w, ignore_errors=True)
        print("PASS" if not a.compile_only else "COMPILED")
    else:
        print("FAIL (reproduce with --seed %d); inputs and outputs kept in %s" % (seed, w))
    return rc


if __name__ == "__main__":
    sys.exit(main())
