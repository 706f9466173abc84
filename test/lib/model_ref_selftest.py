#!/usr/bin/env python3
"""Self-tests of the whole-model reference and its file helpers.

    model_ref_selftest.py WORKDIR forms|pieces|controls|safetensors|corrupt|config [--seed S]

forms        forward (parallel), forward (chunkwise) and prefill/decode
             (recurrent, token by token) agree to 1e-12 on random checkpoints:
             MHA, GQA, MQA, tied head, no output gate, bf16/f16 weights,
             T = 1, T below, at and above a chunk, a decode from a state,
             the segmented forward of the long runs.
pieces       rotary and retention as the model uses them, against naive
             formulas written independently (complex rotation; an explicit
             double loop over tokens with the GQA head map).
controls     the random checkpoints are not degenerate: each plausible
             mistake (interleaved rotary, no rotary, gate before norm, one
             decay off by 1e-2, tiled GQA map, decode at the wrong position,
             per-head norm weight ignored, ...) moves the logits by more than
             1e-3 relative (100x check_model's default tolerance).
safetensors  round trips for F32, F16, BF16 (with rounding), metadata,
             alignment, a hand-built file.
corrupt      every kind of the corrupt-file generator gives the error it claims.
config       config.json resolution: FFN width rounding, GQA, unsupported
             options refused by name.

Prints one line per case and `ALL OK`; exits 1 at the first failure.
"""

import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_random_retnet as mk  # noqa: E402
import retention_ref  # noqa: E402
import retnet_model_ref as ref  # noqa: E402
import safetensors_np as st  # noqa: E402

rel_err = retention_ref.rel_err


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


# Checkpoint shapes: (name, options for make_random_retnet.write_checkpoint).
CASES = [
    ("mha", dict(hidden=64, layers=2, heads=4)),
    ("gqa", dict(hidden=48, layers=2, heads=6, kv_heads=2, expand_k=0.5, expand_v=1.0)),
    ("mqa-tied", dict(hidden=32, layers=1, heads=4, kv_heads=1, tie=True, vocab=61)),
    ("no-gate", dict(hidden=40, layers=3, heads=2, output_gate=False, ffn=72)),
    ("bf16", dict(hidden=64, layers=2, heads=4, dtype="bf16", vocab=129)),
    ("f16-gqa-tied", dict(hidden=32, layers=2, heads=4, kv_heads=2, tie=True,
                          dtype="f16", expand_v=1.0)),
]


def make(workdir, name, seed, **opts):
    d = os.path.join(workdir, name)
    mk.write_checkpoint(d, seed=seed, **opts)
    return ref.load_model(d)


def cmd_forms(workdir, rng):
    worst = 0.0
    for i, (name, opts) in enumerate(CASES):
        m = make(workdir, name, seed=int(rng.integers(1 << 31)), **opts)
        V = m.config.vocab_size
        for T in (1, 7, 63, 64, 65, 130):
            if T > 65 and name not in ("mha", "gqa"):
                continue
            toks = rng.integers(0, V, size=T)
            lf, sf = m.forward(toks, return_state=True)
            lc, sc = m.forward(toks, return_state=True, chunk=64)
            lr, sr = m.prefill(toks)
            errs = [rel_err(lc, lf), rel_err(sc, sf), rel_err(lr, lf), rel_err(sr, sf)]
            expect(np.all(np.isfinite(lf)), "%s T=%d: non-finite logits" % (name, T))
            print("%s T=%d: chunkwise %.1e state %.1e  recurrent %.1e state %.1e"
                  % ((name, T) + tuple(errs)))
            expect(max(errs) <= 1e-12, "%s T=%d: forms disagree" % (name, T))
            worst = max(worst, max(errs))
        # Continuing a sequence: forward from a state at a position equals
        # the whole sequence at once, and decode-from-P equals forward.
        toks = rng.integers(0, V, size=20)
        whole = m.forward(toks)
        head, S = m.forward(toks[:12], return_state=True)
        tail = m.forward(toks[12:], position=12, state=S)
        e1 = rel_err(np.concatenate([head, tail]), whole)
        e2 = rel_err(m.logits_with_decode(list(toks), 5), whole)
        e3 = rel_err(np.concatenate([lg for _, lg in m.forward_segments(
            toks, segment=7, chunk=3)]), whole)
        gen = m.generate_greedy(list(toks[:6]), 5)
        seq = list(toks[:6])
        for _ in range(5):  # greedy by full recomputation, the slow way
            seq.append(int(np.argmax(m.forward(seq)[-1])))
        print("%s: split forward %.1e  decode-from-5 %.1e  segments of 7 %.1e  greedy %s"
              % (name, e1, e2, e3, gen))
        expect(max(e1, e2, e3) <= 1e-12, "%s: continuing a sequence disagrees" % name)
        expect(gen == seq[6:], "%s: greedy %s != recomputed %s" % (name, gen, seq[6:]))
        worst = max(worst, e1, e2, e3)
    print("forms agree: worst %.2e (tol 1e-12)" % worst)


