"""Texts and synthetic attention results shared by the core.attention tests."""

from __future__ import annotations

import numpy as np

from core.attention import AttentionResult

PRONOUN = "The animal didn't cross the street because it was too tired."


CASES = [  # (model, text, pair, layers, heads)
    ("minilm", PRONOUN, None, 6, 12),
    ("minilm", "The cat sat.", "It slept.", 6, 12),
    ("minilm", "naïve café — 東京 🙂", None, 6, 12),
    ("tiny-gpt", "Once upon a time there was a cat.", None, 4, 4),
    ("tiny-gpt", "Q: What is the capital of France?\nA: Paris", None, 4, 4),
]


# an encoder-decoder's source (seq2seq_attention)
TRANSLATE = "translate English to French: cat dog"


def synthetic(weights: np.ndarray, special: list[bool], *, causal: bool = False) -> AttentionResult:
    T = weights.shape[-1]
    return AttentionResult(
        model="synthetic",
        causal=causal,
        tokens=tuple(f"t{i}" for i in range(T)),
        token_ids=tuple(range(T)),
        offsets=tuple((i, i + 1) for i in range(T)),
        special=np.array(special),
        segment=np.zeros(T, dtype=np.int8),
        layers=tuple(weights),
        chars_left=0,
        context=512,
        text="x" * T,
    )


def row_stochastic(shape: tuple[int, ...], seed: int, *, causal: bool = False) -> np.ndarray:
    w = np.random.default_rng(seed).random(shape).astype(np.float32) + np.float32(0.01)
    if causal:
        w = np.tril(w)  # (..., T, T): nothing on later tokens
    return w / w.sum(-1, keepdims=True)
