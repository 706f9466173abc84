#!/usr/bin/env python3
"""Writes a retc package (docs/package-format.md) for retc-run's tests.

Test-only: it lets the package-format tests run without the compiler. By
default it writes a valid retention package whose single blob is a short
non-ELF byte string (so loading the kernel fails with a clear error); --blob
embeds a real shared object instead. --target cuda writes a CUDA package:
target arch (--arch), a `launch` per kernel (--grid, --block,
--shared-bytes) and a blob `kernel.ptx` of format ptx (--blob-format cubin:
`kernel.cubin`); --blob then names a PTX file or a cubin. The other options damage the result in
one controlled way each, to exercise one error check at a time. --model
writes a model package instead (manifest `model` section, no kernels).

Paths for --set/--drop are dot-separated keys and list indices into the
manifest, e.g. kernels.0.params.2.shape. --set values are JSON.
"""
import argparse
import hashlib
import json
import struct
import sys

MAGIC = b"RETCPKG\0"
VERSION = 2
# magic, version, flags, manifest_size, the manifest's SHA-256
HEADER = struct.Struct("<8sIIQ32s")
ALIGN = 64


def sha256(data):
    return hashlib.sha256(data).digest()


def align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def walk(root, path):
    """Returns (container, key) for a dot-separated path."""
    parts = path.split(".")
    node = root
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    return node, (int(last) if isinstance(node, list) else last)


def model_weights(c):
    """The weight list of the model contract (docs/package-format.md)."""
    hid, ffn, H, Hkv = (c["hidden_size"], c["intermediate_size"],
                        c["num_heads"], c["num_kv_heads"])
    Dk, Dv, vocab = c["head_k_dim"], c["head_v_dim"], c["vocab_size"]
    w = [("model.embeddings.weight", [vocab, hid])]
    for l in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % l
        w += [(p + "attn_norm.weight", [hid]),
              (p + "attn.q_proj.weight", [H * Dk, hid]),
              (p + "attn.k_proj.weight", [Hkv * Dk, hid]),
              (p + "attn.v_proj.weight", [Hkv * Dv, hid])]
        if c["use_output_gate"]:
            w.append((p + "attn.g_proj.weight", [H * Dv, hid]))
        w += [(p + "attn.o_proj.weight", [hid, H * Dv]),
              (p + ("attn.g_norm_swish_gate.weight" if c["use_output_gate"]
                    else "attn.g_norm.weight"), [Dv]),
              (p + "mlp_norm.weight", [hid]),
              (p + "mlp.gate_proj.weight", [ffn, hid]),
              (p + "mlp.up_proj.weight", [ffn, hid]),
              (p + "mlp.down_proj.weight", [hid, ffn])]
    w.append(("model.norm.weight", [hid]))
    if not c["tie_word_embeddings"]:
        w.append(("lm_head.weight", [vocab, hid]))
    return [{"name": n, "dtype": "f32", "shape": s} for n, s in w]


def build_model(args):
    """A small model section (--model): 1 layer, hidden 8, vocab 10."""
    c = {"hidden_size": 8, "num_hidden_layers": 1, "num_heads": 2,
         "num_kv_heads": 2, "head_k_dim": 4, "head_v_dim": 4,
         "intermediate_size": 16, "vocab_size": 10, "norm_eps": 1e-6,
         "rotary_base": 10000.0, "tie_word_embeddings": False,
         "use_output_gate": True, "decay": [0.96875, 0.984375]}
    return {"blob": blob_name(args), "config": c, "weights": model_weights(c),
            "state": {"dtype": "f32", "shape": [1, 2, 4, 4]},
            "entries": [
                {"name": "prefill", "symbol": "retc_model_prefill",
                 "form": "chunkwise", "chunk_size": 4},
                {"name": "decode", "symbol": "retc_model_decode",
                 "form": "recurrent"},
                {"name": "forward", "symbol": "retc_model_forward",
                 "form": "parallel"}]}


def build_manifest(args):
    B, T, H, K, V = args.shape
    dt = args.dtype
    params = [
        {"name": "q", "role": "input", "dtype": dt, "shape": [B, T, H, K]},
        {"name": "k", "role": "input", "dtype": dt, "shape": [B, T, H, K]},
        {"name": "v", "role": "input", "dtype": dt, "shape": [B, T, H, V]},
    ]
    if args.s0:
        params.append({"name": "s0", "role": "input", "dtype": "f32",
                       "shape": [B, H, K, V]})
    params += [
        {"name": "o", "role": "output", "dtype": dt, "shape": [B, T, H, V]},
        {"name": "state", "role": "output", "dtype": "f32",
         "shape": [B, H, K, V]},
    ]
    kernel = {
        "name": "retention",
        "form": args.form,
        "chunk_size": args.chunk,
        "entry": args.entry or "retention_" + args.form,
        "blob": blob_name(args),
        "dtype": dt,
        "shape": {"B": B, "T": T, "H": H, "K": K, "V": V},
        "decay": [1.0 - 2.0 ** (-5 - h) for h in range(H)],
        "scale": K ** -0.5,
        "params": params,
    }
    if args.target == "cuda":
        target = {"kind": "cuda", "arch": args.arch}
        kernel["launch"] = {"grid": args.grid, "block": args.block,
                            "shared_bytes": args.shared_bytes}
    else:
        target = {"kind": "cpu", "triple": "x86_64-unknown-linux-gnu",
                  "cpu": "x86-64", "features": args.features}
    if args.model:
        return {"format": "retc-package", "version": VERSION,
                "producer": "make_package.py (test)", "target": target,
                "kernels": [], "model": build_model(args), "blobs": []}
    return {"format": "retc-package", "version": VERSION,
            "producer": "make_package.py (test)", "target": target,
            "kernels": [kernel], "blobs": []}


