"""Benchmark of the pruning engine, against the raw torch calls measured in the same run.

    python bench/bench_prune.py [--runs 5] [--latency-runs 15] [--threads 1]

1. One sweep point: ``core.prune.sweep`` with one sparsity (the original and the pruned copy
   measured: logits on the shared windows, the sentiment items, the timed forwards, the sizes)
   against the raw work it needs: ``prune.global_unstructured`` on a copy, ``prune.remove``, and
   the same forward passes as plain ``model(input_ids)`` calls, for both models. Prints
   ours/raw (goal: near 1.0x; the difference is saving two safetensors files and bookkeeping).
2. Latency of one forward pass of a 64-token window, interleaved: the original, dense with 50%
   zeros (unstructured, masks folded in), half the heads removed, half the MLP neurons removed.
   Dense zeros cost as much as any weight; only the structured models do less work.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
import torch.nn.utils.prune as tprune  # noqa: E402

from core import models  # noqa: E402
from core.evaluation import compare_latency, time_interleaved, token_windows  # noqa: E402
from core.prune import (  # noqa: E402
    PruneConfig,
    SweepConfig,
    make_permanent,
    prune_model,
    sentiment_cases,
    sweep,
    target_modules,
)
from core.quantization.measure import causal_eval_data, saved_bytes  # noqa: E402


def raw_point(model, tok, windows, cases, latency_runs: int) -> None:
    """The forward passes one sweep point needs, as plain torch calls, for the original and a
    50% globally pruned copy."""
    pruned = copy.deepcopy(model)
    mods = [(m, "weight") for _, m in target_modules(pruned)]
    total = sum(m.weight.numel() for m, _ in mods)
    tprune.global_unstructured(mods, pruning_method=tprune.L1Unstructured, amount=total // 2)
    for m, _ in mods:
        tprune.remove(m, "weight")
    with torch.no_grad():
        for m in (model, pruned):
            m(input_ids=windows[:, :-1])  # (N, T, V)
            for c in cases:
                for choice in c.choices:
                    ids = tok(c.prompt)["input_ids"] + tok(" " + choice)["input_ids"]
                    m(torch.tensor([ids]))
            for _ in range(latency_runs + 1):
                m(input_ids=windows[:1, :-1])
        for _ in range(latency_runs + 1):  # the pruned copy is timed in turns with the original
            model(input_ids=windows[:1, :-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="repeats of each sweep-point timing")
    ap.add_argument("--latency-runs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    loaded = models.load_causal_lm("tiny-gpt")
    model, tok = loaded.model, loaded.tokenizer
    data = causal_eval_data()
    sw = SweepConfig(layer_losses=False)
    windows = token_windows(tok, data.texts, sw.seq_len, max_windows=sw.n_windows)
    cases = sentiment_cases(sw.n_task_items, sw.shots)

    def ours() -> None:
        sweep(loaded, PruneConfig(method="global"), [0.5], data, sweep_config=sw)

    def raw() -> None:
        raw_point(model, tok, windows, cases, sw.latency_runs)

    ours(), raw()  # warm up
    t_ours, t_raw = [], []
    for _ in range(args.runs):  # interleaved: a burst of load hits both alike
        t = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        raw()
        t_raw.append(time.perf_counter() - t)
    mo, mr = sorted(t_ours)[len(t_ours) // 2], sorted(t_raw)[len(t_raw) // 2]
    print(f"one sweep point on tiny-gpt ({len(windows)} windows x {sw.seq_len} tokens, ", end="")
    print(f"{len(cases)} sentiment items, {sw.latency_runs} timed forwards), median of {args.runs}")
    print(f"  core.prune.sweep   {mo * 1000:8.1f} ms")
    print(f"  raw torch          {mr * 1000:8.1f} ms")
    print(f"  ours / raw         {mo / mr:8.2f}x")

    candidates = {
        "original": model,
        "dense, 50% zeros": make_permanent(prune_model(model, PruneConfig(sparsity=0.5)).model),
        "50% heads removed": prune_model(model, PruneConfig(method="heads")).model,
        "50% neurons removed": prune_model(model, PruneConfig(method="neurons")).model,
    }
    x = windows[:1, :-1]  # (1, T): one sequence, as a chat request
    with torch.no_grad():
        fns = {name: (lambda m=m: m(input_ids=x)) for name, m in candidates.items()}
        for fn in fns.values():
            fn()
        times = time_interleaved(fns, args.latency_runs)
    ref = times["original"].samples_ms
    print(f"\nforward latency of one {x.shape[1]}-token window, {args.latency_runs} runs each")
    print(f"  {'model':22s} {'median ms':>10s} {'vs original':>12s} {'verdict':>12s} {'disk':>12s}")
    for name, m in candidates.items():
        t = times[name]
        c = compare_latency(t.samples_ms, ref)
        disk = saved_bytes(m, "fp32")[0]
        print(f"  {name:22s} {t.median:10.2f} {c.ratio:11.2f}x {c.verdict:>12s} {disk:12,d}")


if __name__ == "__main__":
    main()
