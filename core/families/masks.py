"""The attention masks of each family, drawn over real tokens: an encoder's full bidirectional
self-attention, a decoder's causal lower triangle, and an encoder-decoder's three (encoder full,
decoder causal, cross-attention a full T_tgt x T_src rectangle)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

MAX_MASK_TOKENS = 160  # tokens drawn per mask side; a longer prompt is drawn to its end


@dataclass(frozen=True)
class MaskView:
    """One attention mask over real tokens: ``mask[i, j]`` is True where query token ``rows[i]``
    may attend to key token ``cols[j]``.

    Args:
        name: what it is (``encoder self-attention``...).
        kind: ``bidirectional`` (all ones), ``causal`` (lower triangle) or ``cross`` (every
            decoder token reads every source token).
        rows / cols: the query and key tokens, as text.
        mask: (len(rows), len(cols)) booleans.
        n_rows_total / n_cols_total: the tokens before a long side was cut to its last
            :data:`MAX_MASK_TOKENS`.
    """

    name: str
    kind: Literal["bidirectional", "causal", "cross"]
    rows: tuple[str, ...]
    cols: tuple[str, ...]
    mask: Any
    n_rows_total: int
    n_cols_total: int

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.cols))

    @property
    def share_open(self) -> float:
        """The share of (query, key) pairs the mask lets through."""
        return float(np.asarray(self.mask).mean())


def _labels(tokenizer: Any, ids: Sequence[int]) -> tuple[str, ...]:
    """Each token as text, spaces and newlines made visible (:func:`core.sampling.token_label`,
    as on the Sampling page)."""
    from core.sampling import token_label

    return tuple(token_label(tokenizer, int(i)) for i in ids)


def full_mask(n_rows: int, n_cols: int) -> Any:
    """Every query reads every key: an encoder's self-attention, and cross-attention.

    >>> full_mask(2, 3).astype(int).tolist()
    [[1, 1, 1], [1, 1, 1]]
    """
    return np.ones((n_rows, n_cols), dtype=bool)


def causal_mask(n: int) -> Any:
    """Token i reads tokens 0..i: a decoder's self-attention (the lower triangle).

    >>> causal_mask(3).astype(int).tolist()
    [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    """
    return np.tril(np.ones((n, n), dtype=bool))


def _mask_view(
    name: str,
    kind: Literal["bidirectional", "causal", "cross"],
    rows: tuple[str, ...],
    cols: tuple[str, ...],
) -> MaskView:
    mask = causal_mask(len(rows)) if kind == "causal" else full_mask(len(rows), len(cols))
    # a long prompt keeps its end (the question); a causal mask cut that way stays triangular
    r0, c0 = max(0, len(rows) - MAX_MASK_TOKENS), max(0, len(cols) - MAX_MASK_TOKENS)
    return MaskView(name, kind, rows[r0:], cols[c0:], mask[r0:, c0:], len(rows), len(cols))


def encoder_masks(tokenizer: Any, text: str) -> tuple[MaskView, ...]:
    """The encoder's one mask: full bidirectional self-attention over ``text``'s tokens."""
    labels = _labels(tokenizer, tokenizer(text)["input_ids"])
    return (_mask_view("encoder self-attention", "bidirectional", labels, labels),)


def decoder_masks(tokenizer: Any, ids: Sequence[int]) -> tuple[MaskView, ...]:
    """The decoder's one mask: causal self-attention over the prompt's tokens ``ids``."""
    labels = _labels(tokenizer, ids)
    return (_mask_view("decoder self-attention", "causal", labels, labels),)


def seq2seq_masks(tokenizer: Any, source: str, output: str) -> tuple[MaskView, ...]:
    """An encoder-decoder's three masks: the encoder's full self-attention over the source,
    the decoder's causal self-attention over what it reads (its start token, then each token
    it wrote: the answer and ``</s>`` are the last row's output), and cross-attention from
    every decoder token to every source token (T_tgt x T_src)."""
    src = _labels(tokenizer, tokenizer(source)["input_ids"])
    written = tokenizer(output, add_special_tokens=False)["input_ids"]
    # the decoder reads its start token (T5's <pad>, shown as <start>), then each token it
    # wrote but the last (</s>, which ended the answer): one row per step
    tgt = ("<start>", *_labels(tokenizer, written))
    return (
        _mask_view("encoder self-attention", "bidirectional", src, src),
        _mask_view("decoder self-attention", "causal", tgt, tgt),
        _mask_view("cross-attention (decoder reads source)", "cross", tgt, src),
    )
