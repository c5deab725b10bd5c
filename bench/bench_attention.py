"""Benchmark of the Attention heatmap page, against the raw transformers call in the same run.

    python bench/bench_attention.py [--model minilm] [--repeats 7] [--threads 1]

For 128 and 512 tokens (tiny-gpt: 128 and its context, 256):

1. ``core.attention.attention_maps`` (tokenize, forward with ``output_attentions=True``, the
   (layers, heads, T, T) numpy array, special-token mask, display tokens) against the raw call
   ``tokenizer(text, truncation=True, max_length=n)`` + ``model(**inputs, output_attentions=True)``.
   The weights are checked equal. Goal: <= 1.1x raw.
2. What the engine adds once per text (the per-head summary) and on every redraw (the selected
   head's view with its causal mask, and the selected token's focus), for scale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.timing import median_seconds  # noqa: E402
from core import attention  # noqa: E402

TEXT = (
    "Attention lets every token look at the other tokens of the text and mix in what it finds "
    "useful. Once upon a time there was a little cat named Tom who liked the garden. "
) * 60


def _paired(raw, ours, repeats: int) -> tuple[float, float, float]:
    """Alternate the two calls (a shared machine drifts) and return the median of each and the
    median of the per-pair ratios."""
    raw(), ours()  # warm-up
    t_raw, t_ours = [], []
    for _ in range(repeats):
        for fn, out in ((raw, t_raw), (ours, t_ours)):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    ratios = [o / r for r, o in zip(t_raw, t_ours, strict=True)]
    return statistics.median(t_raw), statistics.median(t_ours), statistics.median(ratios)


def _redraw(r: attention.AttentionResult) -> None:
    """The engine's part of a redraw of the one-head view: the filtered head with the causal
    mask for the heatmap, and the selected token's ranked row and column (the figures are the
    page's, timed by bench_pages)."""
    v = attention.head_view(r, attention.ViewConfig(0, 0))
    assert v.drawn.shape == (r.n_tokens, r.n_tokens)
    attention.token_focus(r, v, attention.default_token(r))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="minilm")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    lm = attention.load_attention_model(args.model)
    tok, model = lm.tokenizer, lm.model
    ctx = attention.model_context(lm)
    cfg = model.config
    print(
        f"model {lm.name}: {lm.n_params / 1e6:.2f}M parameters, context {ctx}, "
        f"torch threads {torch.get_num_threads()}, {args.repeats} paired runs"
    )

    def raw(n: int):
        enc = tok(TEXT, truncation=True, max_length=n, return_tensors="pt")
        with torch.inference_mode():
            return model(**enc, output_attentions=True).attentions

    for n in (128, min(512, ctx)):
        ours = attention.attention_maps(TEXT, lm, max_tokens=n)
        expected = torch.stack(raw(n))[:, 0].numpy()
        assert ours.weights.shape == expected.shape, (ours.weights.shape, expected.shape)
        np.testing.assert_allclose(ours.weights, expected, rtol=0, atol=1e-6)
        t_raw, t_ours, ratio = _paired(
            lambda n=n: raw(n),
            lambda n=n: attention.attention_maps(TEXT, lm, max_tokens=n),
            args.repeats,
        )
        print(
            f"  {n:3d} tokens ({cfg.num_hidden_layers} x {cfg.num_attention_heads} heads): "
            f"raw {t_raw * 1e3:8.1f} ms | attention_maps {t_ours * 1e3:8.1f} ms | "
            f"ratio {ratio:.3f}x (median of paired runs; goal <= 1.1x; weights equal)"
        )
        summ = median_seconds(lambda r=ours: attention.head_summary(r), max(3, args.repeats // 2))
        line = f"        + head summary (once per text) {summ * 1e3:.1f} ms"
        view = median_seconds(lambda r=ours: _redraw(r), max(3, args.repeats // 2))
        line += f" | one-head view + mask + token focus (every redraw) {view * 1e3:.2f} ms"
        print(line)


if __name__ == "__main__":
    main()
