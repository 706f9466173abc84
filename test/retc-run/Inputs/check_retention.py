#!/usr/bin/env python3
"""Checks retc-run's retention outputs against a float64 reference.

  check_retention.py --inputs IN_DIR --outputs OUT_DIR --dtype f32|bf16|f16
                     --decay retnet|paper|G0,G1,... [--scale S]
                     [--package PKG]
  check_retention.py --all-nan FILE.npy

Reads IN_DIR/{q,k,v}.npy (and IN_DIR/s0.npy, the initial state, when it
exists), the arrays given to retc-run, and OUT_DIR/{o,state}.npy, what
retc-run wrote. The reference is the recurrent form (docs/dialect.md, "The
operator, exactly") in float64.

The decay and scale the kernel must compute with come from the command
line, never from the package, so that a kernel or a manifest with a wrong
decay is caught: the RUN line repeats what it asked for. --decay retnet is
gamma_h = 1 - 2^(-5-h), paper is 1 - exp(linspace(ln 1/32, ln 1/512, H)),
a list gives one value per head; --scale defaults to K^-1/2. With
--package, the manifest's first kernel must also record that decay, scale,
dtype and shape, and take s0 exactly when IN_DIR/s0.npy exists.

The reference reads the inputs as the kernel received them: retc-run
converts every .npy value to float32 and then to the parameter's type
(round to nearest, ties to even); so does this script (q, k and v to
--dtype, s0 to float32).

Checks (each printed; exit status 1 if any fails, 2 on a usage error):
  - o.npy is float32 [B,T,H,V] and state.npy float32 [B,H,K,V], exactly:
    an empty, short or reshaped output fails;
  - no NaN or infinity;
  - the relative error ||out - ref|| / ||ref|| of each output;
  - the worst row: max over the rows of o ((b,t,h), V values) and of state
    ((b,h,i), V values) of ||row err|| / max(||row ref||, floor), with
    floor = 0.1 x the root mean square of the row norms (a row far below
    the others is measured against their scale: its float32 cancellation
    error means nothing), so that an error confined to a few rows is not
    diluted by the rest.

Tolerances. With the inputs rounded as the kernel saw them, the error left
is that of float32 arithmetic and, for o, of rounding the result to
--dtype: at most u = 2^-8 (bf16), 2^-11 (f16) or 2^-24 (f32) of each
element, so at most u of any row's norm and of the whole array's. Both
checks of o allow u + 1e-5, both checks of state (float32 whatever
--dtype) 1e-5. The u part is that bound; the 1e-5 is the float32 part
measured with a margin: over 130 random cases (B <= 3, T <= 40, H <= 3,
1 <= K, V <= 36, with and without s0; half on Inputs/ref_kernel.c, half on
retc's CPU kernels in all three forms with the retnet, paper and explicit
decays), f32 outputs were off by at most 1.8e-7 globally and 1.6e-6 in the
worst row (6x below 1e-5); o in bf16 by at most 0.45 u globally and 0.80 u
in the worst row, in f16 0.47 u and 0.84 u.

--all-nan FILE.npy exits 0 if every value of FILE is NaN and 1 otherwise,
printing 'FILE: N of M values are NaN'.

Pure Python: no NumPy needed.
"""
import argparse
import ast
import json
import math
import os
import struct
import sys

# Rounding unit of the output's element type: the largest relative error of
# rounding a value to it (to nearest).
OUTPUT_ROUNDING = {"f32": 2.0 ** -24, "f16": 2.0 ** -11, "bf16": 2.0 ** -8}
# What float32 arithmetic may add (measured: 1.6e-6 at most; see above).
F32_ARITHMETIC = 1e-5
# Rows whose reference norm is below this fraction of the rows' RMS norm
# are measured against that fraction instead.
ROW_FLOOR = 0.1


class CheckError(Exception):
    """A problem with the files: printed as one line, exit status 1."""


