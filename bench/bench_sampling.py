"""Benchmark of the Sampling sliders page, against the raw library call measured in the same run.

    python bench/bench_sampling.py [--model tiny-gpt] [--repeats 30] [--new-tokens 100]

1. Slider re-filter (``filter_distribution`` on cached logits, every filter on) and the page's
   chart data, against one forward pass of the model. Goal: re-filter < 0.2x a forward pass.
2. ``core.generation.generate`` tokens/s against ``model.generate`` with the same settings and
   seed (the token ids are checked identical). Goal: >= 0.9x raw.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.timing import median_seconds  # noqa: E402
from core import generation as gen  # noqa: E402
from core import models  # noqa: E402
from core import sampling as smp  # noqa: E402

PROMPT = "Once upon a time, there was a little cat named"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="tiny-gpt")
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--new-tokens", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lm = models.load_causal_lm(args.model)
    tok, model = lm.tokenizer, lm.model
    ctx = models.context_size(model, tok)
    print(
        f"model {lm.name}: {lm.n_params / 1e6:.2f}M parameters, vocab {len(tok)}, "
        f"context {ctx}, torch threads {torch.get_num_threads()}"
    )

    print("\n1. slider re-filter vs one forward pass (median of", args.repeats, "runs)")
    cfg = smp.SamplingConfig(
        temperature=0.8, top_k=50, top_p=0.9, min_p=0.05, repetition_penalty=1.2, seed=1
    )
    long_text = "Tom liked to play in the park with his red ball. " * 40
    for label, text in (("short prompt", PROMPT), ("full context", long_text)):
        ids = gen.encode_prompt(tok, text, max_tokens=ctx).ids
        fwd = median_seconds(lambda ids=ids: gen.next_token_logits(model, ids), args.repeats)
        logits = gen.next_token_logits(model, ids)
        filt = median_seconds(
            lambda ids=ids, logits=logits: smp.filter_distribution(logits, cfg, context_ids=ids),
            args.repeats,
        )
        print(
            f"  {label:13s} ({len(ids):3d} tokens): forward {fwd * 1e3:7.2f} ms | "
            f"re-filter {filt * 1e3:6.2f} ms | ratio {filt / fwd:.3f}x (goal < 0.2x)"
        )
    result = smp.filter_distribution(logits, cfg, context_ids=ids)

    def chart_data() -> None:  # what the page's chart reads: the top 20 ids and their labels
        [smp.token_label(tok, int(i)) for i in result.top(20, by="raw")]

    chart = median_seconds(chart_data, max(5, args.repeats // 3))
    print(
        f"  + the chart's data (top 20 tokens and labels): {chart * 1e3:.2f} ms; "
        f"re-filter + chart data = {(filt + chart) * 1e3:.1f} ms (goal: redraw < 100 ms)"
    )

    print(f"\n2. generate {args.new_tokens} tokens: core.generation.generate vs model.generate")
    prompt = list(tok.encode("Once upon a time,"))
    x = torch.tensor([prompt])
    outs: dict = {}
    for cfg in (
        smp.SamplingConfig(temperature=0),
        smp.SamplingConfig(temperature=1.0, top_k=50, top_p=0.95, seed=3),
    ):
        reps = max(3, args.repeats // 6)

        def ours(cfg=cfg):
            outs["r"] = gen.generate(
                model, prompt, cfg, max_new_tokens=args.new_tokens, eos_token_id=tok.eos_token_id
            )

        def raw(cfg=cfg):
            torch.manual_seed(cfg.seed)
            with torch.inference_mode():
                outs["hf"] = model.generate(
                    x,
                    attention_mask=torch.ones_like(x),
                    max_new_tokens=args.new_tokens,
                    eos_token_id=tok.eos_token_id,
                    pad_token_id=tok.eos_token_id,
                    **cfg.generate_kwargs(),
                )

        t_raw, t_ours = median_seconds(raw, reps), median_seconds(ours, reps)
        n = len(outs["r"].steps)  # both stop at the same end-of-text token
        same = list(outs["r"].token_ids) == outs["hf"][0, len(prompt) :].tolist()
        mode = "greedy" if cfg.greedy else "sampled"
        print(
            f"  {mode:8s}: model.generate {n / t_raw:7.0f} tok/s | ours {n / t_ours:7.0f} tok/s"
            f" | ratio {t_raw / t_ours:.2f}x (goal >= 0.9x) | same ids: {same}"
        )


if __name__ == "__main__":
    main()
