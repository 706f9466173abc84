"""Independent float64 reference for the retention operator (docs/dialect.md,
"The operator, exactly").

numpy only; nothing here is shared with the compiler. The recurrent form is THE
reference: it is the definition, one token at a time, and simple enough to be
obviously right. The parallel and chunkwise closed forms exist only so that
`selfcheck()` (run by test/numerics/reference-selfcheck.test) can show that all
three agree, which checks the reference against an independent derivation.

Shapes (batch B, tokens T, heads H, key dim K, value dim V):
  q, k : [B, T, H, K]    v : [B, T, H, V]    s0 : [B, H, K, V] (optional)
  outputs: o [B, T, H, V], final state [B, H, K, V]
"""

import math

import numpy as np


# --------------------------------------------------------------------------
# Decay schedules and scale.
# --------------------------------------------------------------------------

def decay_schedule(num_heads, spec="retnet"):
    """Per-head decays gamma_h as a float64 array of length `num_heads`.

    spec: "retnet" (gamma_h = 1 - 2^(-5-h), torchscale / fla default),
          "paper"  (gamma = 1 - exp(linspace(log 1/32, log 1/512, H))),
          or an explicit list/tuple/array, or a comma-separated string of floats.
    """
    h = np.arange(num_heads, dtype=np.float64)
    if isinstance(spec, str) and spec == "retnet":
        g = 1.0 - np.exp2(-5.0 - h)
    elif isinstance(spec, str) and spec == "paper":
        g = 1.0 - np.exp(np.linspace(math.log(1.0 / 32), math.log(1.0 / 512),
                                     num_heads, dtype=np.float64))
    else:
        if isinstance(spec, str):
            spec = [float(x) for x in spec.split(",") if x.strip()]
        g = np.asarray(spec, dtype=np.float64).reshape(-1)
        if g.shape[0] != num_heads:
            raise ValueError("explicit decay list has %d entries, expected H=%d"
                             % (g.shape[0], num_heads))
    if not np.all((g > 0.0) & (g < 1.0)):
        raise ValueError("every decay must lie in (0, 1), got %s" % (g,))
    return g


def default_scale(head_k_dim):
    """The default scale s = K^(-1/2), which multiplies q."""
    return 1.0 / math.sqrt(head_k_dim)


def _gpow(gamma, n):
    """gamma[h] ** n[...] as exp2(n * log2 gamma); shape [H, *n.shape].

    Computed like the numerical policy says (never by repeated multiplication);
    in float64 that is exact to a few ulps either way.
    """
    n = np.asarray(n, dtype=np.float64)
    lg = np.log2(gamma).reshape((-1,) + (1,) * n.ndim)
    return np.exp2(lg * n)


def _prepare(q, k, v, s0, gamma, scale):
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if q.ndim != 4 or k.shape != q.shape:
        raise ValueError("q and k must both be [B,T,H,K], got %s and %s"
                         % (q.shape, k.shape))
    B, T, H, K = q.shape
    if v.ndim != 4 or v.shape[:3] != (B, T, H):
        raise ValueError("v must be [B,T,H,V] = [%d,%d,%d,V], got %s"
                         % (B, T, H, v.shape))
    V = v.shape[3]
    if s0 is None:
        s0 = np.zeros((B, H, K, V), dtype=np.float64)
    else:
        s0 = np.asarray(s0, dtype=np.float64)
        if s0.shape != (B, H, K, V):
            raise ValueError("s0 must be [B,H,K,V] = %s, got %s"
                             % ((B, H, K, V), s0.shape))
    if gamma is None or isinstance(gamma, str):
        gamma = decay_schedule(H, gamma or "retnet")
    gamma = np.asarray(gamma, dtype=np.float64).reshape(-1)
    if gamma.shape[0] != H:
        raise ValueError("need one decay per head (H=%d), got %d"
                         % (H, gamma.shape[0]))
    if scale is None:
        scale = default_scale(K)
    return q, k, v, s0, gamma, float(scale)


# --------------------------------------------------------------------------
# The reference: recurrent form.
# --------------------------------------------------------------------------

def retention_recurrent(q, k, v, gamma=None, scale=None, s0=None):
    """S_t = gamma_h S_{t-1} + k_t^T v_t ;  o_t = s q_t S_t.

    Returns (o [B,T,H,V], S_T [B,H,K,V]) in float64.
    """
    q, k, v, S, gamma, scale = _prepare(q, k, v, s0, gamma, scale)
    B, T, H, K = q.shape
    V = v.shape[3]
    S = S.copy()
    o = np.empty((B, T, H, V), dtype=np.float64)
    g = gamma.reshape(1, H, 1, 1)
    for t in range(T):
        S = g * S + k[:, t, :, :, None] * v[:, t, :, None, :]
        o[:, t] = scale * np.einsum("bhk,bhkv->bhv", q[:, t], S)
    return o, S


