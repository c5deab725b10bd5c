"""Benchmark of the Attention heatmap page, against the raw transformers call in the same run.

    python bench/bench_attention.py [--model minilm] [--seq2seq tiny-t5] [--parts all]
                                    [--repeats 7] [--threads 1]

For 128 and 512 tokens (tiny-gpt: 128 and its context, 256):

1. ``core.attention.attention_maps`` (tokenize, forward with ``output_attentions=True``, the
   (layers, heads, T, T) numpy array, special-token mask, display tokens) against the raw call
   ``tokenizer(text, truncation=True, max_length=n)`` + ``model(**inputs, output_attentions=True)``.
   The weights are checked equal. Goal: <= 1.1x raw.
2. What the engine adds once per text (the per-head summary) and on every redraw (the selected
   head's view with its causal mask, and the selected token's focus), for scale.
3. An encoder-decoder (``--seq2seq``, tiny-t5 by default): ``core.attention.seq2seq_attention``
   with a typed target (tokenize source and target, one teacher-forced forward with
   ``output_attentions=True``, the encoder, decoder and cross results) against the raw
   ``model(input_ids=..., decoder_input_ids=..., output_attentions=True)`` with its two
   tokenizer calls; the three kinds of weights are checked equal. Goal: <= 1.1x raw. The
   greedy output written when no target is typed is timed apart (it is generation, not
   attention).
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


SOURCE = "summarize: " + TEXT
TARGET = "Tom the little cat liked the garden and saw a big dog one day. " * 3


def bench_seq2seq(name: str, repeats: int) -> None:
    """Part 3: the teacher-forced encoder-decoder pass against the raw call."""
    lm = attention.load_attention_model(name)
    tok, model = lm.tokenizer, lm.model
    n = min(128, attention.model_context(lm))
    start = model.config.decoder_start_token_id
    print(f"seq2seq model {lm.name}: {lm.n_params / 1e6:.2f}M parameters, source cut at {n}")

    def raw():
        src = tok(SOURCE, truncation=True, max_length=n, return_tensors="pt")["input_ids"]
        tgt = tok(TARGET, add_special_tokens=False, truncation=True, max_length=n - 1)
        dec = torch.tensor([[start, *tgt["input_ids"]]])
        with torch.inference_mode():
            return model(input_ids=src, decoder_input_ids=dec, output_attentions=True)

    def ours():
        return attention.seq2seq_attention(SOURCE, lm, target=TARGET, max_tokens=n)

    got, out = ours(), raw()
    for kind, maps in (
        ("encoder", out.encoder_attentions),
        ("decoder", out.decoder_attentions),
        ("cross", out.cross_attentions),
    ):
        np.testing.assert_array_equal(got.part(kind).weights, torch.stack(maps)[:, 0].numpy())
    t_raw, t_ours, ratio = _paired(raw, ours, repeats)
    S, T = got.encoder.n_tokens, got.decoder.n_tokens
    print(
        f"  {S} source x {T} target tokens: raw {t_raw * 1e3:8.1f} ms | seq2seq_attention "
        f"{t_ours * 1e3:8.1f} ms | ratio {ratio:.3f}x (median of paired runs; goal <= 1.1x; "
        "encoder, decoder and cross weights equal)"
    )
    gen = median_seconds(
        lambda: attention.seq2seq_attention(SOURCE, lm, max_tokens=n), max(3, repeats // 2)
    )
    print(f"        + no target typed: the model's greedy output first, {gen * 1e3:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="minilm")
    ap.add_argument("--seq2seq", default="tiny-t5", help="the encoder-decoder of part 3")
    ap.add_argument("--parts", choices=("all", "self", "seq2seq"), default="all")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.parts != "self":
        bench_seq2seq(args.seq2seq, args.repeats)
    if args.parts == "seq2seq":
        return
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
