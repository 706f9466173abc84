#!/usr/bin/env python3
"""Write a damaged copy of a real package (one `retc` compiled).

    damage_package.py IN.retpkg OUT.retpkg flip-blob-byte [--blob NAME]
    damage_package.py IN.retpkg OUT.retpkg truncate-in-blob [--blob NAME]

flip-blob-byte flips the lowest bit of the byte in the middle of a blob (the
manifest's SHA-256 of it is left as it was); truncate-in-blob cuts the file
in the middle of a blob. The blob is found through the manifest
(docs/package-format.md: 8-byte magic, version, 8-byte manifest length at
byte 16, the manifest JSON from byte 56, `blobs[i].offset/size`); default:
the first blob. Prints `damaged BLOB: what` on success.
"""

import argparse
import json
import struct
import sys


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("how", choices=["flip-blob-byte", "truncate-in-blob"])
    p.add_argument("--blob", help="the blob's name (default: the first)")
    a = p.parse_args(argv)
    with open(a.src, "rb") as f:
        data = bytearray(f.read())
    if len(data) < 56 or data[:8] != b"RETCPKG\0":
        print("damage_package: error: %s: not a retc package" % a.src, file=sys.stderr)
        return 1
    (size,) = struct.unpack("<Q", bytes(data[16:24]))
    manifest = json.loads(bytes(data[56:56 + size]).decode("utf-8"))
    blobs = manifest.get("blobs", [])
    chosen = [b for b in blobs if a.blob is None or b.get("name") == a.blob]
    if not chosen:
        print("damage_package: error: %s: no blob %r (it has: %s)"
              % (a.src, a.blob, ", ".join(str(b.get("name")) for b in blobs)),
              file=sys.stderr)
        return 1
    blob = chosen[0]
    middle = blob["offset"] + blob["size"] // 2
    if a.how == "flip-blob-byte":
        data[middle] ^= 1
        what = "flipped bit 0 of byte %d" % middle
    else:
        data = data[:middle]
        what = "file cut to %d bytes" % middle
    with open(a.dst, "wb") as f:
        f.write(bytes(data))
    print("damaged %s: %s" % (blob["name"], what))
    return 0


if __name__ == "__main__":
    sys.exit(main())
