#!/usr/bin/env python3
"""gather_corpus.py OUT [--retc RETC]

Writes seed inputs for the fuzzers (fuzz/) into OUT/<harness>/, one file
each, from what the repository's tests already use, so that no copies are
committed:

  ret-language     examples/*.ret, test/**/*.ret and the `.ret` sections of
                   the tests' split-file inputs (`#--- name.ret`)
  hf-config        the tests' `.json` sections and files (config.json)
  npy              test/retc-run/Inputs/make_npy.py: each dtype and version,
                   0-d to 4-d, Fortran order, truncated, trailing bytes
  package          test/retc-run/Inputs/make_package.py: CPU, CUDA and model
                   packages, each form, and a few damaged ones
  manifest         the manifests of those packages (and of retc's own
                   packages, with --retc)
  safetensors      small files in the layout of test/lib/safetensors_np.py:
                   F32, BF16, F16, scalars, empty tensors, __metadata__
  sequence-state   state files in the format of runtime/model/SequenceState
                   (docs/runtime.md)

With --retc, a built retc compiles examples/tiny.ret and a small kernel, and
their manifests join the manifest seeds (the packages themselves are too
large to be good seeds). Needs only Python 3 (no numpy).
"""
import argparse
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = os.path.join(ROOT, "test", "retc-run", "Inputs")


class Corpus:
    """OUT/<harness>/, files named by the hash of their contents."""

    def __init__(self, out):
        self.out = out
        self.counts = {}

    def add(self, harness, data):
        if isinstance(data, str):
            data = data.encode()
        folder = os.path.join(self.out, harness)
        os.makedirs(folder, exist_ok=True)
        name = hashlib.sha1(data).hexdigest()
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.counts[harness] = self.counts.get(harness, 0) + 1


def split_file_sections(path):
    """The sections of an llvm split-file input: {name: text}."""
    sections, name, lines = {}, None, []
    marker = re.compile(r"^(?:#|//)--- (\S+)\s*$")
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = marker.match(line)
            if m:
                if name is not None:
                    sections[name] = "".join(lines)
                name, lines = m.group(1), []
            elif name is not None:
                lines.append(line)
    if name is not None:
        sections[name] = "".join(lines)
    return sections


def gather_text(corpus):
    for base, _, files in os.walk(ROOT):
        rel = os.path.relpath(base, ROOT)
        if rel.startswith(("build", ".git", "third_party")):
            continue
        if not (rel.startswith("test") or rel.startswith("examples")):
            continue
        for name in files:
            path = os.path.join(base, name)
            if name.endswith(".ret"):
                with open(path, "rb") as f:
                    corpus.add("ret-language", f.read())
            elif name.endswith(".json"):
                with open(path, "rb") as f:
                    corpus.add("hf-config", f.read())
            elif name.endswith(".test"):
                for section, text in split_file_sections(path).items():
                    if section.endswith(".ret"):
                        corpus.add("ret-language", text)
                    elif section.endswith(".json") or \
                            text.lstrip().startswith("{"):
                        corpus.add("hf-config", text)


def run(*args):
    subprocess.run([sys.executable, *args], check=True,
                   stdout=subprocess.DEVNULL)


def gather_npy(corpus, tmp):
    make = os.path.join(INPUTS, "make_npy.py")
    variants = [
        ["--shape", "2,3"],
        ["--shape", "5"],
        ["--shape", ""],
        ["--shape", "0,4"],
        ["--shape", "1,2,2,3", "--dtype", "<f2"],
        ["--shape", "3,2", "--dtype", "<f8"],
        ["--shape", "2,2", "--version", "2"],
        ["--shape", "2", "--version", "3", "--dtype", "<f2"],
        ["--shape", "2,2", "--fortran"],
        ["--shape", "2,2", "--dtype", ">f4"],
        ["--shape", "2,2", "--dtype", "<i4"],
        ["--shape", "3", "--truncate", "2"],
        ["--shape", "3", "--trailing", "3"],
    ]
    for i, args in enumerate(variants):
        out = os.path.join(tmp, "a%d.npy" % i)
        run(make, out, *args)
        with open(out, "rb") as f:
            corpus.add("npy", f.read())


def manifest_of(package):
    """The manifest text of a package file's bytes (docs/package-format.md):
    after the header, 24 bytes in version 1, 56 from version 2 on (the
    manifest's SHA-256 follows its size). A seed that is not JSON would
    start the manifest fuzzer from nothing, so it is an error here."""
    if len(package) < 24:
        return None
    version, _, size = struct.unpack_from("<IIQ", package, 8)
    start = 24 if version == 1 else 56
    text = package[start:start + size]
    try:
        json.loads(text)
    except ValueError as e:
        sys.exit("gather_corpus: the manifest of a version-%d package is not "
                 "JSON (%s): does manifest_of know this header?" % (version, e))
    return text


