#!/usr/bin/env python3
"""Independent float64 reference for whole RetNet models (docs/models.md,
"The model, exactly").

The forward pass of flash-linear-attention's `RetNetForCausalLM` (the
`fla-hub/retnet-*` checkpoints), written from the project's design (now
docs/models.md, "The model, exactly") and from reading fla's source
(fla/models/retnet/modeling_retnet.py, fla/layers/
multiscale_retention.py, fla/modules/{rotary,fused_norm_gate,layernorm,mlp}.py,
fla/ops/retention/*.py), in numpy float64, sharing nothing with the compiler:

    h = embeddings.weight[tokens]
    per layer:  x = rms(h) * attn_norm.weight
                q, k = rope(x q_proj^T), rope(x k_proj^T);  v = x v_proj^T
                (GQA: k/v head j serves query heads j*G .. j*G+G-1)
                o = retention(q, k, v)   gamma_h = 1 - 2^(-5-h), scale Dk^-1/2
                o = rms_per_head(o) * g_norm weight  [* swish(x g_proj^T)]
                h = h + o o_proj^T
                x = rms(h) * mlp_norm.weight
                h = h + (swish(x gate_proj^T) * (x up_proj^T)) down_proj^T
    logits = (rms(h) * norm.weight) lm_head^T      (embeddings if tied)

Two computations of the same function, checked against each other by the
self-tests: `forward` runs retention in the parallel closed form
(retention_ref.retention_parallel, with an initial state), `prefill`/`decode`
run the recurrent form one token at a time with an explicit state
[layers, heads, head_k_dim, head_v_dim] (the contract's state layout).

Command line:

    retnet_model_ref.py CKPT --tokens 5,17,3 [--logits out.npy] [--decode-from P]
    retnet_model_ref.py CKPT --tokens 5,17,3 --generate N     # prints `tokens: ...`

CKPT is a checkpoint directory (config.json + model.safetensors, or a
sharded model.safetensors.index.json). --decode-from P computes the logits of
tokens[:P] with `prefill` (P >= 1) and the rest one `decode` step at a time.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retention_ref  # noqa: E402
import safetensors_np  # noqa: E402


class ModelError(Exception):
    """A checkpoint or config the reference cannot run; str() is one line."""


# Options of fla's RetNetConfig that change the computation and that this
# reference does not implement: refused by name when set to anything but the
# value shown.
_UNSUPPORTED = {
    "use_short_conv": (False,),
    "feature_map": (None,),
    "attn": (None,),
    "attnres_block_size": (None,),
    "hidden_act": ("swish",),
    "elementwise_affine": (True, None),
}


class RetNetConfig:
    """The resolved model description (every size explicit)."""

    def __init__(self, hidden_size, num_hidden_layers, num_heads, num_kv_heads,
                 head_k_dim, head_v_dim, intermediate_size, vocab_size,
                 norm_eps=1e-6, rotary_base=10000.0, tie_word_embeddings=False,
                 use_output_gate=True, decay=None, fuse_norm=True):
        self.hidden_size = int(hidden_size)
        self.num_hidden_layers = int(num_hidden_layers)
        self.num_heads = int(num_heads)
        self.num_kv_heads = int(num_kv_heads)
        self.head_k_dim = int(head_k_dim)
        self.head_v_dim = int(head_v_dim)
        self.intermediate_size = int(intermediate_size)
        self.vocab_size = int(vocab_size)
        self.norm_eps = float(norm_eps)
        self.rotary_base = float(rotary_base)
        self.tie_word_embeddings = bool(tie_word_embeddings)
        self.use_output_gate = bool(use_output_gate)
        # fla names the per-head norm `g_norm_swish_gate` when it is fused
        # with the swish gate (output gate on and fuse_norm), else `g_norm`.
        self.fuse_norm = bool(fuse_norm)
        # gamma_h = 1 - 2^(-5-h). From h = 48 on that is 1.0 in float64 (from
        # h = 20 on in the float32 fla computes it in): no decay, which the
        # recurrent form handles; so (0, 1] is allowed here.
        if decay is None:
            decay = 1.0 - np.exp2(-5.0 - np.arange(self.num_heads, dtype=np.float64))
        self.decay = np.asarray(decay, dtype=np.float64).reshape(-1)
        if self.decay.shape[0] != self.num_heads:
            raise ModelError("decay has %d values, expected one per head (%d)"
                             % (self.decay.shape[0], self.num_heads))
        if not np.all((self.decay > 0.0) & (self.decay <= 1.0)):
            raise ModelError("every decay must lie in (0, 1], got %s" % list(self.decay))
        self._check()

    def _check(self):
        for f in ("hidden_size", "num_hidden_layers", "num_heads", "num_kv_heads",
                  "head_k_dim", "head_v_dim", "intermediate_size", "vocab_size"):
            if getattr(self, f) < 1:
                raise ModelError("%s must be positive, got %d" % (f, getattr(self, f)))
        if self.num_heads % self.num_kv_heads:
            raise ModelError("num_heads %d is not a multiple of num_kv_heads %d"
                             % (self.num_heads, self.num_kv_heads))
        if self.head_k_dim % 2:
            raise ModelError("head_k_dim %d is odd: rotate-half rotary needs an even "
                             "head_k_dim" % self.head_k_dim)
        if not (self.norm_eps >= 0.0 and math.isfinite(self.norm_eps)):
            raise ModelError("norm_eps must be finite and >= 0, got %r" % self.norm_eps)

    @property
    def g_norm_name(self):
        fused = self.use_output_gate and self.fuse_norm
        return "g_norm_swish_gate" if fused else "g_norm"

    @classmethod
    def from_hf(cls, cfg, where="config.json"):
        """From the fields of an fla `RetNetConfig` config.json."""
        def get(key, default):
            v = cfg.get(key, default)
            return default if v is None else v
        mt = cfg.get("model_type")
        if mt is not None and mt != "retnet":
            raise ModelError("%s: model_type is %r, expected 'retnet'" % (where, mt))
        for key, ok in _UNSUPPORTED.items():
            if key in cfg and cfg[key] not in ok:
                raise ModelError("%s: %s = %r is not supported by the reference "
                                 "(only %r)" % (where, key, cfg[key], ok[0]))
        try:
            hidden = int(cfg["hidden_size"])
            heads = int(get("num_heads", 8))
            kv = int(get("num_kv_heads", heads))
            if heads < 1 or kv < 1:
                raise ModelError("%s: num_heads %d and num_kv_heads %d must be positive"
                                 % (where, heads, kv))
            ek, ev = float(get("expand_k", 1.0)), float(get("expand_v", 2.0))
            key_dim, value_dim = hidden * ek, hidden * ev
            if key_dim != round(key_dim) or value_dim != round(value_dim):
                raise ModelError("%s: hidden_size * expand_k / expand_v must be "
                                 "integers, got %r / %r" % (where, key_dim, value_dim))
            key_dim, value_dim = int(round(key_dim)), int(round(value_dim))
            if key_dim % heads or value_dim % heads:
                raise ModelError("%s: key dim %d and value dim %d must be multiples of "
                                 "num_heads %d" % (where, key_dim, value_dim, heads))
            ffn = cfg.get("intermediate_size")
            if ffn is None:
                ratio = get("hidden_ratio", 4)  # GatedMLP's default when None
                ffn = int(hidden * ratio * 2 / 3)
                ffn = 256 * ((ffn + 256 - 1) // 256)
            kwargs = dict(
                hidden_size=hidden, num_hidden_layers=int(get("num_hidden_layers", 24)),
                num_heads=heads, num_kv_heads=kv,
                head_k_dim=key_dim // heads, head_v_dim=value_dim // heads,
                intermediate_size=int(ffn), vocab_size=int(get("vocab_size", 32000)),
                norm_eps=float(get("norm_eps", 1e-6)), rotary_base=10000.0,
                tie_word_embeddings=bool(get("tie_word_embeddings", False)),
                use_output_gate=bool(get("use_output_gate", True)),
                fuse_norm=bool(get("fuse_norm", True)))
        except KeyError as e:
            raise ModelError("%s: missing field %s" % (where, e))
        except (TypeError, ValueError) as e:
            raise ModelError("%s: %s" % (where, e))
        try:
            return cls(**kwargs)
        except (ModelError, ValueError) as e:
            raise ModelError("%s: %s" % (where, e))

    @classmethod
    def from_resolved(cls, cfg, where="manifest"):
        """From the resolved form a retc model package's manifest holds
        (`model.config`: head_k_dim, head_v_dim, rotary_base, decay, ...)."""
        layout = cfg.get("rotary_layout", "rotate_half")
        if layout != "rotate_half":
            raise ModelError("%s: rotary_layout %r: the reference implements "
                             "rotate_half only (give a config.json with "
                             "equivalent rotate-half weights)" % (where, layout))
        try:
            return cls(hidden_size=cfg["hidden_size"],
                       num_hidden_layers=cfg["num_hidden_layers"],
                       num_heads=cfg["num_heads"], num_kv_heads=cfg["num_kv_heads"],
                       head_k_dim=cfg["head_k_dim"], head_v_dim=cfg["head_v_dim"],
                       intermediate_size=cfg["intermediate_size"],
                       vocab_size=cfg["vocab_size"],
                       norm_eps=cfg.get("norm_eps", 1e-6),
                       rotary_base=cfg.get("rotary_base", 10000.0),
                       tie_word_embeddings=cfg.get("tie_word_embeddings", False),
                       use_output_gate=cfg.get("use_output_gate", True),
                       decay=cfg.get("decay"))
        except KeyError as e:
            raise ModelError("%s: missing field %s" % (where, e))
        except (TypeError, ValueError, ModelError) as e:
            raise ModelError("%s: %s" % (where, e))

    def to_resolved(self):
        return {"hidden_size": self.hidden_size, "num_hidden_layers": self.num_hidden_layers,
                "num_heads": self.num_heads, "num_kv_heads": self.num_kv_heads,
                "head_k_dim": self.head_k_dim, "head_v_dim": self.head_v_dim,
                "intermediate_size": self.intermediate_size, "vocab_size": self.vocab_size,
                "norm_eps": self.norm_eps, "rotary_base": self.rotary_base,
                "tie_word_embeddings": self.tie_word_embeddings,
                "use_output_gate": self.use_output_gate,
                "decay": [float(g) for g in self.decay]}

    def state_shape(self):
        return (self.num_hidden_layers, self.num_heads, self.head_k_dim, self.head_v_dim)

    def weight_shapes(self):
        """[(name, shape)] in the contract's (ABI) order."""
        c = self
        H, Hkv, Dk, Dv, d = c.num_heads, c.num_kv_heads, c.head_k_dim, c.head_v_dim, c.hidden_size
        out = [("model.embeddings.weight", (c.vocab_size, d))]
        for l in range(c.num_hidden_layers):
            p = "model.layers.%d." % l
            out += [(p + "attn_norm.weight", (d,)),
                    (p + "attn.q_proj.weight", (H * Dk, d)),
                    (p + "attn.k_proj.weight", (Hkv * Dk, d)),
                    (p + "attn.v_proj.weight", (Hkv * Dv, d))]
            if c.use_output_gate:
                out.append((p + "attn.g_proj.weight", (H * Dv, d)))
            out += [(p + "attn.o_proj.weight", (d, H * Dv)),
                    (p + "attn.%s.weight" % c.g_norm_name, (Dv,)),
                    (p + "mlp_norm.weight", (d,)),
                    (p + "mlp.gate_proj.weight", (c.intermediate_size, d)),
                    (p + "mlp.up_proj.weight", (c.intermediate_size, d)),
                    (p + "mlp.down_proj.weight", (d, c.intermediate_size))]
        out.append(("model.norm.weight", (d,)))
        if not c.tie_word_embeddings:
            out.append(("lm_head.weight", (c.vocab_size, d)))
        return out