def naive_rotary(x, positions, base):
    """x [T, H, D]: each pair (x[i], x[i+D/2]) as the complex number
    x[i] + j x[i+D/2], multiplied by exp(j * pos * base^(-2i/D))."""
    T, H, D = x.shape
    out = np.empty_like(x)
    for t in range(T):
        for i in range(D // 2):
            theta = positions[t] * math.pow(base, -2.0 * i / D)
            for h in range(H):
                z = complex(x[t, h, i], x[t, h, i + D // 2]) * complex(math.cos(theta),
                                                                       math.sin(theta))
                out[t, h, i], out[t, h, i + D // 2] = z.real, z.imag
    return out


def naive_retention(q, k, v, kv_of_head, gammas, scale):
    """o[t, h] = scale * sum_{m<=t} gamma_h^(t-m) (q[t,h] . k[m,j]) v[m,j],
    j = kv_of_head[h]; q [T, H, Dk], k [T, Hkv, Dk], v [T, Hkv, Dv]."""
    T, H, _ = q.shape
    o = np.zeros((T, H, v.shape[2]))
    for h in range(H):
        j = kv_of_head[h]
        for t in range(T):
            for m in range(t + 1):
                o[t, h] += scale * gammas[h] ** (t - m) * np.dot(q[t, h], k[m, j]) * v[m, j]
    return o


def cmd_pieces(workdir, rng):
    # Rotary against the complex-number formula, at large absolute positions.
    x = rng.standard_normal((5, 3, 12))
    pos = np.array([0, 1, 2, 1000, 4095])
    e = rel_err(ref.rotary(x, pos, 10000.0), naive_rotary(x, pos, 10000.0))
    print("rotary vs complex rotation: %.1e" % e)
    expect(e <= 1e-14, "rotary disagrees with the naive formula")
    # Relative positions: <rot(q, m), rot(k, n)> depends on m - n only.
    q, k = rng.standard_normal((2, 1, 1, 16))
    d1 = np.dot(ref.rotary(q, [7], 10000.0).ravel(), ref.rotary(k, [3], 10000.0).ravel())
    d2 = np.dot(ref.rotary(q, [104], 10000.0).ravel(), ref.rotary(k, [100], 10000.0).ravel())
    print("rotary relative-position property: %.1e" % abs(d1 - d2))
    expect(abs(d1 - d2) <= 1e-12 * max(1.0, abs(d1)), "rotary is not relative")
    # Position 0 is the identity; the first pair rotates by exactly pos radians.
    expect(np.array_equal(ref.rotary(x, np.zeros(5), 10000.0), x), "rotary at 0 not identity")
    y = ref.rotary(np.eye(8)[None, None, 0], [1.0], 10000.0).ravel()
    expect(abs(y[0] - math.cos(1)) < 1e-15 and abs(y[4] - math.sin(1)) < 1e-15,
           "first rotary pair does not turn by 1 radian at position 1")
    # Retention inside the model (GQA map + retention_ref) against the loop.
    T, H, Hkv, Dk, Dv = 9, 6, 2, 4, 3
    q = rng.standard_normal((T, H, Dk))
    k = rng.standard_normal((T, Hkv, Dk))
    v = rng.standard_normal((T, Hkv, Dv))
    G = H // Hkv
    gam = ref.RetNetConfig(8, 1, H, Hkv, Dk, Dv, 8, 8).decay
    expect(np.allclose(gam, [1 - 2.0 ** (-5 - h) for h in range(H)], rtol=0, atol=0),
           "default decays are not 1 - 2^(-5-h)")
    o, _ = retention_ref.retention_parallel(
        q[None], ref.expand_kv(k, G)[None], ref.expand_kv(v, G)[None],
        gamma=gam, scale=Dk ** -0.5)
    want = naive_retention(q, k, v, [h // G for h in range(H)], gam, Dk ** -0.5)
    e = rel_err(o[0], want)
    print("retention with GQA vs double loop: %.1e" % e)
    expect(e <= 1e-13, "retention with GQA disagrees with the naive loop")
    # RMSNorm and swish against their definitions.
    xr = rng.standard_normal((3, 10))
    w = rng.standard_normal(10)
    want = np.array([[xr[i, j] / math.sqrt(sum(t * t for t in xr[i]) / 10 + 1e-6) * w[j]
                      for j in range(10)] for i in range(3)])
    expect(rel_err(ref.rms_norm(xr, w, 1e-6), want) <= 1e-15, "rms_norm")
    xs = np.array([-800.0, -3.0, 0.0, 0.5, 40.0])
    want = np.array([t / (1.0 + math.exp(-t)) if t > -700 else 0.0 for t in xs])
    expect(np.allclose(ref.swish(xs), want, rtol=1e-15, atol=1e-300), "swish")
    print("rms_norm and swish match their definitions")


def cmd_controls(workdir, rng):
    """Each mistake must move the logits by > 1e-3 relative."""
    m = make(workdir, "controls", seed=int(rng.integers(1 << 31)),
             hidden=48, layers=2, heads=6, kv_heads=2, expand_k=0.5, expand_v=1.0)
    toks = rng.integers(0, m.config.vocab_size, size=40)
    good = m.forward(toks)
    orig = {n: getattr(ref, n) for n in ("rotary", "expand_kv", "swish")}

    def interleaved(x, positions, base):
        D = x.shape[-1]
        cos, sin = ref.rotary_tables(positions, D, base)
        cos, sin = cos[:, None, :], sin[:, None, :]
        x1, x2 = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2], out[..., 1::2] = x1 * cos - x2 * sin, x2 * cos + x1 * sin
        return out

    def run(what, patch=None, **fw):
        """patch() makes the mistake and returns a function that undoes it."""
        undo = patch() if patch else (lambda: None)
        try:
            lg = m.forward(toks, **fw)
        finally:
            undo()
        e = rel_err(lg, good)
        print("control %-34s moves the logits by %.2e" % (what, e))
        expect(e > 1e-3, "control '%s' went unnoticed (%.2e)" % (what, e))

    def setp(obj, name, val):
        def patch():
            old = getattr(obj, name)
            setattr(obj, name, val)
            return lambda: setattr(obj, name, old)
        return patch

    def set_item(d, key, val):
        def patch():
            old = d[key]
            d[key] = val
            return lambda: d.__setitem__(key, old)
        return patch

    run("interleaved rotary", setp(ref, "rotary", interleaved))
    run("no rotary", setp(ref, "rotary", lambda x, p, b: x))
    run("tiled GQA head map", setp(ref, "expand_kv", lambda x, g: np.tile(x, (1, g, 1))))
    c = m.config
    run("one decay off by 1e-2", setp(c, "decay", c.decay * np.where(
        np.arange(c.num_heads) == 3, 1 - 1e-2, 1.0)))
    run("rotary base 10000 -> 500000", setp(c, "rotary_base", 500000.0))
    name = "model.layers.1.attn.g_norm_swish_gate.weight"
    run("per-head norm weight ignored", set_item(m.w, name, np.ones_like(m.w[name])))
    run("norm eps 1e-6 -> 1e-2", setp(c, "norm_eps", 1e-2))
    # The remaining mistakes change code paths: monkeypatch the method.
    attn_out = ref.RetNetModel._attn_out

    def gate_first(self, l, o, g):
        p = "model.layers.%d.attn." % l
        o = o * ref.swish(g)
        o = ref.rms_norm(o, self.w[p + self.config.g_norm_name + ".weight"],
                         self.config.norm_eps)
        return o.reshape(o.shape[0], -1) @ self.w[p + "o_proj.weight"].T
    run("gate before the per-head norm", setp(ref.RetNetModel, "_attn_out", gate_first))
    assert ref.RetNetModel._attn_out is attn_out
    qkvg = ref.RetNetModel._qkvg

    def no_scale(self, l, x, positions):
        q, k, v, g = qkvg(self, l, x, positions)
        return q * math.sqrt(self.config.head_k_dim), k, v, g
    # Not a control but a fact worth knowing: a per-row scale on q is
    # cancelled by the per-head RMSNorm that follows except through its eps
    # (docs/dialect.md, "Normalisations"), so the logits see a missing K^-1/2 only weakly
    # (1e-6 .. 2e-3 over seeds: rows with a small retention output feel eps).
    undo = setp(ref.RetNetModel, "_qkvg", no_scale)()
    try:
        e = rel_err(m.forward(toks), good)
    finally:
        undo()
    print("weak: no K^-1/2 scale moves the logits by only %.2e "
          "(the per-head norm cancels it except through eps)" % e)
    expect(e < 0.05, "the scale was not cancelled by the per-head norm")
    for n, f in orig.items():
        expect(getattr(ref, n) is f, "a control left %s patched" % n)
    # Rotary is relative, so a whole sequence shifted in position gives the
    # same logits; absolute positions matter against a state.
    _, S12 = m.forward(toks[:12], return_state=True)
    right = m.forward(toks[12:], position=12, state=S12)
    wrong = m.forward(toks[12:], position=0, state=S12)
    e = rel_err(wrong, right)
    print("control %-34s moves the logits by %.2e" % ("continuation at position 0", e))
    expect(e > 1e-3, "continuation position went unnoticed")
    # Decode at the wrong position.
    _, S = m.forward(toks[:20], return_state=True)
    right, _ = m.decode(int(toks[20]), S, 20)
    wrong, _ = m.decode(int(toks[20]), S, 0)
    e = rel_err(wrong, right)
    print("control %-34s moves the logits by %.2e" % ("decode at position 0", e))
    expect(e > 1e-3, "decode position went unnoticed")


def cmd_safetensors(workdir, rng):
    path = os.path.join(workdir, "rt.safetensors")
    a32 = rng.standard_normal((3, 5)).astype(np.float32)
    a16 = rng.standard_normal((7,)).astype(np.float16)
    abf = rng.standard_normal((2, 3, 4)).astype(np.float32)
    i64 = np.arange(6, dtype=np.int64).reshape(2, 3)
    st.save(path, {"a.f32": a32, "a.f16": a16, "a.bf16": abf, "ids": i64},
            dtype={"a.bf16": "BF16"}, metadata={"format": "pt", "k": "v"})
    back, dts = st.load(path, with_dtypes=True)
    expect(dts == {"a.f32": "F32", "a.f16": "F16", "a.bf16": "BF16", "ids": "I64"},
           "dtypes after round trip: %s" % dts)
    expect(np.array_equal(back["a.f32"], a32) and back["a.f32"].dtype == np.float32, "F32")
    expect(np.array_equal(back["a.f16"], a16) and back["a.f16"].dtype == np.float16, "F16")
    expect(np.array_equal(back["ids"], i64), "I64")
    expect(np.array_equal(back["a.bf16"], retention_ref.round_to_bf16(abf)),
           "BF16 is not round-to-nearest-even of the f32 data")
    expect(st.load_metadata(path) == {"format": "pt", "k": "v"}, "metadata")
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
    expect(n % 8 == 0, "header length %d not a multiple of 8" % n)
    print("round trip F32 F16 BF16 I64 + metadata: OK (header %d bytes)" % n)
    # F16 and BF16 writing from float32 and float64 data: round to nearest even.
    x = rng.standard_normal(1000) * 10.0
    st.save(path, {"h": x, "b": x}, dtype="F16")
    expect(np.array_equal(st.load(path)["h"], x.astype(np.float32).astype(np.float16)),
           "F16 from float64")
    st.save(path, {"b": x}, dtype="BF16")
    expect(np.array_equal(st.load(path)["b"], retention_ref.round_to_bf16(x)), "BF16 from f64")
    # bf16 bit patterns worked by hand (ties to even, both ways; inf; nan).
    cases = [(1.0, 0x3F80), (1.0 + 2.0 ** -8, 0x3F80), (1.0 + 3 * 2.0 ** -8, 0x3F82),
             (-2.0, 0xC000), (3.0e38, 0x7F62), (3.4e38, 0x7F80), (0.0, 0x0000)]
    bits = st.f32_to_bf16_bits(np.array([c[0] for c in cases], dtype=np.float32))
    expect([int(b) for b in bits] == [c[1] for c in cases],
           "bf16 bits %s != %s" % ([hex(b) for b in bits], [hex(c[1]) for c in cases]))
    nb = st.f32_to_bf16_bits(np.array([np.nan], dtype=np.float32))
    expect(np.isnan(st.bf16_bits_to_f32(nb))[0], "NaN did not stay NaN in bf16")
    # A file built by hand, byte by byte, reads back.
    hdr = json.dumps({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
                      "__metadata__": {"x": "y"}}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)) + hdr + bytes([0x80, 0x3F, 0x00, 0xC0]))
    expect(np.array_equal(st.load(path)["w"], np.array([1.0, -2.0], np.float32)),
           "hand-built BF16 file")
    print("bf16 rounding and a hand-built file: OK")


def cmd_corrupt(workdir, rng):
    d = os.path.join(workdir, "ck")
    mk.write_checkpoint(d, hidden=16, layers=1, heads=2, vocab=10, ffn=32, seed=3)
    good = os.path.join(d, "model.safetensors")
    cfg = ref.load_hf_config(d)
    k = "model.layers.0.attn.k_proj.weight"
    want = {
        "truncated-header": "runs past the end of the file",
        "header-length-past-eof": "runs past the end of the file",
        "invalid-json": "header is not valid JSON",
        "offsets-out-of-range": "tensor '%s': data_offsets" % k,
        "offsets-wrong-size": "tensor '%s': data_offsets" % k,
        "unknown-dtype": "tensor '%s': unknown dtype 'Q4'" % k,
        "truncated-data": "run past the end of the data section",
        "missing-tensor": "missing tensor '%s'" % k,
        "extra-tensor": "unexpected tensor 'extra.unexpected.weight'",
        "misnamed-tensor": "missing tensor '%s'" % k,
        "wrong-shape": "tensor '%s' has shape [16, 16], expected [16, 16]" % k,
    }
    # k_proj of this model is square: wrong-shape flattens it instead.
    want["wrong-shape"] = "tensor '%s' has shape [256], expected [16, 16]" % k
    for kind in st.CORRUPTIONS:
        bad = os.path.join(workdir, "bad-%s.safetensors" % kind)
        what, name = st.corrupt(kind, good, bad, tensor=k)
        try:
            ref.RetNetModel(cfg, st.load(bad), where=bad)
            msg = None
        except st.SafetensorsError as e:
            msg = str(e)
        except ref.ModelError as e:
            msg = str(e)
        print("%-22s %s -> %s" % (kind, what, msg))
        expect(msg is not None, "%s: the broken file loaded" % kind)
        expect(msg.startswith(bad + ": "), "%s: message does not name the file" % kind)
        expect(want[kind] in msg, "%s: expected %r in the message" % (kind, want[kind]))
    expect(ref.RetNetModel(cfg, st.load(good)) is not None, "the good file")
    # Default tensor choice, and the CLI.
    bad = os.path.join(workdir, "bad-cli.safetensors")
    rc = st.main(["corrupt", "missing-tensor", good, bad])
    expect(rc == 0, "corrupt CLI failed")
    expect(len(st.load(bad)) == len(st.load(good)) - 1, "CLI did not remove one tensor")


def cmd_config(workdir, rng):
    c = ref.RetNetConfig.from_hf({"model_type": "retnet", "hidden_size": 2048,
                                  "num_hidden_layers": 24, "num_heads": 8,
                                  "hidden_ratio": 4, "vocab_size": 32000})
    print("retnet-1.3b-like: Dk %d Dv %d ffn %d kv %d gnorm %s" % (
        c.head_k_dim, c.head_v_dim, c.intermediate_size, c.num_kv_heads, c.g_norm_name))
    expect((c.head_k_dim, c.head_v_dim, c.intermediate_size, c.num_kv_heads) ==
           (256, 512, 5632, 8), "1.3b sizes")
    c = ref.RetNetConfig.from_hf({"hidden_size": 64, "num_heads": 4, "hidden_ratio": 2,
                                  "num_hidden_layers": 1, "vocab_size": 10,
                                  "intermediate_size": None, "num_kv_heads": None})
    expect(c.intermediate_size == 256 and c.num_kv_heads == 4, "hidden 64 ffn")
    c = ref.RetNetConfig.from_hf({"hidden_size": 64, "num_heads": 4, "num_hidden_layers": 1,
                                  "vocab_size": 10, "use_output_gate": False})
    expect(c.g_norm_name == "g_norm" and c.intermediate_size == 256, "no gate: g_norm")
    names = [n for n, _ in c.weight_shapes()]
    expect("model.layers.0.attn.g_norm.weight" in names and
           not any("g_proj" in n for n in names), "no-gate weights")
    bad = [({"use_short_conv": True}, "use_short_conv = True is not supported"),
           ({"feature_map": "relu"}, "feature_map = 'relu' is not supported"),
           ({"attn": {"layers": [0], "num_heads": 2}}, "attn = "),
           ({"attnres_block_size": 2}, "attnres_block_size = 2"),
           ({"hidden_act": "powlu"}, "hidden_act = 'powlu'"),
           ({"model_type": "llama"}, "model_type is 'llama'"),
           ({"num_kv_heads": 3}, "not a multiple of num_kv_heads 3"),
           ({"expand_k": 0.3}, "must be integers"),
           ({"num_heads": 5}, "must be multiples of num_heads 5")]
    base = {"hidden_size": 64, "num_heads": 4, "num_hidden_layers": 1, "vocab_size": 10}
    for extra, want in bad:
        try:
            ref.RetNetConfig.from_hf(dict(base, **extra), "c.json")
            msg = None
        except ref.ModelError as e:
            msg = str(e)
        print("%s -> %s" % (json.dumps(extra), msg))
        expect(msg is not None and msg.startswith("c.json: ") and want in msg,
               "expected %r" % want)
    try:
        ref.RetNetConfig.from_hf(dict(base, num_heads=8, expand_k=0.125), "c.json")
        msg = None
    except ref.ModelError as e:
        msg = str(e)
    print("head_k_dim 1 -> %s" % msg)
    expect(msg is not None and "odd" in msg, "odd head_k_dim accepted")
    # Many heads: the late decays reach 1.0 (no decay) and are accepted.
    c = ref.RetNetConfig.from_hf(dict(base, hidden_size=256, num_heads=64), "c.json")
    print("64 heads: last decays %s" % list(c.decay[-2:]))
    expect(c.decay[-1] == 1.0 and c.decay[47] < 1.0, "decays of 64 heads")
    # The resolved (manifest) form round-trips.
    c2 = ref.RetNetConfig.from_resolved(c.to_resolved())
    expect(c2.to_resolved() == c.to_resolved(), "resolved round trip")


COMMANDS = {"forms": cmd_forms, "pieces": cmd_pieces, "controls": cmd_controls,
            "safetensors": cmd_safetensors, "corrupt": cmd_corrupt, "config": cmd_config}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print("usage: model_ref_selftest.py WORKDIR {%s} [--seed S]" % "|".join(COMMANDS))
        return 2
    workdir, cmd = argv[0], argv[1]
    seed = int(argv[3]) if len(argv) > 3 and argv[2] == "--seed" else \
        int.from_bytes(os.urandom(4), "little")
    print("seed = %d" % seed)
    os.makedirs(workdir, exist_ok=True)
    try:
        COMMANDS[cmd](workdir, np.random.default_rng(seed))
    except (Failure, ref.ModelError, st.SafetensorsError) as e:
        print("FAIL: %s (reproduce with --seed %d)" % (e, seed))
        return 1
    print("ALL OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
