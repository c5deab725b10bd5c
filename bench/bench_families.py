"""Benchmark of the model-families panel against the raw library calls it is made of.

    python bench/bench_families.py [--task translation] [--items 12] [--k 4] [--repeats 3]

The panel (:func:`core.families.compare_families`: every item on the three models, each call
timed in turns, tiny-gpt's candidate scores, the masks) against the same work written straight
against transformers in this process:

- encoder: ``tokenizer(texts, padding=True)`` + ``model(**enc)`` + mean pooling (+ the head's
  matrix product for sentiment), per item;
- decoder: ``model.generate(ids, max_new_tokens=6, do_sample=False)`` stopping on a newline,
  per item, and one forward per candidate (its log-probability);
- encoder-decoder: ``model.generate(ids, max_new_tokens=32, do_sample=False)``, per item.

The panel answers item 1 once untimed before timing (a warm-up per model); the raw side does
the same, so the ratio is what the panel's own code adds.

The sentiment head is fitted once before timing (it is built once per server). Goal: the
panel's bookkeeping costs little next to the models, ratio <= 1.2x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from core import corpus, models  # noqa: E402
from core.families import (  # noqa: E402
    LANG,
    MAX_NEW_TOKENS,
    FamiliesConfig,
    compare_families,
    sentiment_head,  # noqa: E402
)
from core.prompting import build_prompt, load_task  # noqa: E402


def raw_calls(config: FamiliesConfig, enc, lm, t5):
    """The panel's model work as bare transformers calls: a function running all items."""
    task = load_task(config.task)
    items = task.items[: config.n_items]
    tr = config.task == "translation"
    n_ctx = models.context_size(lm.model, lm.tokenizer)
    w = b = None
    if not tr:
        w, b, _ = sentiment_head(enc, task)
    enc_texts = [
        [corpus.translate_source(it.input, LANG), *task.choices_for(it)] if tr else [it.input]
        for it in items
    ]
    prompts = []
    for it in items:
        p = build_prompt(task, config.k, 0, item=it, instruction=False, tokenizer=lm.tokenizer)
        text = "".join(s.text for s in p.segments)
        prompts.append(
            lm.tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        )
    cand = [
        [lm.tokenizer(" " + c, add_special_tokens=False)["input_ids"] for c in task.choices_for(it)]
        for it in items
    ]
    src = [
        corpus.translate_source(it.input, LANG) if tr else corpus.sentiment_source(it.input)
        for it in items
    ]
    src_ids = [t5.tokenizer(s, return_tensors="pt")["input_ids"] for s in src]
    newline = lm.tokenizer("\n", add_special_tokens=False)["input_ids"]
    stops = [int(lm.model.generation_config.eos_token_id), *newline]

    def run() -> None:
        with torch.no_grad():
            for i in [0, *range(len(items))]:  # the panel warms each model up on item 1
                e = enc.tokenizer(enc_texts[i], padding=True, return_tensors="pt")
                h = enc.model(**e).last_hidden_state  # (N, T, H)
                m = e["attention_mask"].unsqueeze(-1).float()
                v = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)
                if w is not None:
                    (v @ w + b).argmax(-1)
                lm.model.generate(
                    prompts[i][:, -(n_ctx - MAX_NEW_TOKENS) :],
                    max_new_tokens=MAX_NEW_TOKENS,
                    do_sample=False,
                    eos_token_id=stops,
                    pad_token_id=stops[0],
                )
                for c in cand[i]:
                    lm.model(torch.cat([prompts[i], torch.tensor([c])], dim=1))
                t5.model.generate(src_ids[i], max_new_tokens=32, do_sample=False)

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="translation", choices=["translation", "sentiment"])
    ap.add_argument("--items", type=int, default=12)
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = FamiliesConfig(task=args.task, n_items=args.items, k=args.k)
    enc = models.load_embedder(config.encoder)
    lm, t5 = models.load_causal_lm(config.decoder), models.load_seq2seq(config.seq2seq)
    raw = raw_calls(config, enc, lm, t5)
    panel = lambda: compare_families(config, enc, lm, t5)  # noqa: E731
    raw(), panel()  # warm-up (and the sentiment head, fitted once)
    t_raw, t_panel = [], []
    for _ in range(args.repeats):  # in turns: a shared machine drifts
        for fn, out in ((raw, t_raw), (panel, t_panel)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    ratios = [p / r for r, p in zip(t_raw, t_panel, strict=True)]
    r = compare_families(config, enc, lm, t5)
    print(
        f"{args.task}, {len(r.items)} items, k={args.k}, torch threads {torch.get_num_threads()}, "
        f"{args.repeats} paired runs"
    )
    print(
        f"  raw calls {statistics.median(t_raw) * 1e3:8.1f} ms | panel "
        f"{statistics.median(t_panel) * 1e3:8.1f} ms | ratio {statistics.median(ratios):.3f}x "
        "(median of paired runs; goal <= 1.2x)"
    )
    for run in r.runs:
        print(
            f"  {run.family:16s} {run.model:9s} accuracy {run.accuracy:5.0%} | median "
            f"{run.timings.median:6.1f} ms per item | {run.n_params / 1e6:5.2f} M parameters"
        )


if __name__ == "__main__":
    main()
