#!/usr/bin/env python3
"""How much f32 error a long-memory head must have: the chunkwise form of
one head in numpy float32 (every operation rounded once), against float64
and against a kernel's output, on the files a failed long run kept
(long_run.py kernel-prefill leaves q, k, v, s0 and out/o.npy in its run
folder on FAIL).

    f32_state_emulation.py RUN_DIR --decay G0,G1,... [--head 1] [--chunk 64]

Two emulations, which differ only in how a chunk's state update enters
the state S (K x V, f32):

  formed   S = g^C S + K_i^T (V_i * zeta): the chunk's update formed by one
           matrix product, then added to S once;
  rank-1   S = g^C S, then S += k_j^T (v_j zeta_j) for each of the chunk's
           C tokens: C roundings of S a chunk.

Prints the relative error of o for each tenth of the sequence, for both
and for the kernel, and the final state's error of each emulation
(docs/testing.md, "Long runs": a head whose memory spans the run).
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref as ref  # noqa: E402

TENTHS = 10


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_dir")
    p.add_argument("--decay", required=True, help="the run's decays, g0,g1,...")
    p.add_argument("--head", type=int, default=1)
    p.add_argument("--chunk", type=int, default=64)
    a = p.parse_args(argv)
    load = lambda name: np.load(os.path.join(a.run_dir, name), mmap_mode="r")  # noqa: E731
    q, k, v, o_kernel = load("q.npy"), load("k.npy"), load("v.npy"), load("out/o.npy")
    h, C = a.head, a.chunk
    T, K = q.shape[1], q.shape[3]
    gamma = ref.decay_schedule(q.shape[2], a.decay)[h]
    scale = ref.default_scale(K)
    s0 = np.load(os.path.join(a.run_dir, "s0.npy"))[0, h]

    # Decay factors in float64, and as the f32 emulations hold them.
    lg, j = np.log2(gamma), np.arange(C)
    D64 = np.where(j[:, None] >= j[None, :], np.exp2(lg * (j[:, None] - j[None, :])), 0.0)
    xi64, zeta64, gC64 = np.exp2(lg * (j + 1)), np.exp2(lg * (C - 1 - j)), np.exp2(lg * C)
    D32, xi32, zeta32, gC32 = (np.float32(x) if np.ndim(x) == 0 else x.astype(np.float32)
                               for x in (D64, xi64, zeta64, gC64))
    s32 = np.float32(scale)
    S64 = s0.astype(np.float64)
    formed, rank1 = s0.astype(np.float32), s0.astype(np.float32)
    err = {name: np.zeros(TENTHS) for name in ("formed", "rank-1", "kernel")}
    ref2 = np.zeros(TENTHS)
    for start in range(0, T - T % C, C):
        Q, Kc, V = (np.asarray(x[0, start:start + C, h]) for x in (q, k, v))
        Q64, K64, V64 = (x.astype(np.float64) for x in (Q, Kc, V))
        o64 = (scale * (Q64 @ K64.T) * D64) @ V64 + scale * (Q64 * xi64[:, None]) @ S64
        S64 = gC64 * S64 + K64.T @ (V64 * zeta64[:, None])
        inner = (s32 * (Q @ Kc.T) * D32) @ V
        cross = s32 * (Q * xi32[:, None])
        got = {"formed": inner + cross @ formed, "rank-1": inner + cross @ rank1,
               "kernel": np.asarray(o_kernel[0, start:start + C, h], dtype=np.float64)}
        Vz = V * zeta32[:, None]
        formed = gC32 * formed + Kc.T @ Vz
        rank1 = gC32 * rank1
        for i in range(C):
            rank1 += np.outer(Kc[i], Vz[i])
        tenth = start * TENTHS // T
        for name, o in got.items():
            err[name][tenth] += np.sum((o - o64) ** 2)
        ref2[tenth] += np.sum(o64 ** 2)
    print("gamma = %r, head %d, chunk %d, %d tokens" % (gamma, h, C, T - T % C))
    for name, e in err.items():
        print("%-7s o rel err %.3e; by tenth: %s" % (
            name, np.sqrt(e.sum() / ref2.sum()),
            " ".join("%.2e" % x for x in np.sqrt(e / ref2))))
    print("state rel err: formed %.3e, rank-1 %.3e" % (
        ref.rel_err(formed, S64), ref.rel_err(rank1, S64)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
