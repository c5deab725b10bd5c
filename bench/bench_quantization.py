"""Benchmark of the Quantization page, against the raw library calls measured in the same run.

    python bench/bench_quantization.py [--model tiny-gpt] [--runs 15] [--threads 1]

For every scheme: the forward latency ``core.quantization.compare`` reports (median of its timed
runs) next to the raw library call measured here (``Module.to(dtype)``, ``quantize_dynamic``,
``quanto.quantize`` + ``freeze`` on a fresh model, then a plain timed loop on the same input).
Prints ours/raw (goal: about 1.0x, the harness adds nothing) and each scheme's latency relative
to fp32 in both measurements.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.timing import median_seconds  # noqa: E402
from core import models  # noqa: E402
from core import quantization as q  # noqa: E402
from core.evaluation import token_windows  # noqa: E402


def raw_quantize(model: torch.nn.Module, scheme: str) -> torch.nn.Module:
    """The library call alone, on a private copy whose projections are nn.Linear."""
    m = q.conv1d_to_linear(copy.deepcopy(model).float().eval())
    if scheme in ("fp32", "fp16", "bf16"):
        return m.to({"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[scheme])
    if scheme == "int8-dynamic":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names = {n for n, mod in m.named_modules() if isinstance(mod, torch.nn.Linear)}
            names.discard("lm_head")
            return torch.ao.quantization.quantize_dynamic(m, names, dtype=torch.qint8)
    from optimum import quanto

    qtype = {
        "int8": quanto.qint8,
        "fp8": quanto.qfloat8_e4m3fn,
        "int4": quanto.qint4,
        "int2": quanto.qint2,
    }[scheme]
    quanto.quantize(m, weights=qtype, exclude="lm_head")
    quanto.freeze(m)
    return m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="tiny-gpt", choices=["tiny-gpt", "minilm"])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    loaded = models.load_model(args.model)
    kind = loaded.spec.kind
    cfg = q.QuantConfig(
        model=args.model, n_eval=16, seq_len=64, latency_runs=args.runs, max_new_tokens=1
    )
    data = q.eval_data_for(kind, cfg)
    print(
        f"model {loaded.name}: {loaded.n_params / 1e6:.2f}M parameters, torch {torch.__version__}, "
        f"threads {torch.get_num_threads()}, median of {args.runs} runs"
    )

    t0 = time.perf_counter()
    ours = {r.scheme: r for r in q.compare(loaded, q.DEFAULT_SCHEMES, data, config=cfg)}
    print(
        f"compare() over {len(ours)} schemes (quality included): {time.perf_counter() - t0:.1f} s"
    )

    if kind == "causal-lm":
        windows = token_windows(
            loaded.tokenizer, data.texts, cfg.seq_len, max_windows=cfg.n_eval // 4
        )
        x = windows[:1, :-1]  # (1, T): the input compare() times
        inputs = {"input_ids": x}
    else:
        inputs = dict(
            loaded.tokenizer(
                list(data.texts[:1]),
                padding=True,
                truncation=True,
                max_length=cfg.seq_len,
                return_tensors="pt",
            )
        )
    raw: dict[str, float] = {}
    for scheme, r in ours.items():
        if not r.supported:
            continue
        m = raw_quantize(loaded.model, scheme)
        with torch.no_grad():
            raw[scheme] = 1000 * median_seconds(lambda m=m: m(**inputs), args.runs)

    shape = "x".join(str(d) for d in next(iter(inputs.values())).shape)
    print(f"\nforward latency on a ({shape}) batch, ms")
    head = "scheme              ours       raw  ours/raw  vs fp32 ours  vs fp32 raw"
    print(head)
    print("-" * len(head))
    for scheme, r in ours.items():
        if not r.supported:
            print(f"{scheme:14s} unsupported here: {r.reason}")
            continue
        print(
            f"{scheme:14s} {r.latency_ms:9.2f} {raw[scheme]:9.2f} "
            f"{r.latency_ms / raw[scheme]:8.2f}x {r.latency_ms / ours['fp32'].latency_ms:12.2f}x "
            f"{raw[scheme] / raw['fp32']:11.2f}x"
        )
    print("\nsize and quality (from compare())")
    for scheme, r in ours.items():
        if r.supported:
            if kind == "causal-lm":
                quality = f"ppl {r.perplexity:.3f}  KL {r.kl_from_fp32:.5f}"
                quality += f"  top-1 {r.top1_agreement:.3f}"
            else:
                quality = f"cosine {r.cosine_to_fp32:.5f}  accuracy {r.accuracy:.3f}"
            smaller = ours["fp32"].disk_bytes / r.disk_bytes
            print(
                f"{scheme:14s} disk {r.disk_bytes / 1e6:7.2f} MB ({smaller:4.2f}x smaller)  "
                f"{r.bits_per_weight:5.2f} bits/weight  {quality}"
            )


if __name__ == "__main__":
    main()