# --------------------------------------------------------------------------
# Closed forms, for self-checking the reference only.
# --------------------------------------------------------------------------

def _decay_matrix(gamma, n_rows, n_cols=None):
    """D[h, n, m] = gamma_h^(n-m) for n >= m, else exactly 0."""
    n_cols = n_rows if n_cols is None else n_cols
    n = np.arange(n_rows)[:, None]
    m = np.arange(n_cols)[None, :]
    diff = np.where(n >= m, n - m, 0)
    return np.where(n >= m, _gpow(gamma, diff), 0.0)


def retention_parallel(q, k, v, gamma=None, scale=None, s0=None):
    """O = (s Q K^T ⊙ D) V + s (Q ⊙ gamma^(n+1)) S0 ;
    S_T = gamma^T S0 + sum_m gamma^(T-1-m) k_m^T v_m."""
    q, k, v, s0, gamma, scale = _prepare(q, k, v, s0, gamma, scale)
    B, T, H, K = q.shape
    Q = q.transpose(0, 2, 1, 3)          # [B,H,T,K]
    Kt = k.transpose(0, 2, 1, 3)
    Vt = v.transpose(0, 2, 1, 3)         # [B,H,T,V]
    D = _decay_matrix(gamma, T)          # [H,T,T]
    scores = scale * np.einsum("bhnk,bhmk->bhnm", Q, Kt) * D[None]
    O = np.einsum("bhnm,bhmv->bhnv", scores, Vt)
    xi = _gpow(gamma, np.arange(1, T + 1))              # [H,T] gamma^(n+1)
    O += scale * np.einsum("bhnk,bhkv->bhnv", Q * xi[None, :, :, None], s0)
    zeta = _gpow(gamma, np.arange(T - 1, -1, -1))       # gamma^(T-1-m)
    ST = _gpow(gamma, T)[None, :, None, None] * s0 + np.einsum(
        "bhmk,bhmv->bhkv", Kt * zeta[None, :, :, None], Vt)
    return O.transpose(0, 2, 1, 3), ST


def retention_chunkwise(q, k, v, gamma=None, scale=None, s0=None, chunk=64):
    """Chunk i over tokens [iC, iC+C), last chunk possibly shorter (length L):
    O_i = (s Q_i K_i^T ⊙ D_L) V_i + s (Q_i ⊙ xi) S_i,  xi_j = gamma^(j+1)
    S_{i+1} = gamma^L S_i + K_i^T (V_i ⊙ zeta),        zeta_j = gamma^(L-1-j)"""
    if chunk < 1:
        raise ValueError("chunk must be >= 1")
    q, k, v, S, gamma, scale = _prepare(q, k, v, s0, gamma, scale)
    B, T, H, K = q.shape
    V = v.shape[3]
    Q = q.transpose(0, 2, 1, 3)
    Kt = k.transpose(0, 2, 1, 3)
    Vt = v.transpose(0, 2, 1, 3)
    O = np.empty((B, H, T, V), dtype=np.float64)
    for start in range(0, T, chunk):
        end = min(start + chunk, T)
        L = end - start
        Qi, Ki, Vi = Q[:, :, start:end], Kt[:, :, start:end], Vt[:, :, start:end]
        D = _decay_matrix(gamma, L)
        inner = np.einsum("bhnm,bhmv->bhnv",
                          scale * np.einsum("bhnk,bhmk->bhnm", Qi, Ki) * D[None],
                          Vi)
        xi = _gpow(gamma, np.arange(1, L + 1))
        cross = scale * np.einsum("bhnk,bhkv->bhnv",
                                  Qi * xi[None, :, :, None], S)
        O[:, :, start:end] = inner + cross
        zeta = _gpow(gamma, np.arange(L - 1, -1, -1))
        S = _gpow(gamma, L)[None, :, None, None] * S + np.einsum(
            "bhmk,bhmv->bhkv", Ki, Vi * zeta[None, :, :, None])
    return O.transpose(0, 2, 1, 3), S


def retention(q, k, v, gamma=None, scale=None, s0=None):
    """The reference: the recurrent form in float64."""
    return retention_recurrent(q, k, v, gamma=gamma, scale=scale, s0=s0)


