#!/usr/bin/env python3
"""A stand-in for `retc` + `retc-run`, used only to test check_retention.py.

  fake_retc.py compile <retc flags> [--bug=KIND] -o PKG
  fake_retc.py run PKG --input q=... --input k=... --input v=... [--input s0=...]
                   --output-dir DIR

`compile` writes the flags to PKG as JSON (this is not the real package
format). `run` computes the chunkwise form in float32 with numpy, rounding the
inputs to the requested type, and writes o.npy and state.npy. `--bug` plants
a defect so the checker's failure paths can be tested:
  xi-off-by-one  decays the carried state by gamma^j instead of gamma^(j+1)
  ignore-s0      drops the initial state
  nan            writes a NaN into o
  mask-by-zero   masks the score tile by multiplying with 0 and sums A V over
                 the whole chunk (0 * NaN = NaN: a poisoned k or v reaches
                 earlier rows; test/lib/check_causality.py catches it)
  state-half     carries the state in the input type (bf16/f16), rounded
                 after every chunk
  zero-row       writes zeros into one row of o (the last batch and head,
                 the middle token)
  wrong-decay    gives head 1 the decay of head 0
  s0-rounded     rounds the initial state to the input type
  wrong-shape    writes o with its last two axes swapped
  no-state       does not write state.npy
  crash          exits with status 3 from `run`
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref as ref  # noqa: E402  (rounding and decay schedules only)

BUGS = ("none", "xi-off-by-one", "ignore-s0", "nan", "wrong-shape", "no-state", "crash",
        "mask-by-zero", "state-half", "zero-row", "wrong-decay", "s0-rounded")


def compile_main(argv):
    p = argparse.ArgumentParser(prog="fake_retc.py compile")
    p.add_argument("--kernel", required=True, choices=["retention"])
    p.add_argument("--form", required=True, choices=["parallel", "chunkwise", "recurrent"])
    p.add_argument("--chunk", type=int, default=64)
    p.add_argument("--shape", required=True)
    p.add_argument("--dtype", default="f32", choices=["f32", "bf16", "f16"])
    p.add_argument("--initial-state", action="store_true")
    p.add_argument("--decay", default="retnet")
    p.add_argument("--scale", type=float)
    p.add_argument("--target", default="cpu")
    p.add_argument("--bug", default="none", choices=BUGS)
    p.add_argument("-o", required=True)
    a = p.parse_args(argv)
    shape = [int(x) for x in a.shape.split(",")]
    gamma = ref.decay_schedule(shape[2], a.decay).tolist()
    with open(a.o, "w") as f:
        json.dump({"fake": True, "form": a.form, "chunk": a.chunk, "shape": shape,
                   "dtype": a.dtype, "initial_state": a.initial_state,
                   "gamma": gamma, "scale": a.scale, "bug": a.bug}, f)
    return 0


def chunkwise_f32(q, k, v, s0, gamma, scale, C, bug, dtype="f32"):
    """Chunkwise retention in float32, written independently of retention_ref."""
    B, T, H, K = q.shape
    V = v.shape[3]
    f = np.float32
    S = s0.astype(f).copy()  # [B,H,K,V]
    lg = np.log2(np.asarray(gamma, dtype=np.float64))  # [H]
    O = np.zeros((B, T, H, V), dtype=f)
    for h in range(H):
        for start in range(0, T, C):
            L = min(C, T - start)
            j = np.arange(L)
            Qi = q[:, start:start + L, h] * f(scale)        # [B,L,K]
            Ki = k[:, start:start + L, h]
            Vi = v[:, start:start + L, h]
            diff = j[:, None] - j[None, :]
            D = np.where(diff >= 0, np.exp2(lg[h] * np.maximum(diff, 0)), 0).astype(f)
            xi_pow = j if bug == "xi-off-by-one" else j + 1
            xi = np.exp2(lg[h] * xi_pow).astype(f)
            zeta = np.exp2(lg[h] * (L - 1 - j)).astype(f)
            inter = (Qi * xi[None, :, None]) @ S[:, h]
            if bug == "mask-by-zero":
                A = (Qi @ Ki.transpose(0, 2, 1)) * D       # [B,L,L]
                O[:, start:start + L, h] = A @ Vi + inter
            else:
                # Row n sums over its own columns m <= n only: masked terms
                # are left out, never multiplied by 0.
                for n in range(L):
                    a = (Qi[:, n:n + 1] @ Ki[:, :n + 1].transpose(0, 2, 1)) * D[n, :n + 1]
                    O[:, start + n, h] = (a @ Vi[:, :n + 1])[:, 0] + inter[:, n]
            S[:, h] = f(np.exp2(lg[h] * L)) * S[:, h] + Ki.transpose(0, 2, 1) @ (
                Vi * zeta[None, :, None])
            if bug == "state-half":
                S[:, h] = ref.round_to_dtype(S[:, h], dtype)
    return O, S


def run_main(argv):
    p = argparse.ArgumentParser(prog="fake_retc.py run")
    p.add_argument("package")
    p.add_argument("--input", action="append", default=[])
    p.add_argument("--output-dir", required=True)
    a = p.parse_args(argv)
    with open(a.package) as f:
        m = json.load(f)
    if m["bug"] == "crash":
        print("fake_retc: planted crash", file=sys.stderr)
        return 3
    ins = dict(x.split("=", 1) for x in a.input)
    B, T, H, K, V = m["shape"]
    q, k, v = (ref.round_to_dtype(np.load(ins[n]), m["dtype"]) for n in ("q", "k", "v"))
    s0 = np.zeros((B, H, K, V), np.float32)
    if m["initial_state"] and m["bug"] != "ignore-s0":
        s0 = np.load(ins["s0"]).astype(np.float32)
        if m["bug"] == "s0-rounded":
            s0 = ref.round_to_dtype(s0, m["dtype"]).astype(np.float32)
    gamma = list(m["gamma"])
    if m["bug"] == "wrong-decay" and H > 1:
        gamma[1] = gamma[0]
    scale = m["scale"] if m["scale"] is not None else K ** -0.5
    C = m["chunk"] if m["form"] == "chunkwise" else (1 if m["form"] == "recurrent" else T)
    o, st = chunkwise_f32(q, k, v, s0, gamma, scale, C, m["bug"], m["dtype"])
    if m["bug"] == "zero-row":
        o[B - 1, T // 2, H - 1, :] = 0
    if m["bug"] == "nan":
        o[0, -1, 0, 0] = np.nan
    if m["bug"] == "wrong-shape":
        o = np.ascontiguousarray(o.transpose(0, 1, 3, 2))
    os.makedirs(a.output_dir, exist_ok=True)
    np.save(os.path.join(a.output_dir, "o.npy"), o)
    if m["bug"] != "no-state":
        np.save(os.path.join(a.output_dir, "state.npy"), st)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("compile", "run"):
        print(__doc__)
        sys.exit(2)
    sys.exit((compile_main if sys.argv[1] == "compile" else run_main)(sys.argv[2:]))
