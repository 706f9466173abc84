#!/usr/bin/env python3
"""A stand-in for `retc` and `retc-run` on whole models, to test check_model.py.

    fake_retc_model.py compile MODEL --target=cpu -o PKG
    fake_retc_model.py run PKG --weights=W --tokens=1,2,3 (--logits=OUT.npy
                       [--decode-from=P] | --generate=N) [--bug=KIND]

`compile` writes a package with the real header and a manifest whose `model`
object holds the resolved configuration (no blob). `run` computes the logits
with the float64 reference rounded to float32 (the runtime's output type), or
greedy tokens, printed as `tokens: 1 2 3`. --bug=KIND injects one mistake, so
that tests can show the checker catches it: no-rotary, decode-position
(decode steps at position 0), nan, wrong-shape, no-output, wrong-token
(generate), no-tokens-line (generate), crash, batch-position (--batch).
`run --batch=SCHEDULE --logits=OUT.npy` (retc-run's batch schedule) writes
each prompt's last logits and every fed token's, each sequence alone.
"""

import hashlib
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retnet_model_ref as ref  # noqa: E402

BUGS = ("no-rotary", "decode-position", "nan", "wrong-shape", "no-output", "wrong-token",
        "no-tokens-line", "crash", "batch-position")


def flags(args):
    out, pos = {}, []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and "=" in a:
            k, v = a[2:].split("=", 1)
            out[k] = v
        elif a == "-o":
            out["o"] = args[i + 1]
            i += 1
        elif a.startswith("--"):
            out[a[2:]] = args[i + 1]
            i += 1
        else:
            pos.append(a)
        i += 1
    return out, pos


def compile_model(args):
    f, pos = flags(args)
    if pos[0].endswith(".ret"):
        # A stand-in .ret file: the fake reads an HF config.json written
        # under that name (it cannot parse the real language).
        with open(pos[0]) as cf:
            config = ref.RetNetConfig.from_hf(json.load(cf), pos[0])
    else:
        config = ref.load_hf_config(pos[0])
    manifest = {"format": "retc-package", "version": 2, "producer": "fake_retc_model",
                "target": {"kind": "cpu", "triple": "x86_64-pc-linux-gnu"},
                "kernels": [], "blobs": [],
                "model": {"blob": "model.so", "config": config.to_resolved(),
                          "weights": [{"name": n, "dtype": "f32", "shape": list(s)}
                                      for n, s in config.weight_shapes()],
                          "state": {"dtype": "f32", "shape": list(config.state_shape())}}}
    text = json.dumps(manifest).encode()
    with open(f["o"], "wb") as out:
        out.write(b"RETCPKG\0" + struct.pack("<IIQ", 2, 0, len(text)) +
                  hashlib.sha256(text).digest() + text)
    return 0


def run_model(args):
    f, pos = flags(args)
    bug = f.get("bug")
    if bug == "crash":
        print("fake_retc_model: Segmentation fault (simulated)", file=sys.stderr)
        return 139
    with open(pos[0], "rb") as pf:
        head = pf.read(56)
        (size,) = struct.unpack("<Q", head[16:24])
        manifest = json.loads(pf.read(size))
    config = ref.RetNetConfig.from_resolved(manifest["model"]["config"])
    model = ref.load_model(None, weights_path=f["weights"], config=config)
    if "batch" in f:
        return run_batch(model, f, bug)
    tokens = ref.parse_tokens(f["tokens"])
    if bug == "no-rotary":
        ref.rotary = lambda x, p, b: x
    if "generate" in f:
        got = model.generate_greedy(tokens, int(f["generate"]))
        if bug == "wrong-token":
            got[-1] = (got[-1] + 1) % config.vocab_size
        if bug != "no-tokens-line":
            print("generated %d tokens" % len(got))
            print("tokens: " + " ".join(map(str, got)))
        return 0
    if "decode-from" in f:
        P = int(f["decode-from"])
        lg, S = model.forward(tokens[:P], return_state=True)
        rows = [lg]
        for i in range(P, len(tokens)):
            step, S = model.decode(tokens[i], S, 0 if bug == "decode-position" else i)
            rows.append(step[None])
        logits = np.concatenate(rows)
    else:
        logits = model.forward(tokens)
    logits = logits.astype(np.float32)
    if bug == "nan":
        logits[len(tokens) // 2, 3] = np.nan
    if bug == "wrong-shape":
        logits = logits[:, :-1]
    if bug != "no-output":
        np.save(f["logits"], logits)
    return 0


def run_batch(model, f, bug):
    """retc-run --batch SCHEDULE: each sequence's prompt (its last
    logits the sequence's first row), then its fed tokens decoded one at a time (the reference's recurrent step at each
    position); --bug=batch-position decodes every sequence at the first
    sequence's positions (a row reading another's position)."""
    rows, first = [], None
    with open(f["batch"]) as sf:
        for line in sf:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            _, rest = line.split(":", 1)
            prompt, fed = (ref.parse_tokens(x.strip()) for x in rest.split("|"))
            logits, S = model.forward(prompt, return_state=True)
            rows.append(logits[-1][None])
            if first is None:
                first = len(prompt)
            for i, t in enumerate(fed):
                pos = (first if bug == "batch-position" else len(prompt)) + i
                step, S = model.decode(t, S, pos)
                rows.append(step[None])
    np.save(f["logits"], np.concatenate(rows).astype(np.float32))
    print("batch: fake")
    return 0


def main(argv):
    if not argv or argv[0] not in ("compile", "run"):
        print("usage: fake_retc_model.py compile|run ...", file=sys.stderr)
        return 2
    try:
        return (compile_model if argv[0] == "compile" else run_model)(argv[1:])
    except ref.ModelError as e:
        print("fake_retc_model: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
