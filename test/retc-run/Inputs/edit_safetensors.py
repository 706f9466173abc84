#!/usr/bin/env python3
"""Write an edited copy of a valid .safetensors file whose container stays
valid (what safetensors_np.py `corrupt` does not make):

    edit_safetensors.py IN OUT --nan NAME        # element 0 of tensor NAME becomes NaN
    edit_safetensors.py IN OUT --set NAME I X    # element I (flat) of NAME becomes X (inf, nan, 1e38, ...)
    edit_safetensors.py IN OUT --row NAME R X    # every element of row R of NAME becomes X
                                                 # (R = @FILE: the first id of the `tokens:`
                                                 # line retc-run --generate wrote to FILE)
    edit_safetensors.py IN OUT --dtype NAME=I64  # tensor NAME stored as another dtype

Uses test/lib/safetensors_np.py; prints `edited NAME: what`.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "lib"))
import safetensors_np as st  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src")
    p.add_argument("dst")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--nan", metavar="NAME")
    g.add_argument("--set", nargs=3, metavar=("NAME", "INDEX", "VALUE"))
    g.add_argument("--row", nargs=3, metavar=("NAME", "ROW", "VALUE"))
    g.add_argument("--dtype", metavar="NAME=DTYPE")
    a = p.parse_args(argv)
    arrays, dtypes = st.load(a.src, with_dtypes=True)
    if a.nan:
        name, what = a.nan, "element 0 set to NaN"
    elif a.set or a.row:
        name, index, value = a.set or a.row
        if index.startswith("@"):
            with open(index[1:]) as f:
                index = next(line.split()[1] for line in f if line.startswith("tokens:"))
        what = "%s %s set to %s" % ("element" if a.set else "row", index, value)
    else:
        name, dt = a.dtype.split("=", 1)
        what = "stored as %s" % dt
    if name not in arrays:
        print("edit_safetensors: error: no tensor '%s' in %s" % (name, a.src), file=sys.stderr)
        return 1
    if a.nan:
        x = arrays[name].astype(np.float32)
        x.reshape(-1)[0] = np.nan
        arrays[name] = x
    elif a.set or a.row:
        x = arrays[name].astype(np.float32)
        if a.set:
            x.reshape(-1)[int(index)] = float(value)
        else:
            x[int(index)] = float(value)
        arrays[name] = x
    else:
        npdt = st.DTYPES[dt][0]
        arrays[name] = arrays[name].astype(npdt.newbyteorder("="))
        dtypes[name] = dt
    st.save(a.dst, arrays, dtype={n: (None if n == name and a.dtype else d)
                                  for n, d in dtypes.items()})
    print("edited %s: %s" % (name, what))
    return 0


if __name__ == "__main__":
    sys.exit(main())