def read_npy_full(path):
    """(descr, shape, values in C order) of a little-endian float .npy file;
    CheckError if it is missing, malformed, in Fortran order or not exactly
    as long as its header says."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise CheckError("%s: cannot read: %s" % (path, e.strerror))
    if data[:6] != b"\x93NUMPY" or len(data) < 12:
        raise CheckError("%s: not a .npy file" % path)
    major = data[6]
    if major == 1:
        (hlen,) = struct.unpack_from("<H", data, 8)
        start = 10
    else:
        (hlen,) = struct.unpack_from("<I", data, 8)
        start = 12
    try:
        header = ast.literal_eval(data[start:start + hlen].decode("latin1"))
        descr, fortran = header["descr"], header["fortran_order"]
        shape = [int(d) for d in header["shape"]]
    except (ValueError, SyntaxError, KeyError, TypeError):
        raise CheckError("%s: malformed .npy header" % path)
    codes = {"<f4": "f", "<f2": "e", "<f8": "d"}
    if descr not in codes:
        raise CheckError("%s: dtype %r, expected '<f4', '<f2' or '<f8'"
                         % (path, descr))
    count = 1
    for d in shape:
        count *= d
    body = len(data) - start - hlen
    want = count * struct.calcsize(codes[descr])
    if body != want:
        raise CheckError("%s: %d bytes of data, the header's shape %s needs %d"
                         % (path, body, shape, want))
    if fortran and len(shape) > 1:
        raise CheckError("%s: Fortran order, which retc-run refuses" % path)
    values = struct.unpack_from("<" + codes[descr] * count, data, start + hlen)
    return descr, shape, list(values)


def read_npy(path):
    """(shape, values in C order) of a .npy file (used by other scripts)."""
    _, shape, values = read_npy_full(path)
    return shape, values


def read_manifest(path):
    with open(path, "rb") as f:
        data = f.read()
    # The 56-byte header: magic, version, flags, manifest size, SHA-256.
    (size,) = struct.unpack_from("<Q", data, 16)
    return json.loads(data[56:56 + size])


# --- Rounding as retc-run does it (runtime/DType.cpp) ----------------------

def to_f32(x):
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def f32_to_bf16(x):
    """Round a float32 value to bfloat16, to nearest, ties to even."""
    if math.isnan(x):
        return x
    (bits,) = struct.unpack("<I", struct.pack("<f", x))
    bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]


def f32_to_f16(x):
    """Round a float32 value to IEEE half, to nearest, ties to even (the
    float32 value is exact in a double, so this rounds once)."""
    try:
        return struct.unpack("<e", struct.pack("<e", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def as_received(values, dtype):
    """`values` as the kernel receives them for a parameter of `dtype`."""
    values = [to_f32(x) for x in values]
    if dtype == "bf16":
        return [f32_to_bf16(x) for x in values]
    if dtype == "f16":
        return [f32_to_f16(x) for x in values]
    return values


# --- The expected decay and scale -------------------------------------------

def expected_decay(spec, H):
    if spec == "retnet":
        return [1.0 - 2.0 ** (-5 - h) for h in range(H)]
    if spec == "paper":
        lo, hi = math.log(1.0 / 32.0), math.log(1.0 / 512.0)
        return [1.0 - math.exp(lo + (hi - lo) * (h / (H - 1) if H > 1 else 0.0))
                for h in range(H)]
    try:
        values = [float(x) for x in spec.split(",")]
    except ValueError:
        raise CheckError("--decay %r: expected retnet, paper or G0,G1,..."
                         % spec)
    if len(values) != H:
        raise CheckError("--decay lists %d values but the inputs have %d heads"
                         % (len(values), H))
    return values


def close(a, b):
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def check_manifest(path, dtype, shape, decay, scale, has_s0):
    """Problems with the manifest's first kernel, as sentences."""
    B, T, H, K, V = shape
    kernel = read_manifest(path)["kernels"][0]
    problems = []
    if kernel.get("dtype") != dtype:
        problems.append("dtype %r, expected %r" % (kernel.get("dtype"), dtype))
    want_shape = {"B": B, "T": T, "H": H, "K": K, "V": V}
    if kernel.get("shape") != want_shape:
        problems.append("shape %s, expected %s" % (kernel.get("shape"),
                                                  want_shape))
    got = kernel.get("decay", [])
    if len(got) != H or not all(close(a, b) for a, b in zip(got, decay)):
        problems.append("decay %s, expected %s" % (got, decay))
    if not close(kernel.get("scale", 0.0), scale):
        problems.append("scale %r, expected %r" % (kernel.get("scale"), scale))
    takes_s0 = any(p.get("name") == "s0" for p in kernel.get("params", []))
    if takes_s0 != has_s0:
        problems.append("%s s0, but %s.npy %s" % (
            "takes" if takes_s0 else "does not take",
            "s0", "is given" if has_s0 else "is not given"))
    return problems


# --- The reference and the comparison ---------------------------------------

def reference(q, k, v, s0, shape, decay, scale):
    B, T, H, K, V = shape
    o = [0.0] * (B * T * H * V)
    state = [0.0] * (B * H * K * V)
    for b in range(B):
        for h in range(H):
            S = [[s0[((b * H + h) * K + i) * V + j] if s0 else 0.0
                  for j in range(V)] for i in range(K)]
            g = decay[h]
            for t in range(T):
                qt = [q[((b * T + t) * H + h) * K + i] for i in range(K)]
                kt = [k[((b * T + t) * H + h) * K + i] for i in range(K)]
                vt = [v[((b * T + t) * H + h) * V + j] for j in range(V)]
                for i in range(K):
                    for j in range(V):
                        S[i][j] = g * S[i][j] + kt[i] * vt[j]
                for j in range(V):
                    o[((b * T + t) * H + h) * V + j] = scale * sum(
                        qt[i] * S[i][j] for i in range(K))
            for i in range(K):
                for j in range(V):
                    state[((b * H + h) * K + i) * V + j] = S[i][j]
    return o, state


