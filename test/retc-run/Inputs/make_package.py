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
writes a model package instead (manifest `model` section, no kernels);
with --target cuda, a GPU model package: the host program `model.so`
(--blob) and the CUDA module `kernels.ptx` (--kernels-blob, default a
short PTX text; its record of what it was compiled for is appended), with
the model's host_target, kernels, max_tokens and arena_bytes.

Paths for --set/--drop are dot-separated keys and list indices into the
manifest, e.g. kernels.0.params.2.shape. --set values are JSON.

Code must record what it was compiled for (docs/package-format.md, "What
the code was compiled for"): --emit-compiled-for c writes the C definition
to compile into a hand-written kernel with the same options as its
package; a PTX --blob gets it appended here; --emit-compiled-for ptx writes
such PTX, to assemble into a cubin.
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


def gpu_model_fields(model, args):
    """The fields of a GPU model (--model --target cuda)."""
    model["host_target"] = {"triple": "x86_64-unknown-linux-gnu",
                            "cpu": "x86-64", "features": args.features}
    model["kernels_blob"] = KERNELS_BLOB
    model["kernels"] = [{"entry": "embed", "shared_bytes": 0},
                        {"entry": "gemm", "shared_bytes": 65536}]
    model["max_tokens"] = 4
    model["arena_bytes"] = 4096
    for e in model["entries"]:
        e["symbol"] = "retc_gpu_model_" + e["name"]
    return model


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
        model = build_model(args)
        if args.target == "cuda":
            model = gpu_model_fields(model, args)
        return {"format": "retc-package", "version": VERSION,
                "producer": "make_package.py (test)", "target": target,
                "kernels": [], "model": model, "blobs": []}
    return {"format": "retc-package", "version": VERSION,
            "producer": "make_package.py (test)", "target": target,
            "kernels": [kernel], "blobs": []}


KERNELS_BLOB = "kernels.ptx"


def blob_format(args):
    """The blob's "format" field, or None to leave it out (CPU default)."""
    if args.blob_format:
        return args.blob_format
    if args.model and args.target == "cuda":
        return "elf-shared-object"  # a GPU model's host program
    return "ptx" if args.target == "cuda" else None


def gpu_model(args):
    return args.model and args.target == "cuda"


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


def quote(text):
    """A string value on one line, as runtime/package/CompiledFor.cpp
    writes it: backslashes and control characters escaped."""
    out = bytearray()
    for byte in text.encode("utf-8"):
        if byte == 0x5C:
            out += b"\\\\"
        elif byte < 0x20 or byte == 0x7F:
            out += b"\\x%02x" % byte
        else:
            out.append(byte)
    return out.decode("utf-8")


def number(value):
    return "%.17g" % value


def shape_text(dims):
    return "[" + ",".join(str(d) for d in dims) + "]"


def launch_text(launch, with_entry):
    return (("entry=%s " % quote(launch["entry"]) if with_entry else "") +
            "grid=%s block=%s shared_bytes=%d" % (
                shape_text(launch["grid"]), shape_text(launch["block"]),
                launch["shared_bytes"]))


# The GPU model call's version (runtime/KernelABI.h,
# RETC_GPU_MODEL_CALL_VERSION) a host program records; --call-version.
CALL_VERSION = [2]


def describe_compiled_for(manifest, blob):
    """The text the code of `blob` must record about what it was compiled
    for (docs/package-format.md, "What the code was compiled for"): the
    same lines, byte for byte, as runtime/package/CompiledFor.cpp makes of
    this manifest."""
    lines = ["retc-compiled-for 1"]

    def add(key, value):
        lines.append("%s %s" % (key, value))

    target = manifest["target"]
    add("target.kind", target["kind"])
    if target["kind"] == "cpu":
        add("target.triple", quote(target["triple"]))
        add("target.cpu", quote(target.get("cpu", "")))
        add("target.features", quote(target.get("features", "")))
    else:
        add("target.arch", quote(target["arch"]))
    for i, k in enumerate(manifest["kernels"]):
        if k["blob"] != blob:
            continue
        at = "kernels[%d]" % i
        add(at + ".name", quote(k["name"]))
        add(at + ".entry", quote(k["entry"]))
        # As runtime/package/CompiledFor.cpp: no kind line for retention.
        kind = k.get("kind", "retention")
        if kind != "retention":
            add(at + ".kind", kind)
            add(at + ".dtype", k["dtype"])
            add(at + ".shape", " ".join("%s=%d" % (d, k["shape"][d])
                                        for d in "MNK"))
        else:
            add(at + ".form", k["form"])
            if "chunk_size" in k:
                add(at + ".chunk_size", k["chunk_size"])
            add(at + ".dtype", k["dtype"])
            add(at + ".shape", " ".join("%s=%d" % (d, k["shape"][d])
                                        for d in "BTHKV"))
            add(at + ".decay", " ".join(number(g) for g in k["decay"]))
            add(at + ".scale", number(k["scale"]))
        for j, prm in enumerate(k["params"]):
            add("%s.params[%d]" % (at, j), "%s %s %s %s" % (
                quote(prm["name"]), prm["role"], prm["dtype"],
                shape_text(prm["shape"])))
        if "launch" in k:
            add(at + ".launch", launch_text(k["launch"], False))
        for j, launch in enumerate(k.get("launches", [])):
            add("%s.launches[%d]" % (at, j), launch_text(launch, True))
        add(at + ".workspace_bytes", k.get("workspace_bytes", 0))
    model = manifest.get("model")
    gpu = model is not None and target["kind"] == "cuda"

    def model_kernels():
        for i, k in enumerate(model["kernels"]):
            add("model.kernels[%d]" % i, "%s shared_bytes=%d" % (
                quote(k["entry"]), k["shared_bytes"]))

    if model and model["blob"] == blob:
        if gpu:
            host = model["host_target"]
            add("model.host_target.triple", quote(host["triple"]))
            add("model.host_target.cpu", quote(host.get("cpu", "")))
            add("model.host_target.features", quote(host.get("features", "")))
        c = model["config"]
        for key in ("hidden_size", "num_hidden_layers", "num_heads",
                    "num_kv_heads", "head_k_dim", "head_v_dim",
                    "intermediate_size", "vocab_size"):
            add("model.config." + key, c[key])
        add("model.config.norm_eps", number(c["norm_eps"]))
        add("model.config.rotary_base", number(c["rotary_base"]))
        add("model.config.rotary_layout",
            quote(c.get("rotary_layout", "rotate_half")))
        for key in ("tie_word_embeddings", "use_output_gate"):
            add("model.config." + key, "true" if c[key] else "false")
        add("model.config.decay", " ".join(number(g) for g in c["decay"]))
        for i, w in enumerate(model["weights"]):
            add("model.weights[%d]" % i, "%s %s %s" % (
                quote(w["name"]), w["dtype"], shape_text(w["shape"])))
        add("model.state", "%s %s" % (model["state"]["dtype"],
                                      shape_text(model["state"]["shape"])))
        for i, e in enumerate(model["entries"]):
            add("model.entries[%d]" % i, "%s %s %s%s" % (
                quote(e["name"]), quote(e["symbol"]), e["form"],
                " chunk_size=%d" % e["chunk_size"] if "chunk_size" in e
                else ""))
        if gpu:
            model_kernels()
            add("model.max_tokens", model["max_tokens"])
            add("model.arena_bytes", model["arena_bytes"])
            if CALL_VERSION[0]:
                add("model.call_version", CALL_VERSION[0])
    if gpu and model["kernels_blob"] == blob:
        model_kernels()
    return "".join(line + "\n" for line in lines)


def compiled_for_c(text):
    """A C source defining the record (KernelABI.h: an exported constant
    char array), to compile into a hand-written kernel."""
    literal = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\?'
                      else "\\%03o" % b for c in text
                      for b in c.encode("utf-8"))
    return ("/* What the kernel was compiled for (make_package.py). */\n"
            "const char retc_compiled_for[] = \"%s\";\n" % literal)