def retention_segments(q, k, v, gamma=None, scale=None, s0=None, segment=16384,
                       chunk=64, input_dtype=None):
    """The operator over a sequence too long for one call (a million tokens):
    the chunkwise form over `segment` tokens at a time, each segment
    starting from the state the last one left. The same function as
    `retention`, in memory that does not grow with T; q, k, v may be
    memory-mapped float32 arrays, read (and, with `input_dtype`, rounded to
    what a kernel of that input type sees) one segment at a time.

    Yields (start, o [B, L, H, V], S [B, H, K, V]) per segment: its first
    token, its output and the state after it, in float64.
    """
    if segment < 1:
        raise ValueError("segment must be >= 1")
    T = q.shape[1]
    S = s0
    for start in range(0, T, segment):
        end = min(start + segment, T)
        parts = [q[:, start:end], k[:, start:end], v[:, start:end]]
        if input_dtype is not None:
            parts = [round_to_dtype(x, input_dtype) for x in parts]
        o, S = retention_chunkwise(*parts, gamma=gamma, scale=scale, s0=S,
                                   chunk=chunk)
        yield start, o, S


# --------------------------------------------------------------------------
# Rounding to the kernels' input types.
# --------------------------------------------------------------------------

def round_to_bf16(x):
    """Round to bfloat16 (nearest, ties to even), returned as float32.

    Done on the float32 bit pattern: add 0x7FFF plus the lowest kept bit, then
    drop the low 16 bits. NaNs are kept as (quiet) NaNs.
    """
    x32 = np.ascontiguousarray(np.asarray(x, dtype=np.float32))
    bits = x32.view(np.uint32).astype(np.uint64)
    lsb = (bits >> 16) & 1
    rounded = ((bits + 0x7FFF + lsb) & 0xFFFF0000).astype(np.uint32)
    out = rounded.view(np.float32).copy()
    nan = np.isnan(x32)
    out[nan] = np.nan
    return out


def round_to_dtype(x, dtype):
    """Round float data to what a kernel of input type `dtype` sees, as float32."""
    if dtype == "f32":
        return np.asarray(x, dtype=np.float32)
    if dtype == "f16":
        return np.asarray(x, dtype=np.float32).astype(np.float16).astype(np.float32)
    if dtype == "bf16":
        return round_to_bf16(x)
    raise ValueError("unknown dtype %r (expected f32, bf16 or f16)" % (dtype,))


