#!/usr/bin/env python3
"""End-to-end numerical check of one compiled RetNet model.

Compiles a model with `retc`, runs it with `retc-run` on a token sequence,
and compares the logits with the float64 reference (retnet_model_ref.py):

    check_model.py --retc retc --retc-run retc-run CKPT_DIR --workdir %t \\
        [--tokens 5,17,3 | --num-tokens 37] [--decode-from P] [--tol 1e-5]
    check_model.py ... CKPT_DIR --generate 8 --workdir %t
    check_model.py ... model.ret --weights w.safetensors [--ref-config config.json] ...
    check_model.py --retc-run retc-run --package PKG CKPT_DIR ...   # no compile

What runs:

    retc MODEL --target=cpu -o PKG
    retc-run PKG --weights=W --tokens=5,17,3 --logits=OUT.npy [--decode-from=P]
    retc-run PKG --weights=W --tokens=5,17,3 --generate=N     (stdout: `tokens: 1 2 3`)

and prints `rel_err=X (tol T; f32 sensitivity S)` with X = ||logits - ref|| /
||ref|| over all [T, vocab] logits, then PASS, or FAIL with the reason; exit
status 0 only on PASS.

The tolerance is T = --tol (1e-5: about 30x the f32 error measured on
well-conditioned draws, ~3e-7, docs/testing.md) or --cond-margin (30) times
S, whichever is larger. S is the draw's own sensitivity to f32 rounding:
how far the reference's logits move, relatively, when every weight is
scaled by an independent 1 + u 2^-24 (u uniform in [-1, 1]). Most draws
have S ~ 1e-7; a few are ill-conditioned (at T = 1, a query nearly
orthogonal to its key cancels in q.k, whose relative error the per-head
norm then scales up to the output), and there an exact f32 implementation
errs by ~1e-5..1e-4 too. The tolerance then follows S, and the line says
so. With --decode-from P the reference is prefill of tokens[:P] then one
recurrent step per token (the same function as a full forward, computed the
way the runtime computes it).

MODEL is a checkpoint directory (config.json + model.safetensors) or a .ret
file. For a .ret file, --weights is required and the reference takes its
configuration from --ref-config (an HF config.json or a resolved `model.config`
JSON), else from the compiled package's manifest (`model.config`; printed as
a note, since it then trusts retc's reading of the .ret file).

--ref-weights W2 gives the reference other weights than retc-run's --weights
(equivalent ones: e.g. rotate-half weights for an interleaved-rotary model,
test/models/Inputs/interleave_rotary.py).

--package PKG runs an already compiled package (of MODEL) instead of
compiling one, so that a test compiles a model once and checks it many
times; --retc is then not needed.

--generate N with --sample-top-k K (for sampling flags given through
--run-flag, e.g. --temperature=0.8 --top-k=5 --seed=7) checks instead that
each generated token is among the K largest reference logits at its step,
the prefix being the tokens generated so far (ties at the K-th logit, within
--tie-tol, count as inside).

--retc and --retc-run are command lines (split with shlex), so that a test can
point them at a stand-in (test/lib/fake_retc_model.py).
"""

import argparse
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref  # noqa: E402
import retnet_model_ref as ref  # noqa: E402
from check_retention import remove_old_runs  # noqa: E402

