#!/usr/bin/env python3
"""Runs the graph-op GPU kernels in simt_sim.py against a float64 reference.

  graph_kernels_check.py KERNELS.mlir SOURCE.mlir [--seed S]

KERNELS.mlir ('-': stdin) is the generic form (`--mlir-print-op-generic`)
of the gpu.modules convert-retention-to-gpu makes of SOURCE.mlir's
functions, each one graph op (embedding, rms_norm, rotary, repeat_heads,
gated_head_norm, swiglu, add, next_token, last_rows;
codegen/gpu/GraphKernels.h), after
canonicalize and cse. SOURCE.mlir (split with `// -----`) says what each
kernel computes: the function of the kernel's name, its op on one line with
its attributes. A `// SIM: rows=A,B,.. position=P` line in a split sets the
row counts the kernel runs for (default: all its rows, 1, and two thirds of
them) and rotary's position (default 1000; with `positions`, one a row,
each drawn from [0, 2P]).

next_token's two results (the token and the next position) must equal the
reference's exactly: the first index of the row's largest logit, NaNs
skipped (a row of NaNs: 0), and the position plus one. Its logits plant
what the rule is about: a row of one value but for its first 4 (smaller:
every thread's best is a tie, index 4 the answer), a row with NaNs (one at
the largest value's left), a row of NaNs, one of -inf, and one of a NaN
then -infs (index 1: the first number, though it equals the start).

For each kernel and row count, every block of the launch
(ceil(rows / rows_per_block) blocks) runs in lockstep in simt_sim.py on
fresh random inputs; the rows at and past `rows` of the row operands are
NaN and may not be read (a read fails), those of the result must stay
unwritten, and every element of the rows before must be written exactly
once. The result is compared with a float64 numpy reference written from
docs/models.md, one line each: the relative error ||out - ref|| / ||ref||,
its bound and PASS or FAIL. The bounds are f32 rounding, u = 2^-24:

  embedding, repeat_heads, 0 (copies; last_rows' sequences of random
  last_rows                lengths, the rows after the last never read)
  add                      u (one rounding an element)
  swiglu                   8u (exp, 1 + e, the division and the product:
                           about 4u an element; exp within 2 ulp on a GPU)
  rms_norm,                32u: the sum of squares rounds along a chain of
  gated_head_norm          at most 31 adds (8 rounds, 2 in a piece, 5
                           shuffle levels, 16 warps), of which 1/sqrt keeps
                           half; mean, eps, sqrt, division, two products
                           and swish(gate) add about 10u
  rotary                   4u against the reference with the kernel's
                           documented angle (float(position + row) *
                           float32(inv_freq), one f32 product): sine,
                           cosine and an fma and a product; and
                           2u * (position + rows) + 4u against the exact
                           angle (the angle's two roundings, u each,
                           relative to it, move each pair by that much).

Operands and results of bf16 or f16 (a half model's kernels, which load
through the buffer's type and round their f32 result once) are drawn
already rounded to their type, so the reference sees the kernel's exact
inputs; the bound adds the result type's unit roundoff (bf16 2^-8, f16
2^-11), the one rounding of every stored element, but for the copies
(embedding, repeat_heads), which stay exact.
"""

import argparse
import re
import sys

import numpy as np

sys.path.insert(0, __import__("os").path.dirname(__file__))
import simt_sim  # noqa: E402

U = 2.0 ** -24
# Unit roundoff of a stored result.
ROUNDOFF = {"f32": 0.0, "bf16": 2.0 ** -8, "f16": 2.0 ** -11}


def parse_source(text):
    """{function name: (op, attrs, extra, rows list or None, position)}: each
    function's first retention op, and the last `// SIM:` line before it;
    `extra`: the op takes its optional operand (gated_head_norm's gate,
    rotary's positions in memory)."""
    out, name, sim = {}, None, ""
    for line in text.splitlines():
        m = re.search(r"// SIM:(.*)", line)
        if m:
            sim = m.group(1)
            continue
        m = re.search(r"func\.func @([\w.]+)", line)
        if m:
            name = m.group(1)
            continue
        m = re.search(r"= retention\.(\w+)", line)
        if not m or name is None or name in out:
            continue
        attrs = {}
        dict_text = re.search(r"\{([^{}]*)\}", line)
        if dict_text:
            for a in re.finditer(r'(\w+) = ("[^"]*"|[^,]+)', dict_text.group(1)):
                val = a.group(2).strip()
                attrs[a.group(1)] = (val.strip('"') if val.startswith('"')
                                     else float(val.split(":")[0]))
        rows, position = None, 1000
        r = re.search(r"rows=([\d,]+)", sim)
        if r:
            rows = [int(x) for x in r.group(1).split(",")]
        p = re.search(r"position=(\d+)", sim)
        if p:
            position = int(p.group(1))
        out[name] = (m.group(1), attrs, " gate " in line or " positions " in line,
                      rows, position)
        sim = ""
    return out


