#!/usr/bin/env python3
"""Write an edited copy of a valid .safetensors file whose container stays
valid (what safetensors_np.py `corrupt` does not make):

    edit_safetensors.py IN OUT --nan NAME        # element 0 of tensor NAME becomes NaN
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
    g.add_argument("--dtype", metavar="NAME=DTYPE")
    a = p.parse_args(argv)
    arrays, dtypes = st.load(a.src, with_dtypes=True)
    if a.nan:
        name, what = a.nan, "element 0 set to NaN"
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
