#!/usr/bin/env python3
"""Run a GPU model package's host program without a GPU and check what it asks.

The host program (the package's `model.blob`, runtime/KernelABI.h) never
touches device memory: it hands launch and copy requests to the runtime's
callbacks. This loads it with ctypes, gives it fake device addresses
(weights, tokens, state, decode_batch's state pool, logits, the arena
and decode's positions in disjoint ranges) and
callbacks that record every request, calls each entry, and checks each
request against the manifest:

  launch  kernel index within model.kernels; grid and block positive,
          threads at most 1024; shared bytes those the manifest lists;
          every parameter that looks like an address (at or above the
          lowest fake base) inside one of the fake buffers;
  copy    source and destination inside the fake buffers (never the
          weights as destination), not overlapping, size positive.

Prints one line per entry (launches, copies, distinct kernels) and PASS,
or FAIL with the first bad request; exit status 0 or 1.

  check_host_program.py PACKAGE [--tokens N] [--arena-bytes B]
                        [--kernels-of ENTRY]

--kernels-of ENTRY prints, after the checks, the distinct kernels ENTRY
launches, one line, separated by '|' (an `ncu -k regex:` of one entry).
"""
import argparse
import ctypes
import json
import os
import struct
import sys
import tempfile

HEADER_WORDS = 9
# Fake device memory: each buffer at its own 2^36-aligned base, far above
# any integer parameter a kernel takes (row counts, positions).
BASE = 1 << 40
STRIDE = 1 << 36


class Call(ctypes.Structure):
    _fields_ = [("host", ctypes.c_void_p), ("weights", ctypes.c_void_p),
                ("tokens", ctypes.c_uint64), ("num_tokens", ctypes.c_int64),
                ("position", ctypes.c_int64), ("state", ctypes.c_uint64),
                ("logits", ctypes.c_uint64), ("all_logits", ctypes.c_int64),
                ("arena", ctypes.c_uint64), ("positions", ctypes.c_uint64)]


LAUNCH = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p,
                          ctypes.POINTER(ctypes.c_int64))
COPY = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_uint64,
                        ctypes.c_uint64, ctypes.c_int64)


class Host(ctypes.Structure):
    _fields_ = [("context", ctypes.c_void_p), ("launch", LAUNCH),
                ("copy", COPY)]


def read_package(path):
    data = open(path, "rb").read()
    version, _, size = struct.unpack_from("<IIQ", data, 8)
    start = 24 if version == 1 else 56
    manifest = json.loads(data[start:start + size])
    blobs = {b["name"]: data[b["offset"]:b["offset"] + b["size"]]
             for b in manifest["blobs"]}
    return manifest, blobs


def nbytes(dtype, shape):
    n = {"f32": 4, "bf16": 2, "f16": 2}[dtype]
    for d in shape:
        n *= d
    return n