def rel_err(out, ref):
    """Relative Frobenius error ||out - ref|| / ||ref|| in float64."""
    out = np.asarray(out, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    den = np.linalg.norm(ref.ravel())
    num = np.linalg.norm((out - ref).ravel())
    if den == 0.0:
        return 0.0 if num == 0.0 else math.inf
    return num / den


# --------------------------------------------------------------------------
# Self-check: the three forms agree.
# --------------------------------------------------------------------------

def _selftest_bf16():
    """bf16 rounding against hand-worked bit patterns."""
    cases = [
        (1.0, 1.0),
        (1.0 + 2.0 ** -8, 1.0),                    # tie: round to even (down)
        (1.0 + 3 * 2.0 ** -8, 1.0 + 2.0 ** -6),    # tie: round to even (up)
        (1.0 + 2.0 ** -8 + 2.0 ** -20, 1.0 + 2.0 ** -7),  # above the tie
        (-3.140625, -3.140625),                    # exactly representable
        (0.1, 0.10009765625),
    ]
    xs = np.array([c[0] for c in cases], dtype=np.float32)
    want = np.array([c[1] for c in cases], dtype=np.float32)
    got = round_to_bf16(xs)
    if not np.array_equal(got, want):
        raise AssertionError("bf16 rounding: got %r want %r" % (got, want))
    # Every result must have its low 16 bits clear and be within half an ulp.
    r = np.random.default_rng(0).standard_normal(10000).astype(np.float32)
    b = round_to_bf16(r)
    assert np.all((b.view(np.uint32) & 0xFFFF) == 0)
    ulp = np.exp2(np.floor(np.log2(np.abs(r))) - 7)
    assert np.all(np.abs(b - r) <= ulp / 2 + 0.0)


def selfcheck(seed=None, tol=1e-12, verbose=True):
    """Compare the three forms on random awkward shapes; raise on disagreement.

    Returns the largest relative error seen.
    """
    _selftest_bf16()
    rng = np.random.default_rng(seed)
    cases = [
        # (B, T, H, K, V, chunk, decay, scale, with s0)
        (1, 1, 1, 1, 1, 1, "retnet", None, False),
        (2, 1, 3, 5, 7, 4, "retnet", None, True),
        (2, 37, 3, 16, 24, 8, "retnet", None, True),
        (3, 29, 4, 20, 12, 5, "paper", 0.3, True),
        (2, 64, 3, 8, 36, 16, [0.9, 0.5, 0.999], None, False),
        (1, 50, 2, 7, 3, 1, "retnet", 1.7, True),
        (2, 17, 3, 9, 11, 100, "paper", None, True),
        (1, 300, 3, 12, 10, 64, "retnet", None, True),
        (2, 33, 5, 4, 6, 32, [0.01, 0.2, 0.6, 0.95, 0.9999], 0.5, True),
    ]
    worst = 0.0
    for (B, T, H, K, V, C, decay, scale, with_s0) in cases:
        q = rng.standard_normal((B, T, H, K))
        k = rng.standard_normal((B, T, H, K))
        v = rng.standard_normal((B, T, H, V))
        s0 = rng.standard_normal((B, H, K, V)) if with_s0 else None
        gamma = decay_schedule(H, decay)
        o_r, s_r = retention_recurrent(q, k, v, gamma, scale, s0)
        o_p, s_p = retention_parallel(q, k, v, gamma, scale, s0)
        o_c, s_c = retention_chunkwise(q, k, v, gamma, scale, s0, chunk=C)
        errs = {
            "parallel o": rel_err(o_p, o_r), "parallel state": rel_err(s_p, s_r),
            "chunkwise o": rel_err(o_c, o_r), "chunkwise state": rel_err(s_c, s_r),
        }
        line = "B=%d T=%d H=%d K=%d V=%d C=%d decay=%s scale=%s s0=%s: %s" % (
            B, T, H, K, V, C, decay, scale, with_s0,
            "  ".join("%s %.2e" % kv for kv in errs.items()))
        if verbose:
            print(line)
        for name, e in errs.items():
            if not (e <= tol):
                raise AssertionError("%s disagrees with recurrent: %.3e > %.1e (%s)"
                                     % (name, e, tol, line))
            worst = max(worst, e)
    # The segmented evaluation (long runs) is the same function.
    B, T, H, K, V = 2, 150, 3, 5, 4
    q, k = rng.standard_normal((2, B, T, H, K))
    v = rng.standard_normal((B, T, H, V))
    s0 = rng.standard_normal((B, H, K, V))
    o_r, s_r = retention_recurrent(q, k, v, "paper", None, s0)
    pieces = list(retention_segments(q, k, v, "paper", None, s0, segment=40, chunk=16))
    o_s = np.concatenate([o for _, o, _ in pieces], axis=1)
    errs = (rel_err(o_s, o_r), rel_err(pieces[-1][2], s_r))
    if verbose:
        print("segments of 40, chunk 16: o %.2e  state %.2e" % errs)
    if not max(errs) <= tol:
        raise AssertionError("the segmented evaluation disagrees with recurrent: "
                             "o %.3e, state %.3e" % errs)
    worst = max(worst, max(errs))
    # Negative control: a comparison this strict must notice a decay that is
    # off by one part in 10^4 (else the agreement above would prove nothing).
    B, T, H, K, V = 1, 40, 2, 6, 5
    q, k = rng.standard_normal((2, B, T, H, K))
    v = rng.standard_normal((B, T, H, V))
    gamma = decay_schedule(H)
    o_r, _ = retention_recurrent(q, k, v, gamma)
    o_w, _ = retention_parallel(q, k, v, gamma * (1 - 1e-4))
    if not rel_err(o_w, o_r) > 1e3 * tol:
        raise AssertionError("negative control: a wrong decay went unnoticed")
    # An independent spot check of the definition: T=2, one head, by hand.
    g, s = 0.75, 0.5
    q = np.array([1.0, 2.0]).reshape(1, 2, 1, 1)
    k = np.array([3.0, -1.0]).reshape(1, 2, 1, 1)
    v = np.array([2.0, 5.0]).reshape(1, 2, 1, 1)
    s0 = np.array([4.0]).reshape(1, 1, 1, 1)
    o, S = retention_recurrent(q, k, v, [g], s, s0)
    S1 = g * 4.0 + 3.0 * 2.0
    S2 = g * S1 + (-1.0) * 5.0
    want = np.array([s * 1.0 * S1, s * 2.0 * S2])
    assert np.allclose(o.ravel(), want, rtol=0, atol=1e-15), (o.ravel(), want)
    assert abs(S.item() - S2) < 1e-15
    # Decay schedules against their definitions.
    assert np.allclose(decay_schedule(3), [1 - 1 / 32, 1 - 1 / 64, 1 - 1 / 128])
    p = decay_schedule(4, "paper")
    assert abs(p[0] - (1 - 1 / 32)) < 1e-15 and abs(p[-1] - (1 - 1 / 512)) < 1e-15
    if verbose:
        print("reference self-check OK: worst relative disagreement %.2e (tol %.0e)"
              % (worst, tol))
    return worst


if __name__ == "__main__":
    import os
    import sys
    seed = int.from_bytes(os.urandom(4), "little") if len(sys.argv) < 2 else int(sys.argv[1])
    print("seed = %d" % seed)
    try:
        selfcheck(seed)
    except AssertionError as e:
        print("SELF-CHECK FAILED: %s" % e)
        sys.exit(1)