def compiled_for_ptx(ptx, text):
    """`ptx` with the record appended as a .visible .global byte array."""
    data = text.encode("utf-8") + b"\0"
    return ptx + ("\n.visible .global .align 1 .b8 retc_compiled_for[%d] = "
                  "{%s};\n" % (len(data), ", ".join(str(b) for b in data))
                  ).encode()


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
    p.add_argument("--blob", help="file whose bytes become the kernel blob; "
                        "a PTX blob without the record of what it was "
                        "compiled for gets it appended (unless "
                        "--no-compiled-for)")
    p.add_argument("--kernels-blob",
                   help="--model --target cuda: file whose bytes become the "
                        "CUDA module kernels.ptx (default: a short PTX text); "
                        "its record is appended (unless --no-compiled-for)")
    p.add_argument("--call-version", type=int, default=2,
                   help="cuda models: the call version the host program's "
                        "record gives (0: none, as before version 2)")
    p.add_argument("--no-compiled-for", action="store_true",
                   help="leave a PTX blob as it is (no record)")
    p.add_argument("--emit-compiled-for", choices=["c", "ptx"],
                   help="write to OUT, instead of a package, the record of "
                        "what the code was compiled for, for the manifest "
                        "the other options describe: c, a C source defining "
                        "it (compile it into the kernel); ptx, the --blob "
                        "PTX with it appended (assemble it into a cubin)")
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

    # What the code must record: the manifest these options make.
    described = build_manifest(args)
    described["blobs"] = [{"name": blob_name(args)}]
    CALL_VERSION[0] = args.call_version
    if args.emit_compiled_for:
        edit(described, args)
        text = describe_compiled_for(described, blob_name(args))
        with open(args.out, "wb") as f:
            f.write(compiled_for_c(text).encode() if args.emit_compiled_for ==
                    "c" else compiled_for_ptx(blob, text))
        return 0
    blobs = {}
    if gpu_model(args):
        kernels = b"// retc test kernels (make_package.py)\n"
        if args.kernels_blob:
            with open(args.kernels_blob, "rb") as f:
                kernels = f.read()
        if not args.no_compiled_for and b"retc_compiled_for" not in kernels:
            try:
                edit(described, args)
                text = describe_compiled_for(described, KERNELS_BLOB)
                kernels = compiled_for_ptx(kernels, text)
            except (KeyError, IndexError, TypeError, ValueError):
                pass  # a manifest broken on purpose: nothing to record
        blobs[KERNELS_BLOB] = (kernels, "ptx")
    if (args.blob and blob_format(args) == "ptx" and not args.no_compiled_for
            and b"retc_compiled_for" not in blob):
        try:
            edit(described, args)
            text = describe_compiled_for(described, blob_name(args))
        except (KeyError, IndexError, TypeError, ValueError):
            text = None  # a manifest broken on purpose: nothing to record
        if text is not None:
            blob = compiled_for_ptx(blob, text)
    blobs[blob_name(args)] = (blob, blob_format(args))

    # Lay out like the runtime's writer: iterate until the manifest length
    # and the blob offset agree.
    manifest = build_manifest(args)
    base = 0
    while True:
        # In name order, each at a 64-byte boundary, as writePackage does.
        manifest["blobs"] = []
        offset = base
        for name in sorted(blobs):
            data, fmt = blobs[name]
            entry = {"name": name, "offset": offset, "size": len(data),
                     "sha256": sha256(data).hex()}
            if fmt:
                entry["format"] = fmt
            manifest["blobs"].append(entry)
            offset = align(offset + len(data))
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
    blob_at = 0
    for name in sorted(blobs):
        data += b"\0" * (align(len(data)) - len(data))
        if name == blob_name(args):
            blob_at = len(data)
        data += blobs[name][0]
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
