#!/usr/bin/env python3
"""Writes a small .safetensors file of zero-filled F32 tensors for retc-run's
model tests (no numpy needed): tiny_safetensors.py OUT NAME=D0xD1 ...
("NAME=" alone is a scalar). The full reader/writer lives in test/lib."""
import json
import struct
import sys


def main():
    out, specs = sys.argv[1], sys.argv[2:]
    header, offset = {}, 0
    for spec in specs:
        name, _, dims = spec.partition("=")
        shape = [int(d) for d in dims.split("x")] if dims else []
        size = 4
        for d in shape:
            size *= d
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + bytes(offset))


if __name__ == "__main__":
    main()
