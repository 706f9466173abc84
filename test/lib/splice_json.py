#!/usr/bin/env python3
"""splice_json.py FILE [--safetensors [--odd-length]] [--member TEXT]
                     [--nested KEY N] [--nested-objects KEY N] ...

Inserts members at the start of the JSON object in FILE, in place, as text:
--member TEXT verbatim (so that keys can be repeated or spelled with
escapes, e.g. '"hidden\\u005fsize": 64'), --nested KEY N a member KEY whose
value is N nested arrays, --nested-objects KEY N one whose value is N nested
objects ({"a": {"a": {}}} for 3). With --safetensors, FILE is a .safetensors
file and the object is its header (its length is rewritten; the data
offsets count from the data, so they still hold); --odd-length then pads
it to one byte more than a multiple of 8, so that every tensor sits at an
odd offset (the format asks for padding to 8, but a reader must not rely
on it). Python's json module never
sees the result: it would recurse on deep nesting, and it keeps the last of
repeated keys."""
import argparse
import struct


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("file")
    p.add_argument("--safetensors", action="store_true")
    p.add_argument("--member", action="append", default=[], metavar="TEXT")
    p.add_argument("--nested", action="append", default=[], nargs=2,
                   metavar=("KEY", "N"))
    p.add_argument("--nested-objects", action="append", default=[], nargs=2,
                   metavar=("KEY", "N"))
    p.add_argument("--odd-length", action="store_true")
    a = p.parse_args()
    members = list(a.member)
    for key, n in a.nested:
        members.append('"%s": %s%s' % (key, "[" * int(n), "]" * int(n)))
    for key, n in a.nested_objects:
        n = int(n)
        members.append('"%s": %s{}%s' % (key, '{"a": ' * (n - 1), "}" * (n - 1)))

    with open(a.file, "rb") as f:
        data = f.read()
    if a.safetensors:
        (length,) = struct.unpack("<Q", data[:8])
        text, rest = data[8:8 + length].decode(), data[8 + length:]
    else:
        text, rest = data.decode(), b""
    brace = text.index("{")
    empty = text[brace + 1:].lstrip().startswith("}")
    if members:
        text = (text[:brace + 1] + ", ".join(members) +
                ("" if empty else ", ") + text[brace + 1:])
    out = text.encode()
    if a.safetensors:
        if a.odd_length:
            out = out.rstrip(b" ")
        out += b" " * (-len(out) % 8)
        if a.odd_length:
            out += b" "
        out = struct.pack("<Q", len(out)) + out
    with open(a.file, "wb") as f:
        f.write(out + rest)


if __name__ == "__main__":
    main()
