"""Every head at once: per-head metrics (:func:`head_summary`), block-averaged thumbnails for
long inputs (:func:`pool`, :func:`thumbnails`) and the token selected first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.attention.result import AttentionResult
from core.attention.views import head_block
from core.attention.words import word_tokens

# --- summaries -----------------------------------------------------------------------------------
HEAD_METRICS = {
    "entropy": "Entropy (bits): 0 = looks at one token; high = spread out",
    "to_special": "Share of attention on special tokens ([CLS], [SEP], <|endoftext|>)",
    "to_previous": "Share of attention on the previous token",
    "to_self": "Share of attention on itself",
    "to_first": "Share of attention on the first token",
}
# attention to itself or to the previous token needs rows and columns of one text
SELF_ONLY_METRICS = ("to_previous", "to_self")


def metrics_for(r: AttentionResult) -> tuple[str, ...]:
    """The :data:`HEAD_METRICS` that apply to ``r``: all of them, except
    :data:`SELF_ONLY_METRICS` for cross-attention."""
    return tuple(m for m in HEAD_METRICS if not (r.cross and m in SELF_ONLY_METRICS))


@dataclass(frozen=True, eq=False)
class HeadSummary:
    """One number per (layer, head) for each metric of :data:`HEAD_METRICS`, averaged over rows.

    Each array has shape (layers, heads). ``pattern`` names the head's dominant behaviour.
    ``metrics`` lists the metrics that apply (:func:`metrics_for`); the others are NaN.
    """

    entropy: np.ndarray
    to_special: np.ndarray
    to_previous: np.ndarray
    to_self: np.ndarray
    to_first: np.ndarray
    pattern: np.ndarray = field(repr=False)
    metrics: tuple[str, ...] = tuple(HEAD_METRICS)

    def metric(self, name: str) -> np.ndarray:
        if name not in HEAD_METRICS:
            raise ValueError(f"unknown metric {name!r}; one of {list(HEAD_METRICS)}")
        if name not in self.metrics:
            raise ValueError(f"{name} does not apply to cross-attention; one of {self.metrics}")
        return getattr(self, name)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per head, for a table."""
        L, H = self.entropy.shape
        return [
            {
                "layer": layer,
                "head": head,
                "pattern": str(self.pattern[layer, head]),
                **{k: float(getattr(self, k)[layer, head]) for k in self.metrics},
            }
            for layer in range(L)
            for head in range(H)
        ]


def head_summary(r: AttentionResult) -> HeadSummary:
    """Entropy and where each head's attention goes, for every layer and head at once.

    Rows of special tokens are left out of the averages (except when there are only specials).
    For cross-attention "special" and "first" are the source's tokens, and attention to itself
    or to the previous token does not apply (NaN; ``metrics`` leaves them out).

    >>> # head_summary(attention_maps("The cat sat.")).to_self.shape == (6, 12)
    """
    T = r.n_tokens
    rows = np.flatnonzero(~r.special) if (~r.special).any() else np.arange(T)
    prev_rows = rows[rows > 0]
    nan = np.full(r.n_heads, np.nan)
    stats = []
    for w in r.layers:  # (H, T, S) at a time: float32 temporaries of one layer only
        plogp = w * np.log2(np.maximum(w, np.float32(1e-30)))  # 0 * log(tiny) = 0
        if r.cross:
            to_previous, to_self = nan, nan
        else:
            to_previous = (
                w[:, prev_rows, prev_rows - 1].mean(-1, dtype=np.float64)
                if len(prev_rows)
                else np.zeros(r.n_heads)
            )
            to_self = w[:, rows, rows].mean(-1, dtype=np.float64)
        stats.append(
            (
                -plogp.sum(-1, dtype=np.float64)[:, rows].mean(-1),  # entropy (H,)
                w[..., r.col_special].sum(-1, dtype=np.float64)[:, rows].mean(-1),  # to special
                to_previous,
                to_self,
                w[:, rows, 0].mean(-1, dtype=np.float64),  # to first
            )
        )
    entropy, to_special, to_previous, to_self, to_first = (
        np.stack([s[k] for s in stats]) for k in range(5)
    )  # each (L, H)
    pattern = np.full(entropy.shape, "mixed", dtype=object)
    share = {
        "previous token": to_previous,
        "itself": to_self,
        "special tokens": to_special,
        "first token": to_first,
    }
    for label, arr in share.items():
        pattern[(arr >= 0.5) & (pattern == "mixed")] = label
    # how many tokens a row could spread over: its own text's, or the source's in cross
    n_cols = int((~r.col_special).sum()) if r.cross else len(rows)
    spread = entropy >= 0.8 * np.log2(max(n_cols, 2))
    pattern[spread & (pattern == "mixed")] = "broad (averaging)"
    return HeadSummary(entropy, to_special, to_previous, to_self, to_first, pattern, metrics_for(r))