# --------------------------------------------------------------------------
# The pieces, each in float64.
# --------------------------------------------------------------------------

def rms_norm(x, weight, eps):
    """x / sqrt(mean(x^2) + eps) * weight, over the last axis."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def swish(x):
    """x * sigmoid(x), without overflow for large |x|."""
    return x * (0.5 * (1.0 + np.tanh(0.5 * x)))


def rotary_tables(positions, dim, base):
    """cos, sin [T, dim/2] for absolute `positions`; inv_freq = base^(-2i/dim)."""
    inv_freq = base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    ang = np.asarray(positions, dtype=np.float64)[:, None] * inv_freq[None, :]
    return np.cos(ang), np.sin(ang)


def rotary(x, positions, base):
    """Rotate-half (GPT-NeoX) rotary over the whole last axis of x [T, H, D]:
    x[i] pairs with x[i + D/2]."""
    D = x.shape[-1]
    cos, sin = rotary_tables(positions, D, base)
    cos, sin = cos[:, None, :], sin[:, None, :]
    x1, x2 = x[..., :D // 2], x[..., D // 2:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def expand_kv(x, groups):
    """[T, Hkv, D] -> [T, Hkv*groups, D]: kv head j serves query heads
    j*groups .. j*groups+groups-1 (einops '(h g)')."""
    return np.repeat(x, groups, axis=1) if groups > 1 else x


# --------------------------------------------------------------------------
# The model.
# --------------------------------------------------------------------------

class RetNetModel:
    """A loaded model; weights held as float64 arrays by name."""

    def __init__(self, config, weights, strict=True, where="checkpoint"):
        self.config = config
        self.w = {}
        want = dict(config.weight_shapes())
        for name, shape in want.items():
            if name not in weights:
                hint = ""
                alt = name.replace(config.g_norm_name, "g_norm" if config.g_norm_name
                                   != "g_norm" else "g_norm_swish_gate")
                if alt != name and alt in weights:
                    hint = " (it has '%s': use_output_gate/fuse_norm do not match)" % alt
                raise ModelError("%s: missing tensor '%s'%s" % (where, name, hint))
            a = np.asarray(weights[name])
            if tuple(a.shape) != tuple(shape):
                raise ModelError("%s: tensor '%s' has shape %s, expected %s"
                                 % (where, name, list(a.shape), list(shape)))
            self.w[name] = a.astype(np.float64)
        extra = [n for n in weights if n not in want]
        if config.tie_word_embeddings and "lm_head.weight" in extra:
            lm = np.asarray(weights["lm_head.weight"], dtype=np.float64)
            if lm.shape == self.w["model.embeddings.weight"].shape and np.array_equal(
                    lm, self.w["model.embeddings.weight"]):
                extra.remove("lm_head.weight")
        if extra and strict:
            raise ModelError("%s: unexpected tensor '%s'%s" % (
                where, extra[0], " (and %d more)" % (len(extra) - 1) if len(extra) > 1 else ""))
        for name, a in self.w.items():
            if not np.all(np.isfinite(a)):
                raise ModelError("%s: tensor '%s' holds non-finite values" % (where, name))

    # -- pieces shared by both forms --------------------------------------

    def _weight(self, name):
        return self.w[name]

    def lm_head(self):
        c = self.config
        return self.w["model.embeddings.weight" if c.tie_word_embeddings else "lm_head.weight"]

    def _embed(self, tokens):
        tokens = np.asarray(tokens, dtype=np.int64).reshape(-1)
        if tokens.size == 0:
            raise ModelError("no tokens")
        bad = (tokens < 0) | (tokens >= self.config.vocab_size)
        if bad.any():
            raise ModelError("token %d at index %d is outside [0, %d)" % (
                tokens[bad][0], int(np.argmax(bad)), self.config.vocab_size))
        return self.w["model.embeddings.weight"][tokens]

    def _qkvg(self, l, x, positions):
        """Projections of layer l for x [T, d]: q, k [T, H, Dk] (rotary
        applied, k/v expanded to H heads), v [T, H, Dv], gate [T, H, Dv] or None."""
        c = self.config
        p = "model.layers.%d.attn." % l
        T = x.shape[0]
        H, Hkv, Dk, Dv = c.num_heads, c.num_kv_heads, c.head_k_dim, c.head_v_dim
        q = (x @ self.w[p + "q_proj.weight"].T).reshape(T, H, Dk)
        k = (x @ self.w[p + "k_proj.weight"].T).reshape(T, Hkv, Dk)
        v = (x @ self.w[p + "v_proj.weight"].T).reshape(T, Hkv, Dv)
        q = rotary(q, positions, c.rotary_base)
        k = rotary(k, positions, c.rotary_base)
        k, v = expand_kv(k, H // Hkv), expand_kv(v, H // Hkv)
        g = None
        if c.use_output_gate:
            g = (x @ self.w[p + "g_proj.weight"].T).reshape(T, H, Dv)
        return q, k, v, g

    def _attn_out(self, l, o, g):
        """Per-head norm, gate, o_proj: o [T, H, Dv] -> [T, d]."""
        c = self.config
        p = "model.layers.%d.attn." % l
        o = rms_norm(o, self.w[p + c.g_norm_name + ".weight"], c.norm_eps)
        if g is not None:
            o = o * swish(g)
        return o.reshape(o.shape[0], -1) @ self.w[p + "o_proj.weight"].T

    def _mlp(self, l, h):
        c = self.config
        p = "model.layers.%d." % l
        x = rms_norm(h, self.w[p + "mlp_norm.weight"], c.norm_eps)
        a = swish(x @ self.w[p + "mlp.gate_proj.weight"].T) * (x @ self.w[p + "mlp.up_proj.weight"].T)
        return h + a @ self.w[p + "mlp.down_proj.weight"].T

    def _logits(self, h):
        c = self.config
        return rms_norm(h, self.w["model.norm.weight"], c.norm_eps) @ self.lm_head().T

    def new_state(self):
        """The zero state of a fresh sequence [layers, heads, Dk, Dv]."""
        return np.zeros(self.config.state_shape(), dtype=np.float64)

    def _check_state(self, state):
        if state is None:
            return self.new_state()
        state = np.asarray(state, dtype=np.float64)
        if state.shape != self.config.state_shape():
            raise ModelError("state has shape %s, expected %s"
                             % (list(state.shape), list(self.config.state_shape())))
        return state

    # -- the parallel form -------------------------------------------------

    def forward(self, tokens, position=0, state=None, return_state=False, chunk=None):
        """Logits [T, vocab] of `tokens`, the first at absolute `position`,
        starting from `state` (None: a fresh sequence). Retention in the
        parallel closed form, or the chunkwise one when `chunk` is given."""
        c = self.config
        state = self._check_state(state)
        h = self._embed(tokens)
        T = h.shape[0]
        positions = np.arange(position, position + T)
        new_state = np.empty_like(state)
        for l in range(c.num_hidden_layers):
            x = rms_norm(h, self.w["model.layers.%d.attn_norm.weight" % l], c.norm_eps)
            q, k, v, g = self._qkvg(l, x, positions)
            args = dict(gamma=c.decay, scale=1.0 / math.sqrt(c.head_k_dim),
                        s0=state[l][None])
            if chunk is None:
                o, s = retention_ref.retention_parallel(q[None], k[None], v[None], **args)
            else:
                o, s = retention_ref.retention_chunkwise(q[None], k[None], v[None],
                                                         chunk=chunk, **args)
            new_state[l] = s[0]
            h = h + self._attn_out(l, o[0], g)
            h = self._mlp(l, h)
        logits = self._logits(h)
        return (logits, new_state) if return_state else logits

    def forward_segments(self, tokens, segment=4096, chunk=64):
        """The logits of a sequence too long for one `forward` (a million
        tokens): `forward` over `segment` tokens at a time, retention in the
        chunkwise form, each segment starting at its absolute position from
        the state the last one left. The same function as forward(tokens),
        in memory that does not grow with T. Yields (start, logits
        [L, vocab]) per segment."""
        if segment < 1:
            raise ModelError("segment must be >= 1")
        state = None
        for start in range(0, len(tokens), segment):
            logits, state = self.forward(tokens[start:start + segment], position=start,
                                         state=state, return_state=True, chunk=chunk)
            yield start, logits

    # -- the recurrent form ------------------------------------------------

    def decode(self, token, state, position):
        """One step: logits [vocab] of `token` at absolute `position` and the
        new state. Retention in the recurrent form, written out here."""
        c = self.config
        S = self._check_state(state).copy()
        h = self._embed([token])
        scale = 1.0 / math.sqrt(c.head_k_dim)
        gam = c.decay[:, None, None]
        for l in range(c.num_hidden_layers):
            x = rms_norm(h, self.w["model.layers.%d.attn_norm.weight" % l], c.norm_eps)
            q, k, v, g = self._qkvg(l, x, [position])
            S[l] = gam * S[l] + k[0][:, :, None] * v[0][:, None, :]
            o = scale * np.einsum("hk,hkv->hv", q[0], S[l])
            h = h + self._attn_out(l, o[None], g)
            h = self._mlp(l, h)
        return self._logits(h)[0], S

    def prefill(self, tokens, state=None, position=0):
        """Logits [T, vocab] and the state after `tokens`, token by token in
        the recurrent form."""
        S = self._check_state(state)
        tokens = list(np.asarray(tokens, dtype=np.int64).reshape(-1))
        if not tokens:
            raise ModelError("no tokens")
        rows = []
        for i, t in enumerate(tokens):
            lg, S = self.decode(int(t), S, position + i)
            rows.append(lg)
        return np.stack(rows), S

    def logits_with_decode(self, tokens, decode_from):
        """Logits of tokens[:P] by prefill, then one decode step per token."""
        P = int(decode_from)
        if not 1 <= P <= len(tokens):
            raise ModelError("--decode-from %d must lie in [1, %d]" % (P, len(tokens)))
        lg, S = self.forward(tokens[:P], return_state=True)
        rows = [lg]
        for i in range(P, len(tokens)):
            step, S = self.decode(int(tokens[i]), S, i)
            rows.append(step[None])
        return np.concatenate(rows)

    def generate_greedy(self, tokens, n):
        """The n tokens that greedy decoding appends to `tokens` (argmax,
        lowest id on ties), by prefill then recurrent decode steps."""
        tokens = [int(t) for t in tokens]
        lg, S = self.forward(tokens, return_state=True)
        last = lg[-1]
        out = []
        pos = len(tokens)
        for i in range(n):
            nxt = int(np.argmax(last))
            out.append(nxt)
            if i + 1 < n:
                last, S = self.decode(nxt, S, pos)
                pos += 1
        return out


# --------------------------------------------------------------------------
# Loading.
# --------------------------------------------------------------------------

def load_weights(ckpt_dir):
    """{name: ndarray} from model.safetensors or a sharded index."""
    single = os.path.join(ckpt_dir, "model.safetensors")
    index = os.path.join(ckpt_dir, "model.safetensors.index.json")
    try:
        if os.path.exists(single):
            return safetensors_np.load(single)
        if os.path.exists(index):
            with open(index) as f:
                wmap = json.load(f)["weight_map"]
            out = {}
            for shard in sorted(set(wmap.values())):
                out.update(safetensors_np.load(os.path.join(ckpt_dir, shard)))
            return out
    except safetensors_np.SafetensorsError as e:
        raise ModelError(str(e))
    except (OSError, ValueError, KeyError) as e:
        raise ModelError("%s: cannot read the weights index: %s" % (index, e))
    raise ModelError("%s: no model.safetensors (or model.safetensors.index.json)" % ckpt_dir)


def load_hf_config(path):
    if not os.path.exists(path):
        raise ModelError("%s: no such checkpoint directory or config.json" % path)
    cfg_path = os.path.join(path, "config.json") if os.path.isdir(path) else path
    try:
        with open(cfg_path) as f:
            cfg = json.load(f)
    except OSError as e:
        raise ModelError("%s: cannot read: %s" % (cfg_path, e.strerror or e))
    except json.JSONDecodeError as e:
        raise ModelError("%s:%d:%d: invalid JSON: %s" % (cfg_path, e.lineno, e.colno, e.msg))
    if not isinstance(cfg, dict):
        raise ModelError("%s: not a JSON object" % cfg_path)
    return RetNetConfig.from_hf(cfg, cfg_path)


def load_model(ckpt_dir, weights_path=None, config=None, strict=True):
    """A RetNetModel from a checkpoint directory; `weights_path` and `config`
    override its model.safetensors and config.json."""
    if config is None:
        config = load_hf_config(ckpt_dir)
    if weights_path is not None:
        try:
            weights = safetensors_np.load(weights_path)
        except safetensors_np.SafetensorsError as e:
            raise ModelError(str(e))
        where = weights_path
    else:
        weights = load_weights(ckpt_dir)
        where = ckpt_dir
    return RetNetModel(config, weights, strict=strict, where=where)


def parse_tokens(text):
    try:
        toks = [int(t) for t in text.replace(" ", ",").split(",") if t.strip()]
    except ValueError:
        raise ModelError("--tokens must be comma-separated integers, got %r" % text)
    if not toks:
        raise ModelError("--tokens is empty")
    return toks


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("ckpt", help="checkpoint directory (config.json + model.safetensors)")
    p.add_argument("--tokens", required=True, help="comma-separated token ids")
    p.add_argument("--weights", help="a .safetensors file instead of CKPT/model.safetensors")
    p.add_argument("--logits", help="write the logits [T, vocab] here (.npy, float64)")
    p.add_argument("--decode-from", type=int,
                   help="prefill tokens[:P], then decode the rest one at a time")
    p.add_argument("--recurrent", action="store_true",
                   help="compute every token with the recurrent form (prefill)")
    p.add_argument("--generate", type=int, help="print the N greedy continuation tokens")
    a = p.parse_args(argv)
    try:
        model = load_model(a.ckpt, a.weights)
        tokens = parse_tokens(a.tokens)
        if a.generate is not None:
            print("tokens: " + " ".join(str(t) for t in model.generate_greedy(tokens, a.generate)))
        if a.logits or a.generate is None:
            if a.decode_from is not None:
                logits = model.logits_with_decode(tokens, a.decode_from)
            elif a.recurrent:
                logits = model.prefill(tokens)[0]
            else:
                logits = model.forward(tokens)
            if a.logits:
                np.save(a.logits, logits)
            else:
                np.set_printoptions(precision=6, suppress=True, linewidth=120)
                print(logits)
    except ModelError as e:
        print("retnet_model_ref: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
