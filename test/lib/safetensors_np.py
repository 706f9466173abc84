#!/usr/bin/env python3
"""Read and write `.safetensors` files with numpy only, and break them on purpose.

The format (https://github.com/huggingface/safetensors): an 8-byte
little-endian unsigned header length N, then N bytes of UTF-8 JSON, then the
data section. The JSON maps each tensor name to
`{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}` (offsets
relative to the start of the data section, row-major, little-endian), plus an
optional `"__metadata__"` object of string to string. Tensors are contiguous
and do not overlap; together they cover the data section.

Reading: `load(path)` gives {name: ndarray}; F32 and F16 come back as
float32 / float16, BF16 as float32 (exactly: a bf16 is the top half of an
f32), integer types as themselves. `load_raw(path)` gives the undecoded
tensors. Every problem raises `SafetensorsError` with one line that names the
file, the place (tensor, field) and what is wrong.

Writing: `save(path, tensors, dtype=...)` converts float data to F32, F16 or
BF16 with round-to-nearest-even (float64 goes through float32 first, as
torch does).

The command line breaks files for the runtime's bad-input tests:

    python3 safetensors_np.py corrupt KIND IN OUT [--tensor NAME]
    python3 safetensors_np.py list FILE

KIND is one of CORRUPTIONS below. `corrupt` prints `corrupted KIND: ...` and
`tensor: NAME` (the tensor it touched, where there is one), so that a test can
check the runtime's message names the same tensor.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

# safetensors dtype name -> (numpy dtype of the stored bits, bytes per element)
DTYPES = {
    "F64": (np.dtype("<f8"), 8),
    "F32": (np.dtype("<f4"), 4),
    "F16": (np.dtype("<f2"), 2),
    "BF16": (np.dtype("<u2"), 2),  # bit patterns; decoded to float32
    "I64": (np.dtype("<i8"), 8),
    "I32": (np.dtype("<i4"), 4),
    "I16": (np.dtype("<i2"), 2),
    "I8": (np.dtype("i1"), 1),
    "U8": (np.dtype("u1"), 1),
    "BOOL": (np.dtype("?"), 1),
}

# The longest header we accept (the safetensors library's own limit).
MAX_HEADER_BYTES = 100 * 1000 * 1000


class SafetensorsError(Exception):
    """A file that is not a valid safetensors file; str() is one line."""


# --------------------------------------------------------------------------
# bf16 conversion.
# --------------------------------------------------------------------------

def f32_to_bf16_bits(x):
    """Round float data to bf16 (nearest, ties to even); returns uint16 bits.

    float64 input is rounded to float32 first. NaN stays a (quiet) NaN;
    values past the bf16 range become infinities, as they should.
    """
    x32 = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    bits = x32.view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lsb) >> 16).astype(np.uint16)
    nan = np.isnan(x32)
    if nan.any():
        rounded[nan] = (x32.view(np.uint32)[nan] >> 16).astype(np.uint16) | 0x0040
    return rounded


def bf16_bits_to_f32(bits):
    """Widen bf16 bit patterns (uint16) to float32, exactly."""
    b = np.ascontiguousarray(np.asarray(bits, dtype=np.uint16))
    return (b.astype(np.uint32) << 16).view(np.float32)


def round_to_bf16(x):
    """x rounded to the nearest bf16 (ties to even), as float32."""
    return bf16_bits_to_f32(f32_to_bf16_bits(x))


# --------------------------------------------------------------------------
# Reading.
# --------------------------------------------------------------------------

def _fail(path, msg):
    raise SafetensorsError("%s: %s" % (path, msg))


def read_header(path):
    """Parse and check the header. Returns (entries, metadata, data_start,
    data_size), entries = {name: {"dtype", "shape", "data_offsets"}}."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                _fail(path, "file is %d bytes, too short for the 8-byte header length"
                      % len(head))
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER_BYTES:
                _fail(path, "header length %d is larger than the %d-byte limit"
                      % (n, MAX_HEADER_BYTES))
            if 8 + n > size:
                _fail(path, "header length %d runs past the end of the file "
                      "(%d bytes after the length field)" % (n, size - 8))
            raw = f.read(n)
    except OSError as e:
        _fail(path, "cannot read: %s" % (e.strerror or e))
    try:
        header = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        _fail(path, "header is not UTF-8 (byte %d)" % e.start)
    except json.JSONDecodeError as e:
        _fail(path, "header is not valid JSON: %s at byte %d" % (e.msg, e.pos))
    if not isinstance(header, dict):
        _fail(path, "header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            _fail(path, "__metadata__ must be an object of strings")
    data_start = 8 + n
    data_size = size - data_start
    spans = []
    for name, e in header.items():
        where = "tensor '%s'" % name
        if not isinstance(e, dict):
            _fail(path, "%s: entry is not an object" % where)
        for field in ("dtype", "shape", "data_offsets"):
            if field not in e:
                _fail(path, "%s: missing field '%s'" % (where, field))
        dt = e["dtype"]
        if dt not in DTYPES:
            _fail(path, "%s: unknown dtype %r (known: %s)"
                  % (where, dt, ", ".join(sorted(DTYPES))))
        shape = e["shape"]
        if not isinstance(shape, list) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            _fail(path, "%s: shape must be a list of non-negative integers, got %r"
                  % (where, shape))
        off = e["data_offsets"]
        if not isinstance(off, list) or len(off) != 2 or not all(
                isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in off):
            _fail(path, "%s: data_offsets must be two non-negative integers, got %r"
                  % (where, off))
        begin, end = off
        if begin > end:
            _fail(path, "%s: data_offsets [%d, %d] end before they begin" % (where, begin, end))
        if end > data_size:
            _fail(path, "%s: data_offsets [%d, %d] run past the end of the data "
                  "section (%d bytes)" % (where, begin, end, data_size))
        want = int(np.prod(shape, dtype=np.int64)) * DTYPES[dt][1]
        if end - begin != want:
            _fail(path, "%s: data_offsets [%d, %d] hold %d bytes, but dtype %s shape %s "
                  "needs %d" % (where, begin, end, end - begin, dt, shape, want))
        spans.append((begin, end, name))
    spans.sort()
    pos = 0
    for begin, end, name in spans:
        if begin < pos:
            _fail(path, "tensor '%s': data_offsets [%d, %d] overlap the previous tensor"
                  % (name, begin, end))
        if begin > pos:
            _fail(path, "tensor '%s': bytes [%d, %d) before it belong to no tensor"
                  % (name, pos, begin))
        pos = end
    if pos != data_size:
        _fail(path, "bytes [%d, %d) at the end of the data section belong to no tensor"
              % (pos, data_size))
    return header, metadata or {}, data_start, data_size


def load_raw(path):
    """{name: (dtype, shape, bytes)} in data order, and the metadata."""
    entries, metadata, data_start, _ = read_header(path)
    with open(path, "rb") as f:
        f.seek(data_start)
        data = f.read()
    out = {}
    for name, e in sorted(entries.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, t = e["data_offsets"]
        out[name] = (e["dtype"], list(e["shape"]), data[b:t])
    return out, metadata


def decode(dtype, shape, raw):
    """One tensor's bytes as an ndarray (BF16 widened to float32)."""
    npdt, _ = DTYPES[dtype]
    a = np.frombuffer(raw, dtype=npdt).reshape(shape)
    if dtype == "BF16":
        return bf16_bits_to_f32(a).reshape(shape)
    return a.astype(npdt.newbyteorder("="), copy=True)


def load(path, with_dtypes=False):
    """{name: ndarray}; with_dtypes: also {name: safetensors dtype}."""
    raw, _ = load_raw(path)
    arrays = {n: decode(dt, shape, b) for n, (dt, shape, b) in raw.items()}
    if with_dtypes:
        return arrays, {n: dt for n, (dt, _, _) in raw.items()}
    return arrays


def load_metadata(path):
    return read_header(path)[1]


# --------------------------------------------------------------------------
# Writing.
# --------------------------------------------------------------------------

_NUMPY_TO_DTYPE = {"float64": "F64", "float32": "F32", "float16": "F16",
                   "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8",
                   "uint8": "U8", "bool": "BOOL"}


def encode(array, dtype=None):
    """(dtype, shape, bytes) for one array; dtype None keeps its own type."""
    a = np.asarray(array)
    if dtype is None:
        dtype = _NUMPY_TO_DTYPE.get(a.dtype.name)
        if dtype is None:
            raise ValueError("no safetensors dtype for numpy %s" % a.dtype)
    dtype = dtype.upper()
    if dtype == "BF16":
        bits = f32_to_bf16_bits(a) if a.dtype != np.uint16 else a
        return dtype, list(a.shape), np.ascontiguousarray(bits, dtype="<u2").tobytes()
    if dtype not in DTYPES:
        raise ValueError("unknown safetensors dtype %r" % dtype)
    if dtype == "F16" and a.dtype == np.float64:
        a = a.astype(np.float32)  # double rounding avoided the same way as bf16
    return dtype, list(a.shape), np.ascontiguousarray(a, dtype=DTYPES[dtype][0]).tobytes()


def save_raw(path, raw, metadata=None, header_override=None):
    """Write {name: (dtype, shape, bytes)} in the given order.

    header_override(header_dict) may edit the header before it is written
    (used to break files); the data section is written as is.
    """
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    pos = 0
    chunks = []
    for name, (dt, shape, b) in raw.items():
        header[name] = {"dtype": dt, "shape": list(shape),
                        "data_offsets": [pos, pos + len(b)]}
        chunks.append(b)
        pos += len(b)
    if header_override is not None:
        header_override(header)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data section starts 8-aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in chunks:
            f.write(b)
    os.replace(tmp, path)


def save(path, tensors, dtype=None, metadata=None):
    """Write {name: ndarray}. dtype: one safetensors dtype for all float
    tensors ("F32", "F16", "BF16"), a {name: dtype} dict, or None (each
    array's own type)."""
    raw = {}
    for name, a in tensors.items():
        dt = dtype.get(name) if isinstance(dtype, dict) else dtype
        if dt is not None and np.asarray(a).dtype.kind not in "fu":
            dt = None
        raw[name] = encode(a, dt)
    save_raw(path, raw, metadata)


# --------------------------------------------------------------------------
# Deliberately broken files.
# --------------------------------------------------------------------------

CORRUPTIONS = {
    "truncated-header": "the file ends inside the JSON header",
    "header-length-past-eof": "the header length field points past the end of the file",
    "invalid-json": "the header is not valid JSON",
    "offsets-out-of-range": "a tensor's data_offsets run past the data section",
    "offsets-wrong-size": "a tensor's data_offsets hold fewer bytes than its shape needs",
    "unknown-dtype": "a tensor has dtype \"Q4\"",
    "truncated-data": "the file ends inside the data section",
    "missing-tensor": "a tensor is removed (cleanly: the file is otherwise valid)",
    "extra-tensor": "a tensor 'extra.unexpected.weight' F32 [4] is added",
    "misnamed-tensor": "a tensor is renamed (its name gains a suffix '_x')",
    "wrong-shape": "a tensor's shape is changed, keeping its byte size",
}


def _pick(raw, name):
    names = list(raw)
    if not names:
        raise SafetensorsError("the file holds no tensors to corrupt")
    if name is None:
        return names[len(names) // 2]
    if name not in raw:
        raise SafetensorsError("no tensor '%s' in the file (it has: %s)"
                               % (name, ", ".join(names)))
    return name


def _wrong_shape(shape):
    if len(shape) >= 2 and shape[0] != shape[1]:
        return [shape[1], shape[0]] + shape[2:]
    if len(shape) >= 2:
        return [shape[0] * shape[1]] + shape[2:]
    return [1] + shape


def corrupt(kind, src, dst, tensor=None):
    """Write a broken copy of `src` to `dst`; returns (description, tensor
    name or None)."""
    if kind not in CORRUPTIONS:
        raise SafetensorsError("unknown corruption %r (known: %s)"
                               % (kind, ", ".join(CORRUPTIONS)))
    with open(src, "rb") as f:
        blob = f.read()
    raw, metadata = load_raw(src)
    (n,) = struct.unpack("<Q", blob[:8])
    if kind == "truncated-header":
        with open(dst, "wb") as f:
            f.write(blob[:8 + n // 2])
        return "file cut to %d bytes, inside the %d-byte header" % (8 + n // 2, n), None
    if kind == "header-length-past-eof":
        with open(dst, "wb") as f:
            f.write(struct.pack("<Q", len(blob) + 1000) + blob[8:])
        return "header length set to %d, file is %d bytes" % (len(blob) + 1000, len(blob)), None
    if kind == "invalid-json":
        text = bytearray(blob[8:8 + n])
        text[0:1] = b"["  # an unterminated array where the object should start
        text[-1:] = b"{"
        with open(dst, "wb") as f:
            f.write(blob[:8] + bytes(text) + blob[8 + n:])
        return "header's first byte is '[' and its last '{'", None
    if kind == "truncated-data":
        cut = 8 + n + (len(blob) - 8 - n) // 2
        with open(dst, "wb") as f:
            f.write(blob[:cut])
        return "file cut to %d of %d bytes, inside the data section" % (cut, len(blob)), None

    name = _pick(raw, tensor)
    if kind == "missing-tensor":
        del raw[name]
        save_raw(dst, raw, metadata)
        return "removed tensor '%s'" % name, name
    if kind == "extra-tensor":
        raw["extra.unexpected.weight"] = encode(np.arange(4, dtype=np.float32), "F32")
        save_raw(dst, raw, metadata)
        return "added tensor 'extra.unexpected.weight'", "extra.unexpected.weight"
    if kind == "misnamed-tensor":
        new = name + "_x"
        raw = {(new if k == name else k): v for k, v in raw.items()}
        save_raw(dst, raw, metadata)
        return "renamed tensor '%s' to '%s'" % (name, new), name
    if kind == "wrong-shape":
        dt, shape, b = raw[name]
        raw[name] = (dt, _wrong_shape(shape), b)
        save_raw(dst, raw, metadata)
        return "tensor '%s' shape %s changed to %s" % (name, shape, raw[name][1]), name

    def edit(header):
        e = header[name]
        b, t = e["data_offsets"]
        if kind == "offsets-out-of-range":
            total = sum(len(v[2]) for v in raw.values())
            e["data_offsets"] = [total + 16, total + 16 + (t - b)]
        elif kind == "offsets-wrong-size":
            e["data_offsets"] = [b, t - DTYPES[e["dtype"]][1]]
        elif kind == "unknown-dtype":
            e["dtype"] = "Q4"
    save_raw(dst, raw, metadata, header_override=edit)
    return "%s on tensor '%s'" % (CORRUPTIONS[kind], name), name


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corrupt", help="write a broken copy of a file")
    c.add_argument("kind", choices=sorted(CORRUPTIONS))
    c.add_argument("src")
    c.add_argument("dst")
    c.add_argument("--tensor", help="the tensor to break (default: the middle one)")
    ls = sub.add_parser("list", help="print the tensors of a file")
    ls.add_argument("file")
    a = p.parse_args(argv)
    try:
        if a.cmd == "corrupt":
            what, name = corrupt(a.kind, a.src, a.dst, a.tensor)
            print("corrupted %s: %s" % (a.kind, what))
            if name is not None:
                print("tensor: %s" % name)
        else:
            entries, metadata, _, _ = read_header(a.file)
            for k, v in sorted(metadata.items()):
                print("metadata %s = %s" % (k, v))
            for name, e in sorted(entries.items(), key=lambda kv: kv[1]["data_offsets"][0]):
                print("%s %s %s [%d, %d)" % (name, e["dtype"], e["shape"],
                                             e["data_offsets"][0], e["data_offsets"][1]))
    except (SafetensorsError, OSError) as e:
        print("safetensors_np: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