PACKAGE_MAGIC = b"RETCPKG\0"
# The f32 tolerance: 30x the relative error measured on well-conditioned
# draws (~3e-7), and 30x the draw's own sensitivity where that is larger
# (docs/testing.md, "Whole models").
DEFAULT_TOL = 1e-5
COND_MARGIN = 30.0


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="checkpoint directory or .ret file")
    p.add_argument("--retc", help="the retc command (not needed with --package)")
    p.add_argument("--retc-run", required=True, help="the retc-run command")
    p.add_argument("--weights", help="weights .safetensors (default: MODEL/model.safetensors)")
    p.add_argument("--ref-weights",
                   help="weights for the reference (default: --weights): for a model whose "
                        "weights mean something else to the reference, e.g. interleaved "
                        "rotary, given the equivalent rotate-half weights")
    p.add_argument("--ref-config",
                   help="configuration for the reference (HF config.json or resolved JSON)")
    p.add_argument("--package", help="a compiled package of MODEL: run it, compile nothing")
    p.add_argument("--workdir", required=True)
    p.add_argument("--tokens", help="comma-separated token ids")
    p.add_argument("--num-tokens", type=int, default=37,
                   help="without --tokens: this many random ids (default 37)")
    p.add_argument("--decode-from", type=int,
                   help="prefill tokens[:P], decode the rest one step at a time")
    p.add_argument("--generate", type=int,
                   help="check the N greedy continuation tokens instead of logits")
    p.add_argument("--same-as-stepped", action="store_true",
                   help="--generate: the tokens must equal, exactly, those of the same "
                        "package stepped one decode call at a time and chosen on the "
                        "host (retc-run --temperature 1e-30: the largest logit); on a "
                        "GPU package, the CUDA graph against plain decode calls")
    p.add_argument("--batch", type=int,
                   help="check decode_batch (a package compiled with "
                        "--max-batch): N sequences of random prompts, "
                        "joining at steps 0..3 and leaving after 1.."
                        "--batch-steps fed tokens, run by retc-run --batch")
    p.add_argument("--batch-steps", type=int, default=12,
                   help="with --batch: the most tokens fed to a sequence")
    p.add_argument("--batch-prompt", type=int, default=40,
                   help="with --batch: the longest prompt (each of 1 to N "
                        "tokens)")
    p.add_argument("--batch-joins", type=int, default=4,
                   help="with --batch: sequences join at steps 0 .. N-1 (1: "
                        "all at step 0, filling the batch)")
    p.add_argument("--sample-top-k", type=int,
                   help="--generate: each token must be among the reference's K largest "
                        "logits (for sampling; default: equal to the greedy tokens)")
    p.add_argument("--tol", type=float, default=DEFAULT_TOL,
                   help="relative tolerance on well-conditioned draws (default %.0e)" % DEFAULT_TOL)
    p.add_argument("--cond-margin", type=float, default=COND_MARGIN,
                   help="the tolerance is at least this times the draw's f32 sensitivity "
                        "(default %g)" % COND_MARGIN)
    p.add_argument("--tie-tol", type=float, default=1e-4,
                   help="--generate: a divergence where the reference's two "
                        "candidates differ by at most this fraction of the largest "
                        "|logit| is a near-tie and passes with a note")
    p.add_argument("--target", default="cpu", help="retc --target (default cpu)")
    p.add_argument("--retc-flag", action="append", default=[],
                   help="an extra flag for retc (repeatable)")
    p.add_argument("--run-flag", action="append", default=[],
                   help="an extra flag for retc-run (repeatable)")
    p.add_argument("--seed", type=int, help="token seed (default: from os.urandom)")
    p.add_argument("--perturb", type=float, default=1.0,
                   help="multiply the reference logits by this (to prove the test can fail)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per subprocess")
    a = p.parse_args(argv)
    if a.num_tokens < 1:
        p.error("--num-tokens must be >= 1")
    if a.generate is not None and a.generate < 1:
        p.error("--generate must be >= 1")
    if a.generate is not None and a.decode_from is not None:
        p.error("give --generate or --decode-from, not both")
    if a.package is None and a.retc is None:
        p.error("give --retc (to compile MODEL) or --package (a compiled package)")
    if a.batch is not None:
        if min(a.batch, a.batch_steps, a.batch_joins, a.batch_prompt) < 1:
            p.error("--batch, --batch-steps, --batch-prompt and "
                    "--batch-joins must be >= 1")
        if a.tokens or a.decode_from is not None or a.generate is not None:
            p.error("--batch makes its own sequences: no --tokens, "
                    "--decode-from or --generate")
    if a.sample_top_k is not None and (a.generate is None or a.sample_top_k < 1):
        p.error("--sample-top-k needs --generate and must be >= 1")
    return a


