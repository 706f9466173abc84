#!/usr/bin/env python3
"""Checks retc-run's outputs against a float64 retention reference.

  check_retention.py --inputs IN_DIR --outputs OUT_DIR [--package PKG]
                     [--dtype f32|bf16|f16]
  check_retention.py --all-nan FILE.npy

Reads IN_DIR/{q,k,v[,s0]}.npy and OUT_DIR/{o,state}.npy, recomputes the
recurrent form (DESIGN.md section 3) in float64 with the decay and scale
from PKG's manifest (default: gamma_h = 1 - 2^(-5-h), scale K^-1/2), prints
the relative error ||out - ref|| / ||ref|| of each output and exits 1 if one
exceeds the tolerance for --dtype. Pure Python: no NumPy needed.
"""
import argparse
import ast
import json
import math
import os
import struct
import sys

TOLERANCE = {"f32": 1e-5, "f16": 3e-3, "bf16": 2e-2}


def read_npy(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    major = data[6]
    if major == 1:
        (hlen,) = struct.unpack_from("<H", data, 8)
        start = 10
    else:
        (hlen,) = struct.unpack_from("<I", data, 8)
        start = 12
    header = ast.literal_eval(data[start:start + hlen].decode())
    shape = list(header["shape"])
    count = 1
    for d in shape:
        count *= d
    code = {"<f4": "f", "<f2": "e", "<f8": "d"}[header["descr"]]
    values = struct.unpack_from("<" + code * count, data, start + hlen)
    return shape, list(values)


def read_manifest(path):
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack_from("<Q", data, 16)
    return json.loads(data[24:24 + size])


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


def rel_err(out, ref):
    num = math.sqrt(sum((a - b) ** 2 for a, b in zip(out, ref)))
    den = math.sqrt(sum(b * b for b in ref)) or 1.0
    return num / den


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--inputs")
    p.add_argument("--outputs")
    p.add_argument("--package")
    p.add_argument("--dtype", default="f32", choices=sorted(TOLERANCE))
    p.add_argument("--all-nan", metavar="FILE")
    args = p.parse_args()

    if args.all_nan:
        shape, values = read_npy(args.all_nan)
        nans = sum(1 for x in values if math.isnan(x))
        print("%s: %d of %d values are NaN" % (os.path.basename(args.all_nan),
                                               nans, len(values)))
        return 0 if nans == len(values) else 1

    q_shape, q = read_npy(os.path.join(args.inputs, "q.npy"))
    _, k = read_npy(os.path.join(args.inputs, "k.npy"))
    v_shape, v = read_npy(os.path.join(args.inputs, "v.npy"))
    s0_path = os.path.join(args.inputs, "s0.npy")
    s0 = read_npy(s0_path)[1] if os.path.exists(s0_path) else None
    B, T, H, K = q_shape
    V = v_shape[3]
    decay = [1.0 - 2.0 ** (-5 - h) for h in range(H)]
    scale = K ** -0.5
    if args.package:
        kernel = read_manifest(args.package)["kernels"][0]
        decay, scale = kernel["decay"], kernel["scale"]
        if s0 is not None and not any(p["name"] == "s0"
                                      for p in kernel["params"]):
            s0 = None

    o_ref, state_ref = reference(q, k, v, s0, (B, T, H, K, V), decay, scale)
    ok = True
    for name, ref in (("o", o_ref), ("state", state_ref)):
        _, out = read_npy(os.path.join(args.outputs, name + ".npy"))
        if any(math.isnan(x) for x in out):
            err = float("nan")
        else:
            err = rel_err(out, ref)
        # state is kept in f32 whatever the dtype, but it is computed from
        # inputs rounded to the dtype.
        tol = TOLERANCE[args.dtype]
        good = err <= tol
        ok = ok and good
        print("%s: relative error %.3e (tolerance %.0e) %s"
              % (name, err, tol, "ok" if good else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
