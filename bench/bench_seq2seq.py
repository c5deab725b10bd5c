"""Benchmark of encoder-decoder generation, against the raw library call measured in the same run.

    python bench/bench_seq2seq.py [--model tiny-t5] [--repeats 12] [--batch 16]

1. ``core.generation.generate`` on tiny-t5 (one encoder pass, the decoder with its KV cache)
   against ``model.generate`` with the same settings and seed, greedy and sampled; the token
   ids are checked identical. Goal: ours <= 1.1x raw's time.
2. ``core.generation.generate_batch`` over a batch of held-out sources (what the card's scores
   and the families panel run) against one batched ``model.generate``. Goal: <= 1.1x.
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
from core.corpus import heldout_seq2seq  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="tiny-t5")
    ap.add_argument("--repeats", type=int, default=12)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lm = models.load_seq2seq(args.model)
    tok, model = lm.tokenizer, lm.model
    print(
        f"model {lm.name}: {lm.n_params / 1e6:.2f}M parameters, vocab {len(tok)}, "
        f"torch threads {torch.get_num_threads()}"
    )
    items = heldout_seq2seq()
    source = items["summarization"][0]["source"]  # a long source, a sentence-long answer
    prompt = tok(source)["input_ids"]
    x = torch.tensor([prompt])
    n_new = 32
    print(f"\n1. one source ({len(prompt)} tokens), {n_new} new tokens at most")
    outs: dict = {}
    for cfg in (
        smp.SamplingConfig(temperature=0),
        smp.SamplingConfig(temperature=1.0, top_k=50, top_p=0.95, seed=3),
    ):

        def ours(cfg=cfg):
            outs["r"] = gen.generate(
                model, prompt, cfg, max_new_tokens=n_new, eos_token_id=tok.eos_token_id
            )

        def raw(cfg=cfg):
            torch.manual_seed(cfg.seed)
            with torch.inference_mode():
                outs["hf"] = model.generate(
                    x,
                    attention_mask=torch.ones_like(x),
                    max_new_tokens=n_new,
                    **cfg.generate_kwargs(),
                )

        t_raw, t_ours = median_seconds(raw, args.repeats), median_seconds(ours, args.repeats)
        same = list(outs["r"].token_ids) == outs["hf"][0, 1:].tolist()
        mode = "greedy" if cfg.greedy else "sampled"
        print(
            f"  {mode:8s}: model.generate {t_raw * 1e3:7.1f} ms | ours {t_ours * 1e3:7.1f} ms | "
            f"ratio {t_ours / t_raw:.2f}x (goal <= 1.1x) | same ids: {same}"
        )

    sources = [it["source"] for task in ("translation", "context_qa") for it in items[task]]
    rows = [tok(s)["input_ids"] for s in sources[: args.batch]]
    T = max(map(len, rows))
    ids = torch.tensor([[0] * (T - len(r)) + r for r in rows])
    mask = (ids != 0).long()
    print(f"\n2. a batch of {len(rows)} held-out sources (translation and context questions)")

    def ours_batch():
        outs["b"] = gen.generate_batch(
            model, rows, max_new_tokens=n_new, pad_token_id=0, stop_token_ids=(tok.eos_token_id,)
        )

    def raw_batch():
        with torch.no_grad():
            outs["hb"] = model.generate(
                ids, attention_mask=mask, max_new_tokens=n_new, do_sample=False
            )

    t_raw, t_ours = (
        median_seconds(raw_batch, args.repeats),
        median_seconds(ours_batch, args.repeats),
    )
    same = all(
        list(mine) == row[1 : 1 + len(mine)]
        for mine, row in zip(outs["b"], outs["hb"].tolist(), strict=True)
    )
    print(
        f"  batched : model.generate {t_raw * 1e3:7.1f} ms | ours {t_ours * 1e3:7.1f} ms | "
        f"ratio {t_ours / t_raw:.2f}x (goal <= 1.1x) | same ids: {same}"
    )


if __name__ == "__main__":
    main()