def errors(out, ref, row):
    """(global relative error, worst row relative error) of `out` against
    `ref`, both of the same length, a multiple of `row`."""
    num = math.sqrt(sum((a - b) ** 2 for a, b in zip(out, ref)))
    den = math.sqrt(sum(b * b for b in ref))
    rows = len(ref) // row
    norms = [math.sqrt(sum(x * x for x in ref[r * row:(r + 1) * row]))
             for r in range(rows)]
    floor = ROW_FLOOR * math.sqrt(sum(n * n for n in norms) / rows)
    worst = 0.0
    for r in range(rows):
        e = math.sqrt(sum((a - b) ** 2 for a, b in
                          zip(out[r * row:(r + 1) * row],
                              ref[r * row:(r + 1) * row])))
        if e > 0.0:
            worst = max(worst, e / max(norms[r], floor, 1e-300))
    if den == 0.0:
        return (0.0 if num == 0.0 else math.inf), worst
    return num / den, worst


def check_output(path, name, want_shape, ref, tol):
    """Prints one line about output `name`; returns whether it passed."""
    try:
        descr, shape, out = read_npy_full(path)
    except CheckError as e:
        print("%s: FAIL: %s" % (name, e))
        return False
    if descr != "<f4" or shape != want_shape:
        print("%s: FAIL: %s %s, expected float32 ('<f4') %s"
              % (name, descr, shape, want_shape))
        return False
    bad = sum(1 for x in out if not math.isfinite(x))
    if bad:
        print("%s: FAIL: %d of %d values are NaN or infinite"
              % (name, bad, len(out)))
        return False
    rel, worst = errors(out, ref, want_shape[-1])
    good = rel <= tol and worst <= tol
    print("%s: relative error %.3e, worst row %.3e (tolerance %.1e) %s"
          % (name, rel, worst, tol, "ok" if good else "FAIL"))
    return good


def all_nan(path):
    try:
        _, values = read_npy(path)
    except CheckError as e:
        print(e)
        return 1
    nans = sum(1 for x in values if math.isnan(x))
    print("%s: %d of %d values are NaN" % (os.path.basename(path), nans,
                                           len(values)))
    return 0 if nans == len(values) else 1


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--inputs")
    p.add_argument("--outputs")
    p.add_argument("--dtype", choices=sorted(OUTPUT_ROUNDING))
    p.add_argument("--decay", help="retnet, paper or G0,G1,... (required)")
    p.add_argument("--scale", type=float, help="default K^-1/2")
    p.add_argument("--package", help="also check the manifest's first kernel")
    p.add_argument("--all-nan", metavar="FILE")
    args = p.parse_args()

    if args.all_nan:
        return all_nan(args.all_nan)
    for flag in ("inputs", "outputs", "dtype", "decay"):
        if getattr(args, flag) is None:
            p.error("--%s is required (the test states what it expects)"
                    % flag)

    try:
        q_shape, q = read_npy(os.path.join(args.inputs, "q.npy"))
        k_shape, k = read_npy(os.path.join(args.inputs, "k.npy"))
        v_shape, v = read_npy(os.path.join(args.inputs, "v.npy"))
        if len(q_shape) != 4 or k_shape != q_shape or len(v_shape) != 4 \
                or v_shape[:3] != q_shape[:3]:
            raise CheckError("input shapes q %s, k %s, v %s do not fit "
                             "[B,T,H,K], [B,T,H,K], [B,T,H,V]"
                             % (q_shape, k_shape, v_shape))
        B, T, H, K = q_shape
        V = v_shape[3]
        s0_path = os.path.join(args.inputs, "s0.npy")
        s0 = None
        if os.path.exists(s0_path):
            s0_shape, s0 = read_npy(s0_path)
            if s0_shape != [B, H, K, V]:
                raise CheckError("s0 shape %s, expected %s"
                                 % (s0_shape, [B, H, K, V]))
            s0 = as_received(s0, "f32")
        decay = expected_decay(args.decay, H)
        scale = args.scale if args.scale is not None else K ** -0.5
        shape = (B, T, H, K, V)
        if args.package:
            problems = check_manifest(args.package, args.dtype, shape, decay,
                                      scale, s0 is not None)
            for problem in problems:
                print("manifest: FAIL: kernel 0: " + problem)
            if problems:
                return 1
    except CheckError as e:
        print("FAIL: %s" % e)
        return 1

    q, k, v = (as_received(x, args.dtype) for x in (q, k, v))
    o_ref, state_ref = reference(q, k, v, s0, shape, decay, scale)
    u = OUTPUT_ROUNDING[args.dtype]
    ok = check_output(os.path.join(args.outputs, "o.npy"), "o",
                      [B, T, H, V], o_ref, u + F32_ARITHMETIC)
    ok &= check_output(os.path.join(args.outputs, "state.npy"), "state",
                       [B, H, K, V], state_ref, F32_ARITHMETIC)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
