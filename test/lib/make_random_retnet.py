#!/usr/bin/env python3
"""Write a random RetNet checkpoint directory in flash-linear-attention's layout.

    make_random_retnet.py OUT_DIR [--hidden 64] [--layers 2] [--heads 4]
        [--kv-heads H] [--expand-k 1] [--expand-v 2] [--ffn N | --hidden-ratio R]
        [--vocab 100] [--tie] [--no-output-gate] [--dtype f32|bf16|f16]
        [--norm-eps 1e-6] [--seed S]

OUT_DIR/config.json carries every field fla's `RetNetConfig` writes
(model_type "retnet"), OUT_DIR/model.safetensors the tensors with fla's
names (retnet_model_ref.RetNetConfig.weight_shapes, the contract's order).

The weights are random but scaled so that every part of the model matters:
linear layers N(0, 1/fan_in) (outputs of the order of their inputs),
embeddings N(0, 1), RMSNorm weights 1 + U(-0.25, 0.25) (so a norm that
ignores its weight, or applies one head's weight to another, shows).
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import retnet_model_ref as ref  # noqa: E402
import safetensors_np  # noqa: E402

SAFETENSORS_DTYPE = {"f32": "F32", "bf16": "BF16", "f16": "F16"}
TORCH_DTYPE = {"f32": "float32", "bf16": "bfloat16", "f16": "float16"}


def hf_config(hidden, layers, heads, kv_heads, expand_k, expand_v, ffn, hidden_ratio,
              vocab, tie, output_gate, dtype, norm_eps):
    """The config.json dictionary, with fla's RetNetConfig field names."""
    def num(x):
        return int(x) if float(x).is_integer() else float(x)
    return {
        "architectures": ["RetNetForCausalLM"],
        "model_type": "retnet",
        "attn_mode": "chunk",
        "hidden_size": hidden,
        "expand_k": num(expand_k),
        "expand_v": num(expand_v),
        "hidden_ratio": hidden_ratio,
        "intermediate_size": ffn,
        "num_hidden_layers": layers,
        "num_heads": heads,
        "num_kv_heads": kv_heads,
        "feature_map": None,
        "hidden_act": "swish",
        "use_short_conv": False,
        "conv_size": 4,
        "use_output_gate": output_gate,
        "max_position_embeddings": 2048,
        "elementwise_affine": True,
        "norm_eps": norm_eps,
        "attn": None,
        "use_cache": True,
        "pad_token_id": None,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "tie_word_embeddings": tie,
        "initializer_range": 0.02,
        "fuse_norm": True,
        "fuse_swiglu": True,
        "fuse_cross_entropy": True,
        "fuse_linear_cross_entropy": False,
        "use_l2warp": False,
        "vocab_size": vocab,
        "torch_dtype": TORCH_DTYPE[dtype],
        "transformers_version": "4.56.0",
    }


def random_weights(config, rng):
    """{name: float32 array} for every tensor of `config` (RetNetConfig)."""
    out = {}
    for name, shape in config.weight_shapes():
        if len(shape) == 1:  # an RMSNorm weight
            w = 1.0 + rng.uniform(-0.25, 0.25, size=shape)
        elif name == "model.embeddings.weight":
            w = rng.standard_normal(shape)
        else:  # Linear [out, in]
            w = rng.standard_normal(shape) / np.sqrt(shape[1])
        out[name] = w.astype(np.float32)
    return out


def write_checkpoint(out_dir, hidden=64, layers=2, heads=4, kv_heads=None, expand_k=1.0,
                     expand_v=2.0, ffn=None, hidden_ratio=2, vocab=100, tie=False,
                     output_gate=True, dtype="f32", norm_eps=1e-6, seed=0):
    """Write OUT_DIR/config.json and OUT_DIR/model.safetensors; returns the
    resolved RetNetConfig."""
    cfg = hf_config(hidden, layers, heads, kv_heads, expand_k, expand_v, ffn, hidden_ratio,
                    vocab, tie, output_gate, dtype, norm_eps)
    config = ref.RetNetConfig.from_hf(cfg, "generated config")
    rng = np.random.default_rng(seed)
    weights = random_weights(config, rng)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    safetensors_np.save(os.path.join(out_dir, "model.safetensors"), weights,
                        dtype=SAFETENSORS_DTYPE[dtype], metadata={"format": "pt"})
    return config


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, help="key/value heads (default: --heads)")
    p.add_argument("--expand-k", type=float, default=1.0)
    p.add_argument("--expand-v", type=float, default=2.0)
    p.add_argument("--ffn", type=int, help="intermediate_size (default: from --hidden-ratio)")
    p.add_argument("--hidden-ratio", type=int, default=2)
    p.add_argument("--vocab", type=int, default=100)
    p.add_argument("--tie", action="store_true", help="tie_word_embeddings (no lm_head.weight)")
    p.add_argument("--no-output-gate", action="store_true", help="use_output_gate false")
    p.add_argument("--dtype", choices=sorted(SAFETENSORS_DTYPE), default="f32")
    p.add_argument("--norm-eps", type=float, default=1e-6)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    try:
        c = write_checkpoint(a.out_dir, a.hidden, a.layers, a.heads, a.kv_heads, a.expand_k,
                             a.expand_v, a.ffn, a.hidden_ratio, a.vocab, a.tie,
                             not a.no_output_gate, a.dtype, a.norm_eps, a.seed)
    except (ref.ModelError, OSError) as e:
        print("make_random_retnet: error: %s" % e, file=sys.stderr)
        return 1
    print("wrote %s: hidden %d, layers %d, heads %d/%d kv, head dims %d/%d, ffn %d, vocab %d, "
          "%s, %s, %s" % (a.out_dir, c.hidden_size, c.num_hidden_layers, c.num_heads,
                          c.num_kv_heads, c.head_k_dim, c.head_v_dim, c.intermediate_size,
                          c.vocab_size, "tied" if c.tie_word_embeddings else "untied",
                          "output gate" if c.use_output_gate else "no output gate", a.dtype))
    return 0


if __name__ == "__main__":
    sys.exit(main())
