#!/usr/bin/env python3
"""Lane-level model of the --gpu-mma-all chunkwise kernel.

codegen/gpu/ChunkwiseTensorCores.cpp emits ldmatrix (plain and .trans) and
mma.sync.m16n8k16 with per-lane address formulas. No GPU runs where the
kernel is compiled, so this model replays the kernel's schedule warp by warp
with the same lane formulas, the fragment layouts of the PTX ISA, and the
same roundings (A, S and V * zeta to the input type), and compares with the
float64 reference. It checks the schedule (masks, decays, diagonal-block
skipping, padded rows and slices), not the compiler; the GPU tests in
test/gpu check the compiled kernel. Keep it in step with the C++.

  mma_chunkwise_model.py B,T,H,K,V CHUNK VSLICE DTYPE [--no-s0] [--decay D]
                         [--segments N [--states-split R]]

With --segments N it replays the segment-parallel schedule instead: the
segment length L = ceil(ceil(T / N) / C) * C (GpuTarget.cpp's
chooseGpuSegments), for segments 0 .. S-2 the states kernel (the same chunk
loop from a zero state over the segment's chunks, without the running
decay: each chunk's zeta carries gamma to the segment's end; its final
accumulators are the contribution; with --states-split R each segment in R
parts of L / R tokens), the scan in f32 (S_0 = s0, S_{s+1} = gamma^L S_s +
contribution_s, as emitSegmentScan), then the outputs kernel per segment
from S_s, the last segment's final accumulators as the final state.

prints the relative errors and exits non-zero above the tolerance (1e-2).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref as ref  # noqa: E402
L = np.arange(32); G = L // 4; Cq = L % 4
def rnd(x, dt):
    return ref.round_to_dtype(np.asarray(x, np.float32), dt).astype(np.float32)
def ldmatrix(tile, rows, cols, n, trans):
    # rows, cols: per-lane address (32,), lanes 8q..8q+7 address matrix q
    regs = []
    for q in range(n):
        M = np.stack([tile[rows[8*q+r], cols[8*q+r]:cols[8*q+r]+8] for r in range(8)])
        assert M.shape == (8, 8)
        if trans:
            regs.append(np.stack([M[2*Cq, G], M[2*Cq+1, G]], 1))
        else:
            regs.append(np.stack([M[G, 2*Cq], M[G, 2*Cq+1]], 1))
    return regs  # list of (32, 2)
def movmatrix_trans(pairs):
    # lane 4r + c holds row r, columns 2c, 2c+1 of an 8 x 8 matrix; the
    # result holds the transpose in the same layout
    M = np.zeros((8, 8), np.float32)
    M[G, 2*Cq] = pairs[:, 0]; M[G, 2*Cq+1] = pairs[:, 1]
    return np.stack([M[2*Cq, G], M[2*Cq+1, G]], 1)
def mma(a, b, c):
    A = np.zeros((16, 16)); B = np.zeros((16, 8))
    for l in range(32):
        g, cc = l // 4, l % 4
        A[g, 2*cc:2*cc+2] = a[0][l]; A[g+8, 2*cc:2*cc+2] = a[1][l]
        A[g, 2*cc+8:2*cc+10] = a[2][l]; A[g+8, 2*cc+8:2*cc+10] = a[3][l]
        B[2*cc:2*cc+2, g] = b[0][l]; B[2*cc+8:2*cc+10, g] = b[1][l]
    D = A.astype(np.float32) @ B.astype(np.float32)
    out = [c[x].copy() for x in range(4)]
    for l in range(32):
        g, cc = l // 4, l % 4
        out[0][l] += D[g, 2*cc]; out[1][l] += D[g, 2*cc+1]
        out[2][l] += D[g+8, 2*cc]; out[3][l] += D[g+8, 2*cc+1]
    return out
def power(e, log2g, f):
    e = np.asarray(e)
    return np.where(e < 0, 0.0, f * np.exp2(e * log2g)).astype(np.float32)

def kernel(q, k, v, s0, gamma, scale, C0, Vb, dt, first=0, end=None,
           states=False):
    """states: the segment states kernel (no running decay of S; each
    chunk's zeta carries the decay to the segment's end)."""
    B, T, H, K = q.shape; V = v.shape[3]
    C = min(C0, (T + 15) // 16 * 16)
    o = np.zeros((B, T, H, V), np.float32); st = np.zeros((B, H, K, V), np.float32)
    warps = Vb // 16; cT = C // 16; kT = K // 16
    lane16 = L % 16; hi8 = (L // 16) * 8; lane8 = L % 8; mid8 = ((L // 8) % 2) * 8; c2 = 2 * Cq
    for b in range(B):
      for h in range(H):
        log2g = np.float32(np.log2(gamma[h]))
        for sl in range((V + Vb - 1) // Vb):
          Qs = np.zeros((C, K + 8), np.float32); Ks = np.zeros_like(Qs)
          Vs = np.zeros((C, Vb + 8), np.float32); As = np.full((C, C + 8), np.nan, np.float32)
          S = {}
          for w in range(warps):
            for rt in range(kT):
              for ct in range(2):
                acc = []
                for x in range(4):
                  i = 16*rt + G + 8*(x//2); j = sl*Vb + 16*w + 8*ct + c2 + x % 2
                  acc.append(np.where(j < V, s0[b, h, i, np.minimum(j, V-1)] if s0 is not None else 0, 0).astype(np.float32))
                S[w, rt, ct] = acc
          for c0 in range(first, T if end is None else end, C):
            count = min(C, T - c0)
            Qs[:] = 0; Ks[:] = 0; Vs[:] = 0
            Qs[:count, :K] = q[b, c0:c0+count, h]; Ks[:count, :K] = k[b, c0:c0+count, h]
            for jj in range(0, Vb, 8):
              if sl*Vb + jj < V:
                Vs[:count, jj:jj+8] = v[b, c0:c0+count, h, sl*Vb+jj:sl*Vb+jj+8]
            # score tile: units (row tile, 8-column tile) at or left of the
            # diagonal block, numbered row by row, unit u to warp u % warps;
            # each sums its even and odd k-steps apart, then adds the two
            units = [(rt, ct) for rt in range(cT) for ct in range(2*rt + 2)]
            for (rowTile, ct) in units:
                row0 = 16 * rowTile
                acc2 = [[np.zeros(32, np.float32)] * 4 for _ in range(2)]
                for ks in range(kT):
                  a = ldmatrix(Qs, row0 + lane16, 16*ks + hi8, 4, False)
                  bb = ldmatrix(Ks, 8*ct + lane8, 16*ks + mid8, 2, False)
                  acc2[ks % 2] = mma(a, bb, acc2[ks % 2])
                acc = [(acc2[0][x] + acc2[1][x]).astype(np.float32) for x in range(4)]
                m = 8*ct + c2
                for half in range(2):
                  n = row0 + G + 8*half
                  As[n, m] = rnd(acc[2*half] * power(n - m, log2g, scale), dt)
                  As[n, m+1] = rnd(acc[2*half+1] * power(n - m - 1, log2g, scale), dt)
            for w in range(warps):
              wcol = 16 * w
              O = {(rt, ct): [np.zeros(32, np.float32)] * 4 for rt in range(cT) for ct in range(2)}
              for ks in range(kT):
                # B of Q S: each 8 x 8 block of the warp's own (chunk-start)
                # state accumulators, rounded, transposed by movmatrix
                bS = [[movmatrix_trans(np.stack([rnd(S[w, ks, ct][2*half], dt),
                                                 rnd(S[w, ks, ct][2*half+1], dt)], 1))
                       for half in range(2)] for ct in range(2)]
                for rt in range(cT):
                  a = ldmatrix(Qs, 16*rt + lane16, 16*ks + hi8, 4, False)
                  for ct in range(2): O[rt, ct] = mma(a, bS[ct], O[rt, ct])
              for rt in range(cT):
                for half in range(2):
                  xi = power(16*rt + G + 8*half + 1, log2g, scale)
                  for ct in range(2):
                    for x in (2*half, 2*half+1): O[rt, ct][x] = O[rt, ct][x] * xi
              if not states:
                decay = power(count, log2g, 1.0)
                for key in [kk for kk in S if kk[0] == w]:
                  S[key] = [x * decay for x in S[key]]
              for ms in range(cT):
                vF = [ldmatrix(Vs, 16*ms + lane16, np.full(32, wcol + 8*ct), 2, True) for ct in range(2)]
                for rt in range(ms, cT):
                  a = ldmatrix(As, 16*rt + lane16, 16*ms + hi8, 4, False)
                  for ct in range(2): O[rt, ct] = mma(a, vF[ct], O[rt, ct])
                zeta = [power(count - 1 - (c2 + 16*ms + dk), log2g, 1.0) for dk in (0, 1, 8, 9)]
                if states:
                  toEnd = power(end - c0 - count, log2g, 1.0)
                  zeta = [z * toEnd for z in zeta]
                bZ = [[rnd(vF[ct][r] * np.stack([zeta[2*r], zeta[2*r+1]], 1), dt) for r in range(2)] for ct in range(2)]
                for it in range(kT):
                  a = ldmatrix(Ks, 16*ms + lane8 + hi8, 16*it + mid8, 4, True)
                  for ct in range(2): S[w, it, ct] = mma(a, bZ[ct], S[w, it, ct])
              for rt in range(cT):
                for ct in range(2):
                  for half in range(2):
                    n = 16*rt + G + 8*half; j = sl*Vb + wcol + 8*ct + c2
                    for l in range(32):
                      if n[l] < count and j[l] < V:
                        o[b, c0+n[l], h, j[l]] = rnd(O[rt, ct][2*half][l], dt)
                        o[b, c0+n[l], h, j[l]+1] = rnd(O[rt, ct][2*half+1][l], dt)
          for (w, rt, ct), s in S.items():
            for x in range(4):
              i = 16*rt + G + 8*(x//2); j = sl*Vb + 16*w + 8*ct + c2 + x % 2
              for l in range(32):
                if j[l] < V: st[b, h, i[l], j[l]] = s[x][l]
    return o, st

def segmented(q, k, v, s0, gamma, scale, C0, Vb, dt, n, r=1):
    B, T, H, K = q.shape; V = v.shape[3]
    C = min(C0, (T + 15) // 16 * 16)
    Ls = -(-(-(-T // n)) // C) * C
    S = -(-T // Ls)
    assert Ls % (r * C) == 0, "the states split must divide the segment in chunks"
    Lp = Ls // r
    zero = np.zeros((B, H, K, V), np.float32)
    # The states kernel: the r parts of segments 0 .. S-2 (the last
    # segment's contribution is never needed).
    ws = [kernel(q, k, v, zero, gamma, scale, C0, Vb, dt,
                 u * Lp, u * Lp + Lp, states=True)[1] for u in range(r * (S - 1))]
    # The scan: segment s's initial state into slot r s.
    run = s0.astype(np.float32) if s0 is not None else zero.copy()
    dec = np.array([power(Lp, np.float32(np.log2(g)), np.float32(1))
                    for g in gamma], np.float32)[None, :, None, None]
    init = []
    for u in range(r * (S - 1)):
        if u % r == 0: init.append(run)
        run = (dec * run + ws[u]).astype(np.float32)
    init.append(run)
    # The outputs kernel; the last segment's block writes the final state.
    o = np.zeros((B, T, H, V), np.float32)
    for s in range(S):
        os_, st = kernel(q, k, v, init[s], gamma, scale, C0, Vb, dt,
                         s * Ls, min(T, s * Ls + Ls))
        o[:, s * Ls:s * Ls + Ls] = os_[:, s * Ls:s * Ls + Ls]
    print("segments = %d of %d tokens, states in parts of %d" % (S, Ls, Lp))
    return o, st

def check(B, T, H, K, V, C, Vb, dt, s0=True, decay="retnet", seed=0,
          segments=1, states_split=1):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((B, T, H, K), dtype=np.float32)
    k = rng.standard_normal((B, T, H, K), dtype=np.float32)
    v = rng.standard_normal((B, T, H, V), dtype=np.float32)
    S0 = rng.standard_normal((B, H, K, V), dtype=np.float32) if s0 else None
    gamma = ref.decay_schedule(H, decay)
    rq, rk, rv = (rnd(x, dt) for x in (q, k, v))
    if segments > 1:
        o, st = segmented(rq, rk, rv, S0, gamma, K ** -0.5, C, Vb, dt, segments,
                          states_split)
    else:
        o, st = kernel(rq, rk, rv, S0, gamma, K ** -0.5, C, Vb, dt)
    o_ref, s_ref = ref.retention(rq, rk, rv, gamma=gamma, scale=None, s0=S0)
    eo, es = ref.rel_err(o, o_ref), ref.rel_err(st, s_ref)
    print("model o rel err = %.3e  state rel err = %.3e  (tol 1.0e-02)" % (eo, es))
    return eo <= 1e-2 and es <= 1e-2


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("shape")
    p.add_argument("chunk", type=int)
    p.add_argument("vslice", type=int)
    p.add_argument("dtype", choices=("bf16", "f16"))
    p.add_argument("--no-s0", action="store_true")
    p.add_argument("--decay", default="retnet")
    p.add_argument("--segments", type=int, default=1)
    p.add_argument("--states-split", type=int, default=1)
    a = p.parse_args()
    B, T, H, K, V = (int(x) for x in a.shape.split(","))
    sys.exit(0 if check(B, T, H, K, V, a.chunk, a.vslice, a.dtype,
                        s0=not a.no_s0, decay=a.decay,
                        segments=a.segments,
                        states_split=a.states_split) else 1)