# --- long inputs ----------------------------------------------------------------------------------
def pool(matrix: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Block-average a (rows, cols) matrix down to at most (size, size) cells.

    Args:
        matrix: weights (rows, cols).
        size: largest side kept.

    Returns:
        (pooled matrix, start index of each block along rows). A matrix already small enough
        comes back unchanged.

    >>> pool(np.ones((4, 4)), 2)[0].tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    if size < 1:
        raise ValueError("size must be positive")
    n_r, n_c = matrix.shape
    starts_r = np.unique(np.linspace(0, n_r, min(n_r, size), endpoint=False).astype(int))
    starts_c = np.unique(np.linspace(0, n_c, min(n_c, size), endpoint=False).astype(int))
    if len(starts_r) == n_r and len(starts_c) == n_c:
        return matrix, starts_r
    sums = np.add.reduceat(np.add.reduceat(matrix, starts_r, axis=0), starts_c, axis=1)
    counts_r = np.diff(np.append(starts_r, n_r))[:, None]
    counts_c = np.diff(np.append(starts_c, n_c))[None, :]
    return sums / (counts_r * counts_c), starts_r


@dataclass(frozen=True, eq=False)
class Thumbnails:
    """Heads block-averaged to small same-size maps, for the layer and model views.

    Attributes:
        heads: the (layer, head) of each map.
        pooled: each head's block-averaged weights (n, m); blocks of the causal mask are NaN.
        scaled: ``pooled`` divided by the head's own largest value, so faint heads stay visible.
        tokens: the token indices drawn along the rows (special tokens left out when hidden).
        starts / ends: first and last position (into ``tokens``) of each block of rows.
        col_tokens, col_starts, col_ends: the same along the columns (``None``: as the rows;
            they differ for cross-attention, whose columns are the source's tokens).
    """

    heads: tuple[tuple[int, int], ...]
    pooled: tuple[np.ndarray, ...]
    scaled: tuple[np.ndarray, ...]
    tokens: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    col_tokens: np.ndarray | None = None
    col_starts: np.ndarray | None = None
    col_ends: np.ndarray | None = None

    @property
    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(tokens, starts, ends) along the columns."""
        if self.col_tokens is None or self.col_starts is None or self.col_ends is None:
            return self.tokens, self.starts, self.ends
        return self.col_tokens, self.col_starts, self.col_ends

    @property
    def pooled_blocks(self) -> bool:
        """True when a block holds more than one token (the input was longer than ``size``)."""
        tokens, starts, _ = self.columns
        return len(self.starts) < len(self.tokens) or len(starts) < len(tokens)


def thumbnails(
    r: AttentionResult, heads: list[tuple[int, int]], size: int, *, hide_special: bool = False
) -> Thumbnails:
    """Each head with special tokens hidden (rows renormalized) and block-averaged to at most
    ``size`` x ``size``; in a decoder, a block entirely above the diagonal is masked (NaN).
    Cross-attention maps stay rectangular (decoder rows x source columns).

    >>> # thumbnails(r, [(0, 0), (0, 1)], 48).scaled[0].shape == (16, 16) for 16 tokens
    """
    if not heads:
        raise ValueError("no heads to draw")
    _, idx, cols = head_block(r, 0, 0, hide_special)
    n = len(idx)
    starts = pool(np.zeros((n, n)), size)[1]
    ends = np.append(starts[1:], n) - 1
    col_starts, col_ends = starts, ends
    if r.cross:
        col_starts = pool(np.zeros((len(cols), len(cols))), size)[1]
        col_ends = np.append(col_starts[1:], len(cols)) - 1
    masked = None
    if r.causal:  # a block is masked only when every cell in it is above the diagonal
        masked = pool(np.triu(np.ones((n, n)), 1), size)[0] >= 1.0 - 1e-9
    pooled, scaled = [], []
    for layer, head in heads:
        m = np.asarray(pool(head_block(r, layer, head, hide_special)[0], size)[0], np.float64)
        top = max(float(np.nanmax(m)), 1e-12)
        if masked is not None:
            m = np.where(masked, np.nan, m)
        pooled.append(m)
        scaled.append(m / top)
    return Thumbnails(
        tuple(heads), tuple(pooled), tuple(scaled), idx, starts, ends, cols, col_starts, col_ends
    )


def default_token(r: AttentionResult) -> int:
    """The token to select first: ``it`` when the text has it (the classic question), else the
    first ordinary token (the last one for a decoder: it is the token that sees the whole
    text), else 0."""
    hit = word_tokens(r, "it")
    if hit:
        return hit[0]
    plain = np.flatnonzero(~r.special)
    if not len(plain):
        return 0
    return int(plain[-1] if r.causal else plain[0])
