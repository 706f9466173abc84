#!/usr/bin/env python3
"""Time flash-linear-attention's RetNetForCausalLM, for retc's side-by-side.

Runs on the GPU machine, beside `retc-bench-gpu-model` in the same device
run, with torch and triton there and fla imported from a source checkout
(README.md in this folder):

    fla_bench.py --fla PATH [--dtype bf16] [--batches 1,64] [--steps 20]
                 [--prefill 4096] [--context 64]

The model is fla's default RetNetConfig, which is the RetNet-1.3B shape of
retc's benchmark (hidden 2048, 24 layers, 8 heads, expand_k 1, expand_v 2,
FFN 2816, vocabulary 32000, the output gate, untied), with fla's random
initialisation in --dtype. For each batch B: a prompt of --context tokens
with use_cache=True, then --steps decode steps, each feeding the argmax
of the last logits through past_key_values (torch.cuda.synchronize after
each; the median step is reported); then prefill of --prefill tokens (B = 1,
use_cache=False, the median of 3 after one warm-up). Prints a markdown
table; floors are retc-bench-gpu-model's, measured in the same run.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fla_check  # noqa: E402  (import_fla: fla from a checkout)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fla", required=True)
    p.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    p.add_argument("--batches", default="1,64")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--context", type=int, default=64)
    p.add_argument("--prefill", type=int, default=4096)
    a = p.parse_args(argv)
    try:
        import torch
    except ImportError as e:
        print("fla_bench: torch is missing: %s" % e)
        return 2
    ConfigCls, ModelCls, what = fla_check.import_fla(a.fla)
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[a.dtype]
    torch.manual_seed(0)
    config = ConfigCls()
    model = ModelCls(config).to(device="cuda", dtype=dtype).eval()
    params = sum(t.numel() for t in model.parameters())
    print("fla %s (%s), %.1f M parameters, %s, on %s" % (
        what, open(os.path.join(a.fla, "COMMIT")).read().strip()[:12]
        if os.path.exists(os.path.join(a.fla, "COMMIT")) else "?",
        params / 1e6, a.dtype, torch.cuda.get_device_name()))
    rows = []

    def report(row):
        # Each row as soon as it is measured: a run cut short by a timeout
        # (fla's Triton kernels compile on first use, for minutes) still
        # says what it measured.
        rows.append(row)
        print("measured: %s B=%d T=%d %.3f ms" % row[:4], flush=True)

    with torch.no_grad():
        t0 = time.perf_counter()
        warm = torch.randint(0, config.vocab_size, (1, 80), device="cuda")
        out = model(input_ids=warm, use_cache=True)
        model(input_ids=out.logits[:, -1:].argmax(-1), past_key_values=out.past_key_values,
              use_cache=True)
        torch.cuda.synchronize()
        print("warm-up (Triton compiles fla's kernels): %.1f s" % (time.perf_counter() - t0),
              flush=True)
        for b in [int(x) for x in a.batches.split(",")]:
            ids = torch.randint(0, config.vocab_size, (b, a.context), device="cuda")
            out = model(input_ids=ids, use_cache=True)
            pkv = out.past_key_values
            tok = out.logits[:, -1].argmax(-1, keepdim=True)
            times = []
            for i in range(a.steps + 3):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                out = model(input_ids=tok, past_key_values=pkv, use_cache=True)
                pkv = out.past_key_values
                tok = out.logits[:, -1].argmax(-1, keepdim=True)
                torch.cuda.synchronize()
                if i >= 3:
                    times.append(time.perf_counter() - t0)
            step = statistics.median(times)
            report(("decode", b, 1, step * 1e3, b / step))
        ids = torch.randint(0, config.vocab_size, (1, a.prefill), device="cuda")
        times = []
        for i in range(4):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            model(input_ids=ids, use_cache=False)
            torch.cuda.synchronize()
            if i:
                times.append(time.perf_counter() - t0)
        t = statistics.median(times)
        report(("prefill", 1, a.prefill, t * 1e3, a.prefill / t))
    print("\n| fla phase | B | tokens | time (ms) | tokens/s |\n|---|---:|---:|---:|---:|")
    for phase, b, t, ms, rate in rows:
        print("| %s | %d | %d | %.3f | %.1f |" % (phase, b, t, ms, rate))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