def gather_packages(corpus, tmp):
    make = os.path.join(INPUTS, "make_package.py")
    variants = [
        [],
        ["--s0"],
        ["--form", "parallel", "--dtype", "bf16"],
        ["--form", "recurrent", "--dtype", "f16", "--s0"],
        ["--features", "+avx2,+fma"],
        ["--target", "cuda"],
        ["--target", "cuda", "--blob-format", "cubin", "--s0"],
        ["--model"],
        ["--model", "--target", "cuda"],
        ["--flip-blob-byte"],
        ["--truncate-at", "manifest"],
        ["--truncate-at", "blob"],
    ]
    for i, args in enumerate(variants):
        out = os.path.join(tmp, "p%d.retpkg" % i)
        run(make, out, *args)
        with open(out, "rb") as f:
            data = f.read()
        corpus.add("package", data)
        if args[:2] == ["--truncate-at", "manifest"]:
            continue  # its manifest is cut short on purpose
        manifest = manifest_of(data)
        if manifest:
            corpus.add("manifest", manifest)


def gather_retc_manifests(corpus, tmp, retc):
    commands = [
        [os.path.join(ROOT, "examples", "tiny.ret"), "--target=cpu"],
        ["--kernel=retention", "--form=chunkwise", "--chunk=16",
         "--shape=1,32,2,16,16", "--initial-state", "--target=cpu"],
        ["--kernel=linear", "--shape=5,12,8", "--residual", "--target=cpu"],
    ]
    # A GPU model's manifest too, where the CUDA toolkit (libdevice) is
    # installed: the package needs no GPU, but retc needs the toolkit.
    optional = [[os.path.join(ROOT, "examples", "tiny.ret"), "--target=sm_90a"]]
    for i, args in enumerate(commands + optional):
        out = os.path.join(tmp, "retc%d.retpkg" % i)
        r = subprocess.run([retc, *args, "-o", out], check=args not in optional,
                           stderr=subprocess.PIPE if args in optional else None)
        if r.returncode != 0:
            print("gather_corpus: skipped retc %s (%s)" % (
                " ".join(args[1:]), r.stderr.decode().strip().splitlines()[-1]
                if r.stderr else "failed"))
            continue
        with open(out, "rb") as f:
            manifest = manifest_of(f.read())
        if manifest:
            corpus.add("manifest", manifest)


def safetensors(tensors, metadata=None):
    """A .safetensors file: {name: (dtype, shape, bytes)} in order."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def gather_safetensors(corpus):
    f32 = struct.pack("<4f", 1.0, -2.0, 0.5, 3.0)
    bf16 = struct.pack("<4H", 0x3F80, 0xC000, 0x3F00, 0x4040)
    f16 = struct.pack("<4H", 0x3C00, 0xC000, 0x3800, 0x4200)
    corpus.add("safetensors", safetensors({"w": ("F32", [2, 2], f32)}))
    corpus.add("safetensors", safetensors(
        {"embeddings.weight": ("BF16", [2, 2], bf16),
         "norm.weight": ("F16", [4], f16)},
        metadata={"format": "pt"}))
    corpus.add("safetensors", safetensors(
        {"scalar": ("F32", [], f32[:4]), "empty": ("F32", [0, 3], b""),
         "row": ("F32", [1, 3], f32[4:])}))
    corpus.add("safetensors", safetensors({"i": ("I64", [1], bytes(8))}))
    corpus.add("safetensors", safetensors({}))


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def state_file(shape, position, version=1):
    count = 1
    for d in shape:
        count *= d
    data = struct.pack("<%df" % count, *[0.25 * i for i in range(count)])
    header = b"RETCSTAT" + struct.pack("<IIq", version, len(shape), position)
    header += struct.pack("<%dq" % len(shape), *shape)
    return header + struct.pack("<Q", fnv1a64(data)) + data


def gather_states(corpus):
    corpus.add("sequence-state", state_file([1, 1, 2, 2], 0))
    corpus.add("sequence-state", state_file([2, 1, 2, 3], 17))
    corpus.add("sequence-state", state_file([5], 3))
    corpus.add("sequence-state", state_file([1, 1, 2, 2], 1, version=2))
    corpus.add("sequence-state", state_file([1, 1, 2, 2], 4)[:-3])


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out")
    p.add_argument("--retc", help="a built retc, for its packages' manifests")
    args = p.parse_args()
    corpus = Corpus(args.out)
    gather_text(corpus)
    gather_safetensors(corpus)
    gather_states(corpus)
    with tempfile.TemporaryDirectory() as tmp:
        gather_npy(corpus, tmp)
        gather_packages(corpus, tmp)
        if args.retc:
            gather_retc_manifests(corpus, tmp, args.retc)
    for harness in sorted(corpus.counts):
        print("gather_corpus: %-15s %3d seeds" % (harness, corpus.counts[harness]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