def run(cmd, what, timeout):
    """Run a subprocess; returns its stdout, or None after printing why it failed."""
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as e:
        print("FAIL: %s: cannot run %s: %s" % (what, cmd[0], e))
        return None
    except subprocess.TimeoutExpired:
        print("FAIL: %s timed out after %.0f s" % (what, timeout))
        return None
    if r.returncode != 0:
        print("FAIL: %s exited with status %d" % (what, r.returncode))
        for name, out in (("stdout", r.stdout), ("stderr", r.stderr)):
            if out.strip():
                print("--- %s %s ---\n%s" % (what, name, out.rstrip()))
        return None
    return r.stdout


def read_manifest(pkg):
    """The JSON manifest of a .retpkg (docs/package-format.md)."""
    with open(pkg, "rb") as f:
        # magic, version, flags, manifest size, the manifest's SHA-256
        head = f.read(56)
        if len(head) < 56 or head[:8] != PACKAGE_MAGIC:
            raise ref.ModelError("%s: not a retc package (bad magic)" % pkg)
        (size,) = struct.unpack("<Q", head[16:24])
        text = f.read(size)
    try:
        return json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ref.ModelError("%s: manifest is not valid JSON: %s" % (pkg, e))


def reference_config(a, pkg):
    """(RetNetConfig, where it came from)."""
    if a.ref_config:
        try:
            with open(a.ref_config) as f:
                cfg = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise ref.ModelError("%s: %s" % (a.ref_config, e))
        if "head_k_dim" in cfg:
            return ref.RetNetConfig.from_resolved(cfg, a.ref_config), a.ref_config
        return ref.RetNetConfig.from_hf(cfg, a.ref_config), a.ref_config
    if os.path.isdir(a.model) or a.model.endswith(".json"):
        return ref.load_hf_config(a.model), a.model
    m = read_manifest(pkg)
    cfg = m.get("model", {}).get("config")
    if not isinstance(cfg, dict):
        raise ref.ModelError("%s: the manifest has no model.config" % pkg)
    print("note: reference configuration taken from the package manifest "
          "(give --ref-config to check retc's reading of %s)" % a.model)
    return ref.RetNetConfig.from_resolved(cfg, pkg + " manifest model.config"), "manifest"


TOKENS_LINE = re.compile(r"tokens?\s*[:=]\s*\[?\s*(-?\d+(?:[\s,]+-?\d+)*)\s*\]?\s*$",
                         re.IGNORECASE)


def parse_generated(stdout):
    """The ids of the last `tokens: 1 2 3` line (also `tokens=[1, 2, 3]`)."""
    found = None
    for line in stdout.splitlines():
        mt = TOKENS_LINE.search(line.strip())
        if mt:
            found = [int(t) for t in re.split(r"[\s,]+", mt.group(1).strip()) if t]
    return found


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    a.run_dir = None
    try:
        rc = check(a)
    except ref.ModelError as e:
        print("FAIL: %s" % e)
        rc = 1
    if a.run_dir:
        if rc == 0:
            shutil.rmtree(a.run_dir, ignore_errors=True)
        else:
            print("package and outputs kept in %s" % a.run_dir)
    return rc


