#!/usr/bin/env python3
"""Write a copy of a package (one `retc` compiled, say) with its manifest
edited, as a person with a text editor or a tool with a bug would.

    edit_package.py IN.retpkg OUT.retpkg [--set PATH=JSON]... [--drop PATH]...
                    [--swap PATH,PATH]... [--replace PATH OLD NEW]... [--reseal]

PATHs are dot-separated keys and list indices into the manifest, as for
make_package.py (kernels.0.params.2.shape). --set stores a JSON value,
--drop deletes a member or list item, --swap exchanges two values (two
params, two weights), --replace substitutes OLD with NEW in a string value
(a typo in target.features). The blobs are kept byte for byte and laid out
again (offsets, sizes and SHA-256s follow the new manifest's length).

Without --reseal the header keeps IN's manifest SHA-256, so the runtime
sees a manifest changed after it was written (a hand edit); with --reseal
the SHA-256 is that of the edited manifest, as if whoever edited it knew the
format: then only the record of what the code was compiled for
(docs/package-format.md, "What the code was compiled for") can tell.
Prints `edited: <what>` on success.
"""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_package import HEADER, align, sha256, walk  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--set", action="append", default=[], metavar="PATH=JSON")
    p.add_argument("--drop", action="append", default=[], metavar="PATH")
    p.add_argument("--swap", action="append", default=[], metavar="PATH,PATH")
    p.add_argument("--replace", action="append", default=[], nargs=3,
                   metavar=("PATH", "OLD", "NEW"))
    p.add_argument("--reseal", action="store_true",
                   help="recompute the manifest's SHA-256 in the header")
    a = p.parse_args(argv)

    with open(a.src, "rb") as f:
        data = f.read()
    if len(data) < HEADER.size or data[:8] != b"RETCPKG\0":
        print("edit_package: error: %s: not a retc package" % a.src,
              file=sys.stderr)
        return 1
    magic, version, flags, size, digest = HEADER.unpack(data[:HEADER.size])
    manifest = json.loads(data[HEADER.size:HEADER.size + size].decode("utf-8"))
    blobs = {b["name"]: data[b["offset"]:b["offset"] + b["size"]]
             for b in manifest["blobs"]}

    done = []
    for spec in a.set:
        path, _, value = spec.partition("=")
        node, key = walk(manifest, path)
        node[key] = json.loads(value)
        done.append("set " + path)
    for path in a.drop:
        node, key = walk(manifest, path)
        del node[key]
        done.append("dropped " + path)
    for spec in a.swap:
        first, second = spec.split(",")
        (n1, k1), (n2, k2) = walk(manifest, first), walk(manifest, second)
        n1[k1], n2[k2] = n2[k2], n1[k1]
        done.append("swapped %s and %s" % (first, second))
    for path, old, new in a.replace:
        node, key = walk(manifest, path)
        if old not in node[key]:
            print("edit_package: error: %s: %r is not in %s (%r)"
                  % (a.src, old, path, node[key]), file=sys.stderr)
            return 1
        node[key] = node[key].replace(old, new, 1)
        done.append("%s: %s -> %s" % (path, old, new))

    # Lay out again: the manifest's length moves the blobs.
    base = 0
    while True:
        offset = base
        for entry in manifest["blobs"]:
            entry["offset"] = offset
            entry["size"] = len(blobs[entry["name"]])
            entry["sha256"] = sha256(blobs[entry["name"]]).hex()
            offset = align(offset + entry["size"])
        text = (json.dumps(manifest, indent=2) + "\n").encode()
        new_base = align(HEADER.size + len(text))
        if new_base == base:
            break
        base = new_base
    if a.reseal:
        digest = sha256(text)
    out = bytearray(HEADER.pack(magic, version, flags, len(text), digest))
    out += text
    for entry in manifest["blobs"]:
        out += b"\0" * (entry["offset"] - len(out))
        out += blobs[entry["name"]]
    with open(a.dst, "wb") as f:
        f.write(bytes(out))
    print("edited: " + "; ".join(done) +
          ("; resealed" if a.reseal else "; header checksum kept"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
