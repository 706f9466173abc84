#!/usr/bin/env python3
"""Check retc's float64 model reference against flash-linear-attention itself.

Runs on a machine with a CUDA GPU, torch, triton, transformers, einops (and
optionally safetensors), given a source checkout of flash-linear-attention
(imported from that path, not installed). See README.md in this folder.

    fla_check.py --fla PATH [--out DIR] CKPT_DIR...
        For each checkpoint (config.json + model.safetensors): build fla's
        RetNetForCausalLM from config.json, load the weights, run it in
        float32 on CUDA for token sequences of several lengths (fla takes its
        fused_recurrent kernel up to 64 tokens and its chunk kernel above),
        and through fla's cache (prefill, then one token at a time); compare
        with test/lib/retnet_model_ref.py's float64 logits. Prints
        `rel_err=` per case, PASS/FAIL, and exits 1 if any relative error
        exceeds --tol (1e-3) or anything fails.

    fla_check.py --fla PATH --write DIR [--cases NAME,...]
        Writes checkpoints with fla's own random initialisation
        (RetNetForCausalLM(config), then save_pretrained: config.json +
        model.safetensors), with DIR/<case>/tokens.npy and the float32 logits
        fla computes for them, DIR/<case>/logits.npy; then checks them as
        above. These are the "checkpoints written by the public
        implementation" that retc's acceptance is judged on.

With --out DIR, every logits array (fla's and the reference's) is saved there.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_LIB = os.path.normpath(os.path.join(HERE, "..", "..", "test", "lib"))

# Checkpoints fla writes in --write mode: name -> (config fields, weight dtype, seed).
# initializer_range 0.02 is fla's default (a weak attention path: the
# embeddings dominate the residual stream); the 0.1 cases make every layer
# matter. Norm weights are ones, as fla initialises them.
WRITE_CASES = {
    "fla-mha-f32": (dict(hidden_size=256, num_hidden_layers=2, num_heads=4, vocab_size=512,
                         initializer_range=0.02), "float32", 1),
    "fla-mha-std0.1-f32": (dict(hidden_size=256, num_hidden_layers=3, num_heads=4,
                                vocab_size=512, initializer_range=0.1), "float32", 2),
    "fla-gqa-std0.1-f32": (dict(hidden_size=256, num_hidden_layers=2, num_heads=8,
                                num_kv_heads=2, expand_k=0.5, expand_v=1.0, vocab_size=300,
                                initializer_range=0.1), "float32", 3),
    "fla-tied-nogate-std0.1-f32": (dict(hidden_size=128, num_hidden_layers=2, num_heads=2,
                                        vocab_size=256, tie_word_embeddings=True,
                                        use_output_gate=False, initializer_range=0.1),
                                   "float32", 4),
    "fla-ffn-std0.1-bf16": (dict(hidden_size=256, num_hidden_layers=2, num_heads=4,
                                 intermediate_size=320, vocab_size=1000,
                                 initializer_range=0.1), "bfloat16", 5),
    "fla-1.3b-shape-layer": (dict(hidden_size=2048, num_hidden_layers=1, num_heads=8,
                                  hidden_ratio=4, vocab_size=1024,
                                  initializer_range=0.02), "bfloat16", 6),
}

# Keys of config.json that are not constructor arguments of fla's RetNetConfig.
CONFIG_META_KEYS = ("architectures", "model_type", "transformers_version", "torch_dtype",
                    "dtype", "_name_or_path", "auto_map")


class CheckError(Exception):
    """One failure, one line."""


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fla", required=True, help="path of a flash-linear-attention checkout")
    p.add_argument("ckpts", nargs="*", help="checkpoint directories to check")
    p.add_argument("--write", metavar="DIR",
                   help="write checkpoints with fla's random init into DIR, then check them")
    p.add_argument("--cases", help="--write: comma-separated case names (default: all: %s)"
                   % ", ".join(WRITE_CASES))
    p.add_argument("--out", help="save fla's and the reference's logits here (.npy)")
    p.add_argument("--lengths", default="1,37,64,65,150",
                   help="token sequence lengths to check (default 1,37,64,65,150)")
    p.add_argument("--decode-from", type=int, default=20,
                   help="the cache check: prefill this many tokens, then decode one at "
                        "a time (default 20; 0 skips the cache check)")
    p.add_argument("--write-tokens", type=int, default=100,
                   help="--write: length of the token list whose logits are saved")
    p.add_argument("--tol", type=float, default=1e-3, help="relative tolerance (default 1e-3)")
    p.add_argument("--seed", type=int, default=1234, help="token seed")
    p.add_argument("--allow-tf32", action="store_true",
                   help="leave Triton's float32 dot at its TF32 default (by default "
                        "TRITON_F32_DEFAULT=ieee, torch TF32 off)")
    p.add_argument("--device", default="cuda")
    a = p.parse_args(argv)
    if not a.ckpts and not a.write:
        p.error("give checkpoint directories, or --write DIR")
    try:
        a.lengths = [int(x) for x in a.lengths.split(",") if x.strip()]
    except ValueError:
        p.error("--lengths must be comma-separated integers")
    if not a.lengths or min(a.lengths) < 1:
        p.error("--lengths must be positive")
    return a


# --------------------------------------------------------------------------
# Importing fla.
# --------------------------------------------------------------------------

def import_fla(fla_path):
    """Returns (RetNetConfig class, model factory, description)."""
    fla_path = os.path.abspath(fla_path)
    if not os.path.isfile(os.path.join(fla_path, "fla", "__init__.py")):
        raise CheckError("%s: not a flash-linear-attention checkout (no fla/__init__.py)"
                         % fla_path)
    sys.path.insert(0, fla_path)
    try:
        from fla.models.retnet import RetNetConfig, RetNetForCausalLM
        return RetNetConfig, RetNetForCausalLM, "fla.models.retnet.RetNetForCausalLM"
    except Exception as e:  # noqa: BLE001 - any import failure takes the fallback
        print("note: fla's RetNetForCausalLM failed to import (%s: %s); assembling the "
              "model from fla's layer modules instead (MultiScaleRetention, RMSNorm, "
              "GatedMLP)" % (type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    for name in [m for m in sys.modules if m == "fla" or m.startswith("fla.")]:
        del sys.modules[name]
    # Import the layer modules without running fla/__init__.py and
    # fla/layers/__init__.py, which import every model and layer.
    for name in ("fla", "fla.layers", "fla.models"):
        m = types.ModuleType(name)
        m.__path__ = [os.path.join(fla_path, *name.split("."))]
        sys.modules[name] = m
    try:
        return fallback_classes()
    except Exception as e:  # noqa: BLE001
        raise CheckError("cannot import fla's layer modules either: %s: %s"
                         % (type(e).__name__, e))


def fallback_classes():
    import torch.nn as nn
    from fla.layers.multiscale_retention import MultiScaleRetention
    from fla.modules import GatedMLP, RMSNorm

    class Config(types.SimpleNamespace):
        def __init__(self, **kw):
            d = dict(attn_mode="chunk", hidden_size=2048, expand_k=1.0, expand_v=2.0,
                     hidden_ratio=2, intermediate_size=None, num_hidden_layers=24,
                     num_heads=8, num_kv_heads=None, feature_map=None, hidden_act="swish",
                     use_output_gate=True, elementwise_affine=True, norm_eps=1e-6,
                     tie_word_embeddings=False, initializer_range=0.02, fuse_norm=True,
                     vocab_size=32000)
            d.update(kw)
            super().__init__(**d)

        def to_dict(self):
            return dict(vars(self), model_type="retnet")

    class Block(nn.Module):
        def __init__(self, c, i):
            super().__init__()
            self.attn_norm = RMSNorm(c.hidden_size, eps=c.norm_eps)
            self.attn = MultiScaleRetention(
                mode=c.attn_mode, hidden_size=c.hidden_size, expand_k=c.expand_k,
                expand_v=c.expand_v, num_heads=c.num_heads, num_kv_heads=c.num_kv_heads,
                feature_map=c.feature_map, use_output_gate=c.use_output_gate,
                gate_fn=c.hidden_act, elementwise_affine=c.elementwise_affine,
                norm_eps=c.norm_eps, fuse_norm=c.fuse_norm, layer_idx=i)
            self.mlp_norm = RMSNorm(c.hidden_size, eps=c.norm_eps)
            self.mlp = GatedMLP(hidden_size=c.hidden_size, hidden_ratio=c.hidden_ratio,
                                intermediate_size=c.intermediate_size,
                                hidden_act=c.hidden_act)

        def forward(self, h):
            o = self.attn(hidden_states=self.attn_norm(h))[0]
            h = h + o
            return h + self.mlp(self.mlp_norm(h))

    class Inner(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
            self.layers = nn.ModuleList([Block(c, i) for i in range(c.num_hidden_layers)])
            self.norm = RMSNorm(c.hidden_size, eps=c.norm_eps)

    class Output(types.SimpleNamespace):
        pass

    class Model(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.config = c
            self.model = Inner(c)
            self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
            for mod in self.modules():
                if isinstance(mod, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(mod.weight, mean=0.0, std=c.initializer_range)

        def forward(self, input_ids, use_cache=False, past_key_values=None, **kw):
            if use_cache or past_key_values is not None:
                raise CheckError("the assembled fallback model has no cache")
            h = self.model.embeddings(input_ids)
            for layer in self.model.layers:
                h = layer(h)
            return Output(logits=self.lm_head(self.model.norm(h)))

    return Config, Model, "assembled from fla.layers.MultiScaleRetention + fla.modules"


# --------------------------------------------------------------------------
# Checkpoints.
# --------------------------------------------------------------------------

def load_state_dict(ckpt, torch):
    """{name: float32 tensor} read with our numpy reader, cross-checked
    against the safetensors package where it is installed."""
    import numpy as np
    import safetensors_np
    path = os.path.join(ckpt, "model.safetensors")
    try:
        arrays = safetensors_np.load(path)
    except safetensors_np.SafetensorsError as e:
        raise CheckError(str(e))
    try:
        from safetensors.torch import load_file
    except ImportError:
        load_file = None
    if load_file is not None:
        theirs = load_file(path)
        if set(theirs) != set(arrays):
            raise CheckError("%s: the safetensors package and safetensors_np.py see different "
                             "tensor names" % path)
        for name, t in theirs.items():
            if not np.array_equal(t.float().numpy(), np.asarray(arrays[name], np.float32)):
                raise CheckError("%s: tensor '%s' differs between the safetensors package "
                                 "and safetensors_np.py" % (path, name))
    return {n: torch.from_numpy(np.asarray(a, dtype=np.float32)) for n, a in arrays.items()}


def build_fla_model(ckpt, ConfigCls, ModelCls, torch, device):
    cfg_path = os.path.join(ckpt, "config.json")
    try:
        with open(cfg_path) as f:
            cfg = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise CheckError("%s: %s" % (cfg_path, e))
    kwargs = {k: v for k, v in cfg.items() if k not in CONFIG_META_KEYS}
    config = ConfigCls(**kwargs)
    model = ModelCls(config)
    sd = load_state_dict(ckpt, torch)
    result = model.load_state_dict(sd, strict=False)
    tied = bool(cfg.get("tie_word_embeddings", False))
    missing = [m for m in result.missing_keys if not (tied and m == "lm_head.weight")]
    if missing:
        raise CheckError("%s: fla's model needs tensors the checkpoint lacks: %s"
                         % (ckpt, ", ".join(missing)))
    if result.unexpected_keys:
        raise CheckError("%s: the checkpoint has tensors fla's model does not: %s"
                         % (ckpt, ", ".join(result.unexpected_keys)))
    if tied:
        model.lm_head.weight = model.model.embeddings.weight
    return model.to(device=device, dtype=torch.float32).eval(), cfg


def fla_logits(model, tokens, torch, device):
    ids = torch.tensor([tokens], dtype=torch.long, device=device)
    with torch.no_grad():
        out = model(input_ids=ids, use_cache=False)
    return out.logits[0].double().cpu().numpy()


def fla_logits_cached(model, tokens, P, torch, device):
    """Prefill tokens[:P] with use_cache, then one token per call."""
    import numpy as np
    ids = torch.tensor([tokens], dtype=torch.long, device=device)
    rows = []
    with torch.no_grad():
        out = model(input_ids=ids[:, :P], use_cache=True)
        rows.append(out.logits[0].double().cpu().numpy())
        pkv = out.past_key_values
        for i in range(P, len(tokens)):
            out = model(input_ids=ids[:, i:i + 1], past_key_values=pkv, use_cache=True)
            pkv = out.past_key_values
            rows.append(out.logits[0].double().cpu().numpy())
    return np.concatenate(rows)


def rel_err(a, b):
    import numpy as np
    den = np.linalg.norm(b.ravel())
    return float(np.linalg.norm((a - b).ravel()) / den) if den else float("inf")


def check_checkpoint(ckpt, a, env, results):
    """Compare fla and the reference on one checkpoint; appends
    (label, rel_err or None, message) to results."""
    import numpy as np
    import retnet_model_ref as ref
    torch = env["torch"]
    name = os.path.basename(os.path.normpath(ckpt))
    try:
        model, cfg = build_fla_model(ckpt, env["Config"], env["Model"], torch, a.device)
        refm = ref.load_model(ckpt)
    except (CheckError, ref.ModelError) as e:
        results.append(("%s: load" % name, None, str(e)))
        return
    except Exception as e:  # noqa: BLE001
        results.append(("%s: load" % name, None, "%s: %s" % (type(e).__name__, e)))
        return
    V = refm.config.vocab_size
    rng = np.random.default_rng(a.seed)
    cases = [("forward", T, [int(t) for t in rng.integers(0, V, size=T)]) for T in a.lengths]
    fixed = os.path.join(ckpt, "tokens.npy")
    if os.path.exists(fixed):
        cases.append(("forward tokens.npy", None, [int(t) for t in np.load(fixed)]))
    saved = os.path.join(ckpt, "logits.npy")
    if os.path.exists(fixed) and os.path.exists(saved):
        # The logits fla wrote with the checkpoint (--write) against the
        # reference: exactly what retc's acceptance compares with.
        toks = [int(t) for t in np.load(fixed)]
        label = "%s: saved logits.npy T=%d" % (name, len(toks))
        try:
            got, want = np.load(saved).astype(np.float64), refm.forward(toks)
            if got.shape != want.shape:
                results.append((label, None, "logits.npy shape %s, reference %s"
                                % (list(got.shape), list(want.shape))))
            else:
                results.append((label, rel_err(got, want), "max|ref| %.3g"
                                % np.max(np.abs(want))))
        except Exception as e:  # noqa: BLE001
            results.append((label, None, "%s: %s" % (type(e).__name__, e)))
    if a.decode_from > 0:
        T = max(a.lengths)
        P = min(a.decode_from, T)
        cases.append(("cache P=%d" % P, T, [int(t) for t in rng.integers(0, V, size=T)]))
    for kind, _, toks in cases:
        T = len(toks)
        label = "%s: %s T=%d (%s)" % (name, kind, T, "fused_recurrent" if T <= 64 else
                                       cfg.get("attn_mode", "chunk"))
        try:
            t0 = time.time()
            if kind.startswith("cache"):
                got = fla_logits_cached(model, toks, min(a.decode_from, T), torch, a.device)
                want = refm.logits_with_decode(toks, min(a.decode_from, T))
            else:
                got = fla_logits(model, toks, torch, a.device)
                want = refm.forward(toks)
            dt = time.time() - t0
        except Exception as e:  # noqa: BLE001
            msg = "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
            if kind.startswith("cache"):
                msg += " (fla's cache path; --decode-from 0 skips this check)"
            results.append((label, None, msg))
            if os.environ.get("FLA_CHECK_TRACEBACK"):
                traceback.print_exc()
            continue
        if got.shape != want.shape:
            results.append((label, None, "fla logits shape %s, reference %s"
                            % (list(got.shape), list(want.shape))))
            continue
        e = rel_err(got, want)
        same = int(np.sum(np.argmax(got, 1) == np.argmax(want, 1)))
        results.append((label, e, "argmax agrees at %d/%d, max|ref| %.3g, %.1fs"
                        % (same, T, np.max(np.abs(want)), dt)))
        if a.out:
            stem = os.path.join(a.out, "%s-%s-T%d" % (name, kind.split()[0], T))
            np.save(stem + "-fla.npy", got)
            np.save(stem + "-ref.npy", want)


def write_checkpoints(a, env):
    """fla's own random init -> DIR/<case>/{config.json, model.safetensors,
    tokens.npy, logits.npy, fla_info.json}. Returns the directories."""
    import numpy as np
    torch = env["torch"]
    names = list(WRITE_CASES) if not a.cases else [c.strip() for c in a.cases.split(",")]
    dirs = []
    for case in names:
        if case not in WRITE_CASES:
            raise CheckError("unknown case %r (known: %s)" % (case, ", ".join(WRITE_CASES)))
        fields, dtype, seed = WRITE_CASES[case]
        d = os.path.join(a.write, case)
        os.makedirs(d, exist_ok=True)
        torch.manual_seed(seed)
        config = env["Config"](**fields)
        model = env["Model"](config)
        if fields.get("tie_word_embeddings"):
            model.lm_head.weight = model.model.embeddings.weight
        # The weights as saved (bf16 cases: rounded) are what fla runs on.
        model = model.to(dtype=getattr(torch, dtype)).to(device=a.device, dtype=torch.float32)
        model.eval()
        tokens = [int(t) for t in np.random.default_rng(seed).integers(
            0, fields["vocab_size"], size=a.write_tokens)]
        logits = fla_logits(model, tokens, torch, a.device).astype(np.float32)
        saved_with = save_model(model, config, d, getattr(torch, dtype), torch)
        np.save(os.path.join(d, "tokens.npy"), np.asarray(tokens, dtype=np.int64))
        np.save(os.path.join(d, "logits.npy"), logits)
        with open(os.path.join(d, "fla_info.json"), "w") as f:
            json.dump(dict(env["info"], case=case, seed=seed, weight_dtype=dtype,
                           saved_with=saved_with,
                           tokens=len(tokens), logits="float32 [tokens, vocab] from fla, "
                           "float32 on %s" % a.device), f, indent=2)
        print("wrote %s (%s weights by %s, %d tokens, logits %s)" % (
            d, dtype, saved_with, len(tokens), list(logits.shape)))
        dirs.append(d)
    return dirs


def save_model(model, config, d, dtype, torch):
    """save_pretrained where it works, else config.json + safetensors by hand."""
    cpu = model.to("cpu", dtype=dtype)
    how = None
    try:
        cpu.save_pretrained(d)  # safetensors is the default from transformers 4.35 on
        if os.path.exists(os.path.join(d, "model.safetensors")):
            how = "save_pretrained"
        else:
            print("note: save_pretrained wrote no model.safetensors (%s); writing the "
                  "files directly" % ", ".join(sorted(os.listdir(d))))
    except Exception as e:  # noqa: BLE001
        print("note: save_pretrained failed (%s: %s); writing the files directly"
              % (type(e).__name__, e))
    if how is None:
        sd = {k: v.contiguous() for k, v in cpu.state_dict().items()}
        if getattr(config, "tie_word_embeddings", False):
            sd.pop("lm_head.weight", None)
        try:
            from safetensors.torch import save_file
            save_file(sd, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
        except ImportError:
            import safetensors_np
            st_dtype = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}
            safetensors_np.save(os.path.join(d, "model.safetensors"),
                                {k: v.float().numpy() for k, v in sd.items()},
                                dtype=st_dtype[dtype], metadata={"format": "pt"})
        cfg = config.to_dict()
        cfg["model_type"] = "retnet"
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2, default=str)
        how = "direct"
    return how


def main(argv=None):
    a = parse_args(sys.argv[1:] if argv is None else argv)
    if not a.allow_tf32:
        # Triton's fp32 tl.dot defaults to TF32 (10-bit mantissa), which fla's
        # chunk kernels use; IEEE fp32 is what we compare against.
        os.environ.setdefault("TRITON_F32_DEFAULT", "ieee")
    sys.path.insert(0, TEST_LIB)
    try:
        import numpy as np  # noqa: F401
        import torch
    except ImportError as e:
        print("fla_check: error: %s" % e)
        return 2
    if not a.allow_tf32:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.set_float32_matmul_precision("highest")
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print("fla_check: error: no CUDA device (torch.cuda.is_available() is False)")
        return 2
    try:
        Config, Model, how = import_fla(a.fla)
    except CheckError as e:
        print("fla_check: error: %s" % e)
        return 2
    info = {"fla_model": how, "fla_path": os.path.abspath(a.fla),
            "torch": torch.__version__,
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else a.device,
            "TRITON_F32_DEFAULT": os.environ.get("TRITON_F32_DEFAULT", "(unset: tf32)")}
    for mod in ("triton", "transformers", "fla"):
        try:
            info[mod] = getattr(__import__(mod), "__version__", "?")
        except Exception:  # noqa: BLE001
            info[mod] = "(not importable)"
    try:
        info["fla_commit"] = subprocess.run(
            ["git", "-C", a.fla, "rev-parse", "HEAD"], capture_output=True, text=True,
            timeout=10).stdout.strip() or "(no git metadata)"
    except Exception:  # noqa: BLE001
        info["fla_commit"] = "(no git metadata)"
    for k, v in info.items():
        print("%s: %s" % (k, v))
    env = {"torch": torch, "Config": Config, "Model": Model, "info": info}
    if a.out:
        os.makedirs(a.out, exist_ok=True)
    ckpts = list(a.ckpts)
    results = []
    if a.write:
        try:
            ckpts += write_checkpoints(a, env)
        except CheckError as e:
            results.append(("write", None, str(e)))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            results.append(("write", None, "%s: %s" % (type(e).__name__, e)))
    for ckpt in ckpts:
        check_checkpoint(ckpt, a, env, results)
    bad = 0
    for label, e, msg in results:
        if e is None:
            print("FAIL %s: %s" % (label, msg))
            bad += 1
        else:
            ok = e <= a.tol
            bad += 0 if ok else 1
            print("%s %s rel_err=%.3e (tol %.0e) %s" % ("PASS" if ok else "FAIL", label, e,
                                                        a.tol, msg))
    worst = max([e for _, e, _ in results if e is not None], default=float("nan"))
    print("%d checks, %d failed, worst rel_err %.3e" % (len(results), bad, worst))
    return 1 if bad or not results else 0


if __name__ == "__main__":
    sys.exit(main())