def check(a):
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    is_ret = not (os.path.isdir(a.model) or a.model.endswith(".json"))
    weights = a.weights or (os.path.join(a.model, "model.safetensors")
                            if os.path.isdir(a.model) else None)
    if weights is None:
        print("FAIL: --weights is required for a .ret model")
        return 2
    os.makedirs(os.path.abspath(a.workdir), exist_ok=True)
    remove_old_runs(os.path.abspath(a.workdir))
    w = a.run_dir = tempfile.mkdtemp(prefix="run-", dir=os.path.abspath(a.workdir))
    if a.package:
        pkg = a.package
        if not os.path.isfile(pkg):
            print("FAIL: --package %s: no such file" % pkg)
            return 1
    else:
        pkg = os.path.join(w, "model.retpkg")
        cmd = (shlex.split(a.retc) + [a.model, "--target=" + a.target] + a.retc_flag +
               ["-o", pkg])
        if run(cmd, "retc", a.timeout) is None:
            return 1
        if not os.path.exists(pkg):
            print("FAIL: retc exited 0 but wrote no %s" % pkg)
            return 1

    config, where = reference_config(a, pkg if is_ret else None)
    ref_weights = a.ref_weights or weights
    if a.ref_weights:
        print("note: the reference reads %s" % ref_weights)
    model = ref.load_model(a.model if not is_ret else os.path.dirname(ref_weights),
                           weights_path=ref_weights, config=config)
    V = config.vocab_size
    if a.tokens:
        tokens = ref.parse_tokens(a.tokens)
    else:
        tokens = [int(t) for t in np.random.default_rng(seed).integers(0, V, size=a.num_tokens)]
    print("seed = %d  model = %s  config from %s  T = %d  vocab = %d  %s" % (
        seed, a.model, where, len(tokens), V,
        "generate %d" % a.generate if a.generate else
        "decode from %d" % a.decode_from if a.decode_from else "prefill"))
    if a.batch:
        return check_batch(model, a, pkg, weights, seed, w)
    tok_flag = "--tokens=" + ",".join(str(t) for t in tokens)
    run_cmd = shlex.split(a.retc_run) + [pkg, "--weights=" + weights, tok_flag]

    if a.generate:
        out = run(run_cmd + ["--generate=%d" % a.generate] + a.run_flag, "retc-run", a.timeout)
        if out is None:
            return 1
        got = parse_generated(out)
        if got is None:
            print("FAIL: retc-run printed no `tokens: ...` line; stdout was:\n%s" % out.rstrip())
            return 1
        if a.same_as_stepped:
            # At T = 1e-30 every logit below the largest gets weight 0: the
            # host's sampler picks the largest, one decode call a step.
            host = run(run_cmd + ["--generate=%d" % a.generate, "--temperature=1e-30"] +
                       a.run_flag, "retc-run", a.timeout)
            stepped = parse_generated(host) if host is not None else None
            print("generated: %s" % " ".join(map(str, got)))
            print("stepped:   %s" % " ".join(map(str, stepped or [])))
            if stepped != got:
                print("FAIL: the tokens differ from one decode call a step")
                return 1
            print("PASS")
            return 0
        if a.sample_top_k:
            return check_sampled(model, tokens, got, a)
        want = model.generate_greedy(tokens, a.generate)
        print("generated: %s" % " ".join(map(str, got)))
        print("reference: %s" % " ".join(map(str, want)))
        if len(got) != len(want):
            print("FAIL: %d tokens generated, expected %d" % (len(got), len(want)))
            return 1
        if got == want:
            print("PASS")
            return 0
        i = next(j for j in range(len(want)) if got[j] != want[j])
        logits = model.forward(tokens + want[:i])[-1]
        gap = abs(logits[want[i]] - logits[got[i]]) if 0 <= got[i] < V else float("inf")
        scale = np.max(np.abs(logits))
        print("first difference at step %d: %d instead of %d; reference logits %.6g vs %.6g "
              "(gap %.3e, %.3e of max |logit|)" % (
                  i, got[i], want[i], logits[want[i]],
                  logits[got[i]] if 0 <= got[i] < V else float("nan"), gap, gap / scale))
        if gap <= a.tie_tol * scale:
            print("PASS (diverged on a near-tie, within --tie-tol %.0e)" % a.tie_tol)
            return 0
        print("FAIL: greedy tokens differ from the reference (reproduce with --seed %d)" % seed)
        return 1

    out_path = os.path.join(w, "logits.npy")
    extra = ["--decode-from=%d" % a.decode_from] if a.decode_from is not None else []
    if run(run_cmd + ["--logits=" + out_path] + extra + a.run_flag, "retc-run", a.timeout) is None:
        return 1
    if not os.path.exists(out_path):
        print("FAIL: retc-run wrote no %s" % out_path)
        return 1
    try:
        got = np.load(out_path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - any unreadable file is a failure
        print("FAIL: cannot read %s: %s" % (out_path, e))
        return 1
    T = len(tokens)
    if got.dtype.kind != "f":
        print("FAIL: logits have dtype %s, expected floating point" % got.dtype)
        return 1
    if got.shape != (T, V):
        print("FAIL: logits have shape %s, expected %s" % (list(got.shape), [T, V]))
        return 1
    bad = ~np.isfinite(got)
    if bad.any():
        t, v = (int(i) for i in np.argwhere(bad)[0])
        print("FAIL: %d non-finite logits (first at token %d, id %d: %r)"
              % (int(bad.sum()), t, v, got[t, v]))
        return 1
    def reference(m):
        if a.decode_from is not None:
            return m.logits_with_decode(tokens, a.decode_from)
        return m.forward(tokens)
    want = reference(model)
    sensitivity = f32_sensitivity(model, want, reference, seed)
    want = want * a.perturb
    e = retention_ref.rel_err(got, want)
    tol = max(a.tol, a.cond_margin * sensitivity)
    print("rel_err=%.3e (tol %.1e; f32 sensitivity %.1e%s)  max |logits - ref| = %.3e "
          "(max |ref| %.3e)" % (
              e, a.tol, sensitivity,
              ", so tol %.1e" % tol if tol > a.tol else "",
              np.max(np.abs(got - want)), np.max(np.abs(want))))
    log = os.environ.get("RETC_CHECK_MODEL_LOG")
    if log:
        # Measurement hook (docs/testing.md): one line per comparison.
        with open(log, "a") as f:
            f.write("%s\t%s\tT=%d\trel_err=%.3e\tsensitivity=%.3e\n" % (
                pkg, "decode-from=%d" % a.decode_from if a.decode_from is not None else "logits",
                T, e, sensitivity))
    argmax_same = int(np.sum(np.argmax(got, axis=1) == np.argmax(want, axis=1)))
    print("argmax agrees at %d of %d tokens" % (argmax_same, T))
    if not e <= tol:
        per = np.linalg.norm(got - want, axis=1) / np.maximum(np.linalg.norm(want, axis=1), 1e-300)
        t = int(np.argmax(per))
        print("  worst token: index %d (id %d), rel err %.3e; first token above tol: %s" % (
            t, tokens[t], per[t],
            next((str(i) for i in range(T) if per[i] > tol), "none")))
        print("FAIL: relative error above tolerance (reproduce with --seed %d)" % seed)
        return 1
    print("PASS")
    return 0


def check_batch(model, a, pkg, weights, seed, w):
    """decode_batch through retc-run --batch: a random schedule of a.batch
    sequences (each with its own prompt length, join step in [0,
    a.batch_joins) and number of fed tokens, so that rows join and leave
    between steps and the batch compacts), each prompt's last logits
    (prompts joining at one step are prefilled together, packed into one
    prefill_batch call where the package has it) and every fed token's
    logits against the reference's logits at that position of the
    sequence alone."""
    V = model.config.vocab_size
    rng = np.random.default_rng(seed)
    sequences = []
    for _ in range(a.batch):
        prompt = [int(t) for t in rng.integers(0, V, size=int(rng.integers(1, a.batch_prompt + 1)))]
        fed = [int(t) for t in rng.integers(0, V, size=int(rng.integers(1, a.batch_steps + 1)))]
        sequences.append((int(rng.integers(0, a.batch_joins)), prompt, fed))
    schedule = os.path.join(w, "schedule.txt")
    with open(schedule, "w") as f:
        f.write("# JOIN: PROMPT | FED (check_model.py --batch, seed %d)\n" % seed)
        for join, prompt, fed in sequences:
            f.write("%d: %s | %s\n" % (join, ",".join(map(str, prompt)),
                                       ",".join(map(str, fed))))
    print("seed = %d  batch of %d sequences: prompts of %s tokens, %s fed, joining at %s" % (
        seed, a.batch, [len(p) for _, p, _ in sequences],
        [len(f) for _, _, f in sequences], [j for j, _, _ in sequences]))
    out_path = os.path.join(w, "logits.npy")
    out = run(shlex.split(a.retc_run) + [pkg, "--weights=" + weights, "--batch=" + schedule,
                                         "--logits=" + out_path] + a.run_flag,
              "retc-run", a.timeout)
    if out is None:
        return 1
    print(out.rstrip())
    got = np.load(out_path, allow_pickle=False)
    rows = sum(1 + len(f) for _, _, f in sequences)
    if got.shape != (rows, V):
        print("FAIL: logits have shape %s, expected %s" % (list(got.shape), [rows, V]))
        return 1

    def reference(m):
        return np.concatenate([m.forward(p + f)[len(p) - 1:] for _, p, f in sequences])
    want = reference(model)
    sensitivity = f32_sensitivity(model, want, reference, seed)
    e = retention_ref.rel_err(got, want)
    tol = max(a.tol, a.cond_margin * sensitivity)
    print("rel_err=%.3e over %d rows (tol %.1e; f32 sensitivity %.1e%s)" % (
        e, rows, a.tol, sensitivity, ", so tol %.1e" % tol if tol > a.tol else ""))
    start = 0
    worst = []
    for i, (_, p, f) in enumerate(sequences):
        end = start + 1 + len(f)
        part = retention_ref.rel_err(got[start:end], want[start:end])
        worst.append((part, i))
        start = end
    part, i = max(worst)
    print("worst sequence: %d (rel err %.3e)" % (i, part))
    if not (np.isfinite(got).all() and e <= tol and part <= tol):
        print("FAIL: relative error above tolerance (reproduce with --seed %d)" % seed)
        return 1
    print("PASS")
    return 0


def perturbed_model(model, seed):
    """`model` with every weight scaled by an independent 1 + u 2^-24, u
    uniform in [-1, 1] (one f32 rounding's worth); seeded, so that a run is
    reproducible."""
    rng = np.random.default_rng(seed)
    weights = {name: w * (1.0 + rng.uniform(-1.0, 1.0, w.shape) * 2.0 ** -24)
               for name, w in model.w.items()}
    return ref.RetNetModel(model.config, weights)


def f32_sensitivity(model, want, reference, seed):
    """||reference(model') - want|| / ||want||, model' the perturbed_model
    (seeded by the token seed)."""
    return retention_ref.rel_err(reference(perturbed_model(model, seed)), want)


def check_sampled(model, tokens, got, a):
    """Each generated token is among the reference's K largest logits."""
    V = model.config.vocab_size
    print("generated: %s" % " ".join(map(str, got)))
    if len(got) != a.generate:
        print("FAIL: %d tokens generated, expected %d" % (len(got), a.generate))
        return 1
    for i, t in enumerate(got):
        logits = model.forward(tokens + got[:i])[-1]
        kth = np.sort(logits)[::-1][a.sample_top_k - 1]
        slack = a.tie_tol * np.max(np.abs(logits))
        if not (0 <= t < V) or logits[t] < kth - slack:
            print("FAIL: token %d at step %d is not among the reference's %d largest logits "
                  "(its logit %.6g; the smallest of the top %d is %.6g)" % (
                      t, i, a.sample_top_k, logits[t] if 0 <= t < V else float("nan"),
                      a.sample_top_k, kth))
            return 1
    print("every token is among the reference's %d largest logits at its step"
          % a.sample_top_k)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