def module_globals(root):
    """{gpu.module name: {global name: Buffer}} of memref.global ops."""
    out = {}
    for op in root.ops:
        if op.name == "builtin.module":
            out.update(module_globals(op.regions[0]))
            continue
        if op.name != "gpu.module":
            continue
        name = re.search(r'sym_name = "([\w.]+)"', op.props + op.types).group(1)
        table = {}
        for inner in op.regions[0].ops:
            if inner.name != "memref.global":
                continue
            gname = re.search(r'sym_name = "([\w.]+)"', inner.props).group(1)
            m = re.search(r"initial_value = dense<(\[[^\]]*\]|[^>]*)> : tensor<(\d+)xf32>",
                          inner.props)
            n = int(m.group(2))
            vals = np.array([float(v) for v in m.group(1).strip("[]").split(",")],
                            np.float32)
            table[gname] = simt_sim.Buffer(np.resize(vals, n), "f32")
        out[name] = table
    return out


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def next_token_reference(logits, positions):
    """The first index of each row's largest non-NaN logit (0 if none), and
    the positions plus one."""
    tokens = []
    for row in logits.astype(np.float64):
        ok = ~np.isnan(row)
        if not ok.any():
            tokens.append(0)
            continue
        best = row[ok].max()
        tokens.append(int(np.nonzero(ok & (row == best))[0][0]))
    return np.array(tokens, np.int64), positions.astype(np.int64) + 1


