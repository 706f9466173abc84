#!/usr/bin/env python3
"""Writes .npy files for retc-run's tests, without needing NumPy.

  make_npy.py OUT.npy --shape 2,5,3,4 [--dtype <f4] [--fortran] [--version 2]
  make_npy.py --retention-inputs DIR --shape B,T,H,K,V [--s0]
      writes DIR/q.npy, DIR/k.npy, DIR/v.npy (and DIR/s0.npy)

Values are pseudo-random in [-1, 1) from --seed. The damage options write
one kind of bad file each: --truncate N drops N bytes from the end,
--trailing N appends N bytes, --raw-header replaces the header dict text.
"""
import argparse
import os
import random
import struct
import sys

FORMATS = {"<f4": "<f", "<f2": "<e", "<f8": "<d", ">f4": ">f", "<i4": "<i",
           "|u1": "<B"}


def encode(values, dtype):
    fmt = FORMATS[dtype]
    if dtype == "<i4":
        values = [int(v * 100) for v in values]
    elif dtype == "|u1":
        values = [int((v + 1) * 100) for v in values]
    return struct.pack(fmt[0] + fmt[1] * len(values), *values)


def header_bytes(dict_text, version):
    prefix_len = 10 if version == 1 else 12
    total = (prefix_len + len(dict_text) + 1 + 63) // 64 * 64
    dict_text = dict_text.ljust(total - prefix_len - 1) + "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(dict_text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + dict_text.encode()


def write(path, shape, values, dtype="<f4", fortran=False, version=1,
          raw_header=None, truncate=0, trailing=0):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    text = raw_header if raw_header is not None else (
        "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }"
        % (dtype, "True" if fortran else "False", dims))
    data = header_bytes(text, version) + encode(values, dtype)
    if truncate:
        data = data[:-truncate]
    data += b"\0" * trailing
    with open(path, "wb") as f:
        f.write(data)


def random_values(count, rng):
    return [rng.uniform(-1.0, 1.0) for _ in range(count)]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out", nargs="?")
    p.add_argument("--shape", required=True,
                   type=lambda s: [int(x) for x in s.split(",") if x])
    p.add_argument("--dtype", default="<f4", choices=sorted(FORMATS))
    p.add_argument("--fortran", action="store_true")
    p.add_argument("--version", type=int, default=1, choices=[1, 2, 3])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--truncate", type=int, default=0)
    p.add_argument("--trailing", type=int, default=0)
    p.add_argument("--raw-header")
    p.add_argument("--retention-inputs", metavar="DIR")
    p.add_argument("--s0", action="store_true")
    args = p.parse_args()
    rng = random.Random(args.seed)

    if args.retention_inputs:
        B, T, H, K, V = args.shape
        os.makedirs(args.retention_inputs, exist_ok=True)
        shapes = {"q": [B, T, H, K], "k": [B, T, H, K], "v": [B, T, H, V]}
        if args.s0:
            shapes["s0"] = [B, H, K, V]
        for name, shape in shapes.items():
            count = 1
            for d in shape:
                count *= d
            write(os.path.join(args.retention_inputs, name + ".npy"), shape,
                  random_values(count, rng), args.dtype, version=args.version)
        return 0

    count = 1
    for d in args.shape:
        count *= d
    write(args.out, args.shape, random_values(count, rng), args.dtype,
          args.fortran, args.version, args.raw_header, args.truncate,
          args.trailing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