def main(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("package")
    p.add_argument("--tokens", type=int, default=5,
                   help="tokens of the prefill and forward calls (default 5)")
    p.add_argument("--kernels-of", metavar="ENTRY",
                   help="print the kernels ENTRY launches, '|'-separated")
    p.add_argument("--arena-bytes", type=int,
                   help="make the fake arena this size instead of the "
                        "manifest's (a test that the check can fail)")
    a = p.parse_args(argv)
    manifest, blobs = read_package(a.package)
    model = manifest["model"]
    if manifest["target"]["kind"] != "cuda":
        print("FAIL: not a GPU model package")
        return 1
    kernels = model["kernels"]
    vocab = model["config"]["vocab_size"]
    max_tokens = model["max_tokens"]

    # The fake buffers: name -> (base, bytes).
    buffers = {}
    weights = []
    for i, w in enumerate(model["weights"]):
        base = BASE + i * STRIDE
        buffers["weight %s" % w["name"]] = (base, nbytes(w["dtype"], w["shape"]))
        weights.append(base)
    nxt = BASE + len(weights) * STRIDE

    def add(name, size):
        nonlocal nxt
        buffers[name] = (nxt, size)
        nxt += STRIDE
        return buffers[name][0]

    # decode_batch (max_batch > 0) takes that many rows and a pool of as
    # many state slots, [layers, max_batch, heads, K, V].
    max_batch = model.get("max_batch", 0)
    rows = max(max_tokens, max_batch)
    tokens = add("tokens", 4 * rows)
    state_shape = model["state"]["shape"]
    state = add("state", nbytes("f32", state_shape))
    pool = add("state pool", nbytes("f32", state_shape[:1] + [max_batch] +
                                    state_shape[1:])) if max_batch else None
    logits = add("logits", 4 * rows * vocab)
    arena = add("arena", max(a.arena_bytes if a.arena_bytes is not None
                             else model["arena_bytes"], 1))
    positions = add("positions", 8 * max(max_batch, 1))

    def where(addr, size=1):
        for name, (base, n) in buffers.items():
            if base <= addr and addr + size <= base + n:
                return name
        return None

    problems, launches, copies, used = [], [], [], set()
    kernels_of = ""

    def on_launch(_ctx, req):
        try:
            k, n = req[0], req[8]
            words = [req[i] for i in range(HEADER_WORDS + n)]
            grid, block, shared = words[1:4], words[4:7], words[7]
            if not 0 <= k < len(kernels):
                problems.append("kernel index %d outside [0, %d)" % (k, len(kernels)))
                return 1
            name = kernels[k]["entry"]
            used.add(name)
            if min(grid) < 1 or min(block) < 1 or block[0] * block[1] * block[2] > 1024:
                problems.append("%s: grid %s block %s" % (name, grid, block))
            if shared != kernels[k]["shared_bytes"]:
                problems.append("%s: %d shared bytes, the manifest lists %d" % (
                    name, shared, kernels[k]["shared_bytes"]))
            for i, v in enumerate(words[HEADER_WORDS:]):
                if v >= BASE and where(v) is None:
                    problems.append("%s: parameter %d = %#x is in no buffer" % (name, i, v))
            launches.append(name)
        except Exception as e:  # never raise through the C callback
            problems.append("launch callback: %s" % e)
        return 0

    def on_copy(_ctx, dst, src, size):
        d, s = where(dst, max(size, 1)), where(src, max(size, 1))
        if size <= 0 or d is None or s is None or d.startswith("weight") or \
                (dst < src + size and src < dst + size):
            problems.append("copy of %d bytes from %#x (%s) to %#x (%s)" % (
                size, src, s, dst, d))
        copies.append(size)
        return 0

    launch_cb, copy_cb = LAUNCH(on_launch), COPY(on_copy)
    host = Host(None, launch_cb, copy_cb)
    table = (ctypes.c_uint64 * len(weights))(*weights)
    with tempfile.NamedTemporaryFile(suffix=".so", delete=False) as f:
        f.write(blobs[model["blob"]])
        so_path = f.name
    try:
        lib = ctypes.CDLL(so_path)
    finally:
        os.unlink(so_path)

    for entry in model["entries"]:
        batch = entry["name"] == "decode_batch"
        count = (1 if entry["name"] == "decode" else
                 min(a.tokens, max_batch if batch else max_tokens))
        fn = getattr(lib, entry["symbol"])
        fn.argtypes = [ctypes.POINTER(Call)]
        fn.restype = None
        del launches[:], copies[:]
        call = Call(ctypes.cast(ctypes.pointer(host), ctypes.c_void_p).value,
                    ctypes.cast(table, ctypes.c_void_p).value, tokens, count,
                    7, pool if batch else state, logits,
                    1 if entry["name"] == "forward" else 0,
                    arena, positions)
        fn(ctypes.byref(call))
        print("%s: %d tokens, %d launches of %d kernels, %d copies" % (
            entry["name"], count, len(launches), len(set(launches)), len(copies)))
        if entry["name"] == a.kernels_of:
            kernels_of = "|".join(sorted(set(launches)))
        if not launches:
            problems.append("%s launched nothing" % entry["name"])
        if problems:
            break
    if problems:
        print("FAIL: " + problems[0])
        return 1
    unused = [k["entry"] for k in kernels if k["entry"] not in used]
    if unused:
        print("FAIL: kernels no entry launches: %s" % ", ".join(unused))
        return 1
    print("PASS")
    if a.kernels_of:
        print(kernels_of)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