def blob_format(args):
    """The blob's "format" field, or None to leave it out (CPU default)."""
    if args.blob_format:
        return args.blob_format
    return "ptx" if args.target == "cuda" else None


def blob_name(args):
    if args.model:
        return "model.so"
    fmt = blob_format(args)
    return {"ptx": "kernel.ptx", "cubin": "kernel.cubin"}.get(fmt, "kernel.so")


def dims(text):
    values = [int(x) for x in text.split(",")]
    return values + [1] * (3 - len(values))


def edit(manifest, args):
    for spec in args.set:
        path, _, value = spec.partition("=")
        node, key = walk(manifest, path)
        if isinstance(node, list) and key == len(node):
            node.append(None)  # setting one past the end appends
        node[key] = json.loads(value)
    for path in args.drop:
        node, key = walk(manifest, path)
        del node[key]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out")
    p.add_argument("--shape", default="2,5,3,4,6",
                   type=lambda s: [int(x) for x in s.split(",")],
                   help="B,T,H,K,V")
    p.add_argument("--dtype", default="f32")
    p.add_argument("--form", default="chunkwise")
    p.add_argument("--chunk", type=int, default=8)
    p.add_argument("--s0", action="store_true", help="add an s0 input")
    p.add_argument("--entry", help="entry symbol (default retention_<form>)")
    p.add_argument("--target", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--features", default="",
                   help="cpu: target.features, e.g. +avx2,+avx512f")
    p.add_argument("--arch", default="sm_90", help="cuda: target.arch")
    p.add_argument("--grid", default="1,1,1", type=dims,
                   help="cuda: launch.grid x[,y[,z]]")
    p.add_argument("--block", default="128,1,1", type=dims,
                   help="cuda: launch.block x[,y[,z]]")
    p.add_argument("--shared-bytes", type=int, default=0,
                   help="cuda: launch.shared_bytes")
    p.add_argument("--blob-format",
                   choices=["elf-shared-object", "ptx", "cubin"],
                   help="the blob's format field (default: ptx for cuda, "
                        "absent for cpu)")
    p.add_argument("--model", action="store_true",
                   help="a model package: empty kernels, a small 'model' "
                        "section (1 layer, hidden 8, vocab 10), blob model.so")
    p.add_argument("--blob", help="file whose bytes become the kernel blob")
    p.add_argument("--set", action="append", default=[],
                   metavar="PATH=JSON", help="set a manifest field")
    p.add_argument("--drop", action="append", default=[], metavar="PATH",
                   help="delete a manifest field")
    p.add_argument("--raw-manifest", help="use this text as the manifest")
    p.add_argument("--member", action="append", default=[], metavar="TEXT",
                   help="insert TEXT (e.g. '\"ver\\u0073ion\": 1') as the "
                        "first member of the manifest object, verbatim, so "
                        "that keys can be repeated or spelled with escapes")
    p.add_argument("--nested-member", type=int, metavar="N",
                   help="insert a member \"nested\" whose value is N nested "
                        "arrays (as text: Python's json would recurse)")
    p.add_argument("--magic", help="header magic (padded to 8 bytes)")
    p.add_argument("--header-version", type=int, default=VERSION)
    p.add_argument("--flags", type=int, default=0)
    p.add_argument("--flip-blob-byte", action="store_true",
                   help="flip a bit in the blob after checksumming it")
    p.add_argument("--truncate-at", choices=["header", "manifest", "blob"],
                   help="cut the file right after the header, in the middle "
                        "of the manifest, or in the middle of the blob")
    p.add_argument("--truncate", type=int, help="keep only this many bytes")
    args = p.parse_args()

    if args.blob:
        with open(args.blob, "rb") as f:
            blob = f.read()
    else:
        blob = b"retc test blob: this is not an ELF shared object\n" * 3

    # Lay out like the runtime's writer: iterate until the manifest length
    # and the blob offset agree.
    manifest = build_manifest(args)
    base = 0
    while True:
        entry = {"name": blob_name(args), "offset": base, "size": len(blob),
                 "sha256": sha256(blob).hex()}
        if blob_format(args):
            entry["format"] = blob_format(args)
        manifest["blobs"] = [entry]
        edit(manifest, args)
        text = (args.raw_manifest if args.raw_manifest is not None
                else json.dumps(manifest, indent=2) + "\n")
        members = list(args.member)
        if args.nested_member is not None:
            n = args.nested_member
            members.append('"nested": ' + "[" * n + "]" * n)
        for member in reversed(members):
            brace = text.index("{")
            text = text[:brace + 1] + member + ", " + text[brace + 1:]
        text = text.encode()
        new_base = align(HEADER.size + len(text))
        if new_base == base:
            break
        base = new_base
        manifest = build_manifest(args)

    magic = MAGIC if args.magic is None else args.magic.encode()[:8].ljust(8, b"\0")
    data = bytearray(HEADER.pack(magic, args.header_version, args.flags,
                                 len(text), sha256(text)))
    data += text
    data += b"\0" * (base - len(data))
    blob_at = len(data)
    data += blob
    if args.flip_blob_byte:
        data[blob_at + len(blob) // 2] ^= 0x10

    if args.truncate_at == "header":
        data = data[:HEADER.size]
    elif args.truncate_at == "manifest":
        data = data[:HEADER.size + len(text) // 2]
    elif args.truncate_at == "blob":
        data = data[:blob_at + len(blob) // 2]
    if args.truncate is not None:
        data = data[:args.truncate]

    with open(args.out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
