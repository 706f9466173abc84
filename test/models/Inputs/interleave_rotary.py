#!/usr/bin/env python3
"""Weights for an interleaved-rotary model equivalent to a rotate-half one.

    interleave_rotary.py IN.safetensors OUT.safetensors --heads H --kv-heads G --key-dim D

Rotate-half rotary pairs components (i, i + D/2) of each head; interleaved
rotary (torchscale) pairs (2i, 2i + 1), with the same frequency for pair i.
Moving row i of each head of q_proj and k_proj to row 2i and row i + D/2 to
row 2i + 1 turns a rotate-half model into an interleaved one with the same
logits (q and k are permuted alike, so every q.k is unchanged). So a model
compiled with `rotary { layout = interleaved; }` running OUT must match the
float64 reference (rotate-half) running IN (check_model.py --ref-weights).
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
    p.add_argument("--heads", type=int, required=True)
    p.add_argument("--kv-heads", type=int, required=True)
    p.add_argument("--key-dim", type=int, required=True)
    a = p.parse_args(argv)
    D = a.key_dim
    # interleaved row 2i <- rotate-half row i; row 2i + 1 <- row i + D/2
    order = np.empty(D, dtype=np.int64)
    order[0::2] = np.arange(D // 2)
    order[1::2] = np.arange(D // 2) + D // 2
    arrays, dtypes = st.load(a.src, with_dtypes=True)
    moved = 0
    for name in arrays:
        heads = (a.heads if name.endswith("q_proj.weight") else
                 a.kv_heads if name.endswith("k_proj.weight") else None)
        if heads is None:
            continue
        w = arrays[name].reshape(heads, D, -1)
        arrays[name] = w[:, order, :].reshape(heads * D, -1)
        moved += 1
    st.save(a.dst, arrays, dtype=dtypes)
    print("permuted the rows of %d q_proj/k_proj tensors" % moved)
    return 0


if __name__ == "__main__":
    sys.exit(main())
