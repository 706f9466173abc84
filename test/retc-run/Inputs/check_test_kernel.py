#!/usr/bin/env python3
"""Checks retc-run's outputs of the hand-written CUDA test kernels.

  check_test_kernel.py --inputs IN_DIR --outputs OUT_DIR --dtype f32|bf16|f16
                       [--nowrite]

Inputs/test_kernels.ptx computes o = (2q + v) - k in float32 from q, k, v
rounded to the dtype, rounds o to the dtype, and state = s0 + 1 in float32.
This recomputes both bit for bit (round to nearest even at each step, as the
runtime's conversions and the GPU do) and exits 1 on any mismatch. With
--nowrite, state must be all NaN (the kernel never writes it). Pure Python.
"""
import argparse
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_retention import read_npy  # noqa: E402


def f32(x):
    """Rounds a double to the nearest float32 (ties to even)."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def bf16(x):
    """Rounds a float32 value to the nearest bfloat16 (ties to even)."""
    (bits,) = struct.unpack("<I", struct.pack("<f", x))
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def f16(x):
    """Rounds a float32 value to the nearest binary16 (ties to even)."""
    return struct.unpack("<e", struct.pack("<e", x))[0]


ROUND = {"f32": f32, "bf16": bf16, "f16": f16}


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--inputs", required=True)
    p.add_argument("--outputs", required=True)
    p.add_argument("--dtype", default="f32", choices=sorted(ROUND))
    p.add_argument("--nowrite", action="store_true")
    args = p.parse_args()
    rnd = ROUND[args.dtype]

    def load(directory, name):
        return read_npy(os.path.join(directory, name + ".npy"))

    q_shape, q = load(args.inputs, "q")
    _, k = load(args.inputs, "k")
    _, v = load(args.inputs, "v")
    s_shape, s0 = load(args.inputs, "s0")
    o_shape, o = load(args.outputs, "o")
    st_shape, state = load(args.outputs, "state")
    ok = o_shape == q_shape and st_shape == s_shape
    if not ok:
        print("shape mismatch: o %s (q %s), state %s (s0 %s)"
              % (o_shape, q_shape, st_shape, s_shape))
        return 1

    bad = 0
    for i, (qi, ki, vi, oi) in enumerate(zip(q, k, v, o)):
        qd, kd, vd = rnd(f32(qi)), rnd(f32(ki)), rnd(f32(vi))
        want = rnd(f32(f32(2 * qd + vd) - kd))
        if not (oi == want):
            if bad < 5:
                print("o[%d] = %r, expected %r" % (i, oi, want))
            bad += 1
    print("o: %d of %d elements wrong" % (bad, len(o)))
    ok = bad == 0

    if args.nowrite:
        nans = sum(1 for x in state if math.isnan(x))
        print("state: %d of %d values are NaN" % (nans, len(state)))
        ok = ok and nans == len(state)
    else:
        bad = 0
        for i, (si, sti) in enumerate(zip(s0, state)):
            want = f32(f32(si) + 1.0)
            if not (sti == want):
                if bad < 5:
                    print("state[%d] = %r, expected %r" % (i, sti, want))
                bad += 1
        print("state: %d of %d elements wrong" % (bad, len(state)))
        ok = ok and bad == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