def planted_logits(rng, rows, vocab):
    """Random logits with the cases of the choice rule in rows 1 to 4."""
    a = rng.standard_normal((rows, vocab)).astype(np.float32)
    special = []
    if vocab >= 3:
        def tie(r):
            # Every value the largest but the first 4: each thread's, lane's
            # and warp's best is a tie, and only the lower-index rule
            # leaves index 4.
            top = r.max()
            r[:] = top
            r[:min(4, vocab - 1)] = top - 1

        def nans(r):
            j = int(np.argmax(r))
            r[rng.integers(0, vocab, size=vocab // 4 + 1)] = np.nan
            r[j] = np.float32(9)
            if j:
                r[j - 1] = np.nan

        def all_nan(r):
            r[:] = np.nan

        def all_ninf(r):
            r[:] = -np.inf

        def nan_then_ninf(r):
            # The first number is -inf, equal to the start: still chosen.
            r[:] = -np.inf
            r[0] = np.nan
        special = [tie, nans, all_nan, all_ninf, nan_then_ninf]
    for i, plant in enumerate(special[:max(0, rows - 1)]):
        plant(a[i + 1])
    return a


def reference(op, attrs, extra, inputs, position, angle_f32):
    """The op's result in float64 from its (f32) operands."""
    x = [a.astype(np.float64) for a in inputs]
    if op == "add":
        return x[0] + x[1]
    if op == "swiglu":
        return x[0] * sigmoid(x[0]) * x[1]
    if op == "embedding":
        return x[1][inputs[0]]
    if op == "last_rows":
        return x[0][inputs[1][1:] - 1]
    if op == "repeat_heads":
        d, g = int(attrs["head_dim"]), int(attrs["groups"])
        t, n = x[0].shape
        return np.repeat(x[0].reshape(t, n // d, d), g, axis=1).reshape(t, n * g)
    if op == "rms_norm":
        ms = np.mean(x[0] ** 2, axis=1, keepdims=True)
        return x[0] / np.sqrt(ms + attrs["eps"]) * x[1]
    if op == "gated_head_norm":
        d = int(attrs["head_dim"])
        t, n = x[0].shape
        o = x[0].reshape(t, n // d, d)
        y = o / np.sqrt(np.mean(o ** 2, axis=2, keepdims=True) + attrs["eps"]) * x[1]
        y = y.reshape(t, n)
        if extra:
            y = y * x[2] * sigmoid(x[2])
        return y
    if op == "rotary":
        d, base = int(attrs["head_dim"]), attrs["base"]
        t, n = x[0].shape
        half = d // 2
        inv_freq = base ** (-2.0 * np.arange(half) / d)
        pos = (x[1] if extra else position + np.arange(t, dtype=np.float64))
        if angle_f32:
            theta = (np.float32(pos)[:, None] * np.float32(inv_freq)[None, :]
                     ).astype(np.float64)
        else:
            theta = pos[:, None] * inv_freq[None, :]
        c, s = np.cos(theta)[:, None, :], np.sin(theta)[:, None, :]
        h = x[0].reshape(t, n // d, d)
        if attrs["layout"] == "interleaved":
            a, b = h[..., 0::2], h[..., 1::2]
        else:
            a, b = h[..., :half], h[..., half:]
        ra, rb = a * c - b * s, b * c + a * s
        y = np.empty_like(h)
        if attrs["layout"] == "interleaved":
            y[..., 0::2], y[..., 1::2] = ra, rb
        else:
            y[..., :half], y[..., half:] = ra, rb
        return y.reshape(t, n)
    raise ValueError(op)


def tolerance(op, position, rows):
    return {"embedding": 0.0, "repeat_heads": 0.0, "last_rows": 0.0,
            "add": U, "swiglu": 8 * U,
            "rms_norm": 32 * U, "gated_head_norm": 32 * U,
            "rotary": 4 * U}[op]


# A planted bug (--plant-offsets): last_rows' kernel given every end
# offset one less than the reference's.
PLANT_OFFSETS = [False]


def last_rows_inputs(shapes, rows, rng):
    """last_rows' x and offsets for `rows` sequences packed in x's rows:
    random lengths of at least 1 whose sum may fall short of x's rows (the
    rows after the last sequence NaN, never to be read), the offsets past
    the sequences' N + 1 never to be read."""
    (xdims, xelt), (odims, _) = shapes[0], shapes[1]
    ends = np.sort(rng.choice(np.arange(1, xdims[0] + 1), size=rows,
                              replace=False))
    offsets = np.full(odims, 1 << 40, np.int64)
    offsets[0] = 0
    offsets[1:rows + 1] = ends
    x = simt_sim.round_to(rng.standard_normal(xdims).astype(np.float32), xelt)
    x[ends[-1]:] = np.nan
    xb = simt_sim.Buffer(x.copy(), xelt)
    xb.forbidden = np.zeros(xdims, bool)
    xb.forbidden[ends[-1]:] = True
    given = offsets.copy()
    if PLANT_OFFSETS[0]:
        given[1:rows + 1] -= 1
    ob = simt_sim.Buffer(given, "i64")
    ob.forbidden = np.zeros(odims, bool)
    ob.forbidden[rows + 1:] = True
    return [x, offsets[:rows + 1]], [xb, ob]


def run_one(func, name, spec, globals_, rows, rng):
    op, attrs, extra, _, position = spec
    sig = re.search(r"function_type = \(([^)]*)\)", func.props).group(1)
    shapes = [simt_sim.shape_of(t) for t in re.findall(r"memref<[^>]*>", sig)]
    launch = func.props + func.types
    block = int(re.search(r"block = array<i64: (\d+), 1, 1>", launch).group(1))
    per_block = int(re.search(r"rows_per_block = (\d+)", launch).group(1))
    outputs = 2 if op == "next_token" else 1
    max_rows = shapes[-1][0][0]
    # The row operands: all but embedding's table and the norms' weights.
    has_rows = [not (op == "embedding" and i == 1) and
                not (op in ("rms_norm", "gated_head_norm") and i == 1)
                for i in range(len(shapes) - outputs)]
    inputs, bufs = [], []
    if op == "last_rows":
        inputs, bufs = last_rows_inputs(shapes, rows, rng)
    for i, ((dims, elt), rowed) in enumerate(zip(shapes[:-outputs], has_rows)):
        if op == "last_rows":
            break
        if elt == "i32":
            vocab = shapes[1][0][0]
            a = rng.integers(0, vocab, size=dims).astype(np.int64)
        elif elt == "i64":
            # rotary's and next_token's positions, one a row.
            a = rng.integers(0, 2 * position + 1, size=dims).astype(np.int64)
        elif op == "next_token":
            a = planted_logits(rng, dims[0], dims[1])
        else:
            a = rng.standard_normal(dims).astype(np.float32)
            if (op == "swiglu" and i == 0) or (op == "gated_head_norm" and i == 2):
                a = a * np.float32(3)  # gates through swish's bend and tails
            a = simt_sim.round_to(a, elt)
        buf = simt_sim.Buffer(a.copy(), elt)
        if rowed:
            buf.forbidden = np.zeros(dims, bool)
            buf.forbidden[rows:] = True
            if elt not in ("i32", "i64"):
                buf.a[rows:] = np.nan
        inputs.append(a[:rows] if rowed else a)
        bufs.append(buf)
    outs = []
    for dims, elt in shapes[-outputs:]:
        fill = np.full(dims, -7, np.int64) if elt in ("i32", "i64") else \
            np.full(dims, np.nan, np.float32)
        out = simt_sim.Buffer(fill, elt)
        out.written = np.zeros(dims, bool)
        outs.append(out)
    out_elt = shapes[-1][1]
    args = bufs + outs + [rows] + ([position] if op == "rotary" and not extra
                                   else [])
    grid = (-(-rows // per_block), 1, 1)
    what = "%s: %s %s rows=%d/%d" % (
        name, op + (" gate" if extra and op == "gated_head_norm" else "") +
        (" positions" if extra and op == "rotary" else ""),
        "x".join(map(str, shapes[0][0] if op == "next_token" else shapes[-1][0])) +
        ("" if out_elt in ("f32", "i64") else "x" + out_elt), rows, max_rows)
    try:
        simt_sim.Sim(func, args, (block, 1, 1), grid, globals_).run()
    except (IndexError, RuntimeError, KeyError) as err:
        print("%s: FAIL: %s" % (what, err))
        return False
    for out in outs:
        if not out.written[:rows].all():
            print("%s: FAIL: %d elements not stored" % (what, (~out.written[:rows]).sum()))
            return False
        if out.written[rows:].any():
            print("%s: FAIL: a row at or past `rows` was written" % what)
            return False
    if op == "next_token":
        tokens, nxt = next_token_reference(*inputs)
        got_t, got_p = outs[0].a[:rows].astype(np.int64), outs[1].a[:rows].astype(np.int64)
        bad = np.nonzero((got_t != tokens) | (got_p != nxt))[0]
        if len(bad):
            r = bad[0]
            print("%s: FAIL: row %d chose %d (position %d), expected %d (%d)" % (
                what, r, got_t[r], got_p[r], tokens[r], nxt[r]))
            return False
        print("%s: tokens %s, every row as the reference PASS" % (
            what, " ".join(map(str, got_t[:6])) + (" ..." if rows > 6 else "")))
        return True
    out = outs[0]
    if not np.isnan(out.a[rows:]).all():
        print("%s: FAIL: a row at or past `rows` was written" % what)
        return False
    y = out.a[:rows].astype(np.float64)
    ref = reference(op, attrs, extra, inputs, position, angle_f32=True)
    err = np.linalg.norm(y - ref) / np.linalg.norm(ref)
    # Copies stay exact: their inputs are of the result's type or wider.
    copy = op in ("embedding", "repeat_heads", "last_rows")
    tol = tolerance(op, position, rows) + (0.0 if copy else ROUNDOFF[out_elt])
    ok = bool(np.isfinite(y).all() and err <= tol)
    if out_elt != "f32" and not (simt_sim.round_to(y, out_elt) == y).all():
        print("%s: FAIL: stored values not of %s" % (what, out_elt))
        return False
    line = "%s: rel err = %.3e (tol %.1e)" % (what, err, tol)
    if op == "rotary":
        exact = reference(op, attrs, extra, inputs, position, angle_f32=False)
        err2 = np.linalg.norm(y - exact) / np.linalg.norm(exact)
        top = int(inputs[1].max()) + 1 if extra else position + rows
        tol2 = 2 * U * top + 4 * U + ROUNDOFF[out_elt]
        ok = ok and err2 <= tol2
        line += ", against the exact angle %.3e (tol %.1e)" % (err2, tol2)
    print("%s %s" % (line, "PASS" if ok else "FAIL"))
    return ok


def main(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kernels", help="the generic-form IR ('-': stdin)")
    p.add_argument("source", help="the functions it was lowered from")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--plant-offsets", action="store_true",
                   help="a planted bug: last_rows kernels given each end "
                        "offset one less than the reference")
    args = p.parse_args(argv)
    PLANT_OFFSETS[0] = args.plant_offsets
    text = sys.stdin.read() if args.kernels == "-" else open(args.kernels).read()
    specs = parse_source(open(args.source).read())
    root = simt_sim.parse(text)
    funcs = simt_sim.find_funcs(root, [])
    tables = module_globals(root)
    if not funcs:
        print("FAIL: no gpu.func")
        return 1
    rng = np.random.default_rng(args.seed)
    ok = True
    for func in funcs:
        name = re.search(r'sym_name = "([\w.]+)"', func.props + func.types).group(1)
        spec = specs[name]
        max_rows = simt_sim.shape_of(
            re.findall(r"memref<[^>]*>", func.props)[-1])[0][0]
        rows = spec[3] or sorted({max_rows, 1, max(1, 2 * max_rows // 3)},
                                 reverse=True)
        for r in rows:
            ok = run_one(func, name, spec, tables.get(name, {}), r, rng) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
