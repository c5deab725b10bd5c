"""One head ready to draw (:func:`head_view`: special tokens hidden and rows renormalized, the
pair filter, the threshold) and one token's focus in it (:func:`token_focus`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from core.attention.result import PAIR_FILTERS, AttentionResult, PairFilter
from core.knobs import check, knob


# --- one head, ready to draw ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HeadView:
    """One head's matrix after the page's filters.

    Attributes:
        matrix: (rows, cols) weights shown; rows are the attending tokens.
        rows / cols: indices into the result's tokens of each row / column.
        renormalized: True when special tokens were dropped and rows rescaled to sum to 1.
        masked: bool (rows, cols), True where the causal mask hides a later token.
        below_threshold: how many shown cells were blanked by the threshold.
    """

    layer: int
    head: int
    matrix: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    renormalized: bool
    masked: np.ndarray
    below_threshold: int = 0
    threshold: float = 0.0

    @cached_property
    def drawn(self) -> np.ndarray:
        """``matrix`` as float32 with the causal mask's cells NaN (a heatmap leaves them blank)."""
        return np.where(self.masked, np.float32(np.nan), self.matrix).astype(np.float32)

    def row(self, index: int) -> np.ndarray:
        """How much token ``index`` attends to each shown column (zeros when its row is not
        shown, e.g. hidden as a special token or filtered out by the pair filter)."""
        hit = np.flatnonzero(self.rows == index)
        return self.matrix[hit[0]] if len(hit) else np.zeros(len(self.cols), dtype=np.float32)

    def col(self, index: int) -> np.ndarray:
        """How much each shown row attends to token ``index`` (zeros when its column is not
        shown)."""
        hit = np.flatnonzero(self.cols == index)
        return self.matrix[:, hit[0]] if len(hit) else np.zeros(len(self.rows), dtype=np.float32)


@dataclass(frozen=True)
class ViewConfig:
    """How to show a head: which one, and the page's filters.

    Args:
        layer, head: 0-based indices.
        threshold: cells below this weight are blanked (display only; rows are not rescaled).
        hide_special: drop special tokens' rows and columns, rescale rows to sum to 1.
        pair_filter: ``A->B`` shows sentence A's tokens attending to sentence B's, and so on.
    """

    layer: int = 0
    head: int = 0
    threshold: float = knob(
        0.0,
        lo=0.0,
        hi=1.0,
        hi_open=True,  # in [0, 1)
        step=0.01,
        help="Blank out weights below this value (display only).",
    )
    hide_special: bool = False
    pair_filter: PairFilter = "all"

    def __post_init__(self) -> None:
        if self.layer < 0 or self.head < 0:
            raise ValueError("layer and head are counted from 0")
        check(self)
        if self.pair_filter not in PAIR_FILTERS:
            raise ValueError(f"pair_filter must be one of {PAIR_FILTERS}")

    def check(self, r: AttentionResult) -> None:
        """Raise a plain ValueError when the layer or head does not exist in ``r``."""
        if self.layer >= r.n_layers:
            raise ValueError(f"{r.model} has {r.n_layers} layers (0-{r.n_layers - 1})")
        if self.head >= r.n_heads:
            raise ValueError(f"{r.model} has {r.n_heads} heads per layer (0-{r.n_heads - 1})")


def _keep_mask(special: np.ndarray, hide_special: bool) -> np.ndarray:
    keep = ~special if hide_special else np.ones(len(special), dtype=bool)
    if not keep.any():  # only special tokens: nothing left to hide them from
        keep = np.ones(len(special), dtype=bool)
    return keep


def _keep(r: AttentionResult, hide_special: bool) -> np.ndarray:
    return _keep_mask(r.special, hide_special)


def renormalized(r: AttentionResult, hide_special: bool) -> tuple[np.ndarray, np.ndarray]:
    """All weights with special tokens' rows and columns dropped and rows rescaled to sum to 1.

    Returns:
        (weights (layers, heads, K, K), kept token indices (K,)); for cross-attention the
        weights are (layers, heads, K, K_source) and the indices the kept rows' (decoder
        tokens; :func:`head_block` gives the kept columns too).
    """
    L, H = r.n_layers, r.n_heads
    _, rows, cols = head_block(r, 0, 0, hide_special)
    if len(rows) == r.n_tokens and len(cols) == r.n_keys:
        return r.weights, rows
    w = np.stack(
        [head_block(r, layer, head, hide_special)[0] for layer in range(L) for head in range(H)]
    ).reshape(L, H, len(rows), len(cols))
    return w, rows


def head_block(
    r: AttentionResult, layer: int, head: int, hide_special: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One head's weights with special tokens' rows and columns dropped and rows rescaled to
    sum to 1 (unchanged when ``hide_special`` is False), with the kept rows and columns.

    Returns:
        (weights (K, K_cols), kept row indices (K,), kept column indices (K_cols,)); for
        self-attention the rows and columns are the same tokens.
    """
    rows = np.flatnonzero(_keep(r, hide_special))
    cols = rows if not r.cross else np.flatnonzero(_keep_mask(r.col_special, hide_special))
    w = r.head(layer, head)  # (T, S)
    if len(rows) == r.n_tokens and len(cols) == r.n_keys:
        return w, rows, cols
    sub = w[np.ix_(rows, cols)]  # (K, K_cols)
    s = sub.sum(-1, keepdims=True)
    return np.divide(sub, s, out=np.zeros_like(sub), where=s > 0), rows, cols


def head_weights(
    r: AttentionResult, layer: int, head: int, hide_special: bool
) -> tuple[np.ndarray, np.ndarray]:
    """One head's (K, K) weights with special tokens dropped and rows rescaled to sum to 1
    (unchanged when ``hide_special`` is False), and the kept token indices (K,) (for
    cross-attention: the kept rows; :func:`head_block` names the columns too)."""
    w, rows, _ = head_block(r, layer, head, hide_special)
    return w, rows


def head_view(r: AttentionResult, config: ViewConfig) -> HeadView:
    """One head's weights after hiding special tokens, the pair filter and the threshold.

    Args:
        r: an :class:`AttentionResult` (cross-attention too: its rows are decoder tokens, its
            columns encoder tokens, and no mask applies).
        config: which head and which filters.

    Returns:
        A :class:`HeadView`; with ``hide_special`` the rows sum to 1 again (renormalized).
    """
    config.check(r)
    w, k_rows, k_cols = head_block(r, config.layer, config.head, config.hide_special)
    rows_keep = np.zeros(r.n_tokens, dtype=bool)
    cols_keep = np.zeros(r.n_keys, dtype=bool)
    rows_keep[k_rows], cols_keep[k_cols] = True, True
    if config.pair_filter != "all" and r.has_pair:
        src, dst = config.pair_filter.split("->")
        rows_keep &= r.segment == (0 if src == "A" else 1)
        cols_keep &= r.segment == (0 if dst == "A" else 1)
    rows, cols = np.flatnonzero(rows_keep), np.flatnonzero(cols_keep)
    renorm = config.hide_special and (len(k_rows) < r.n_tokens or len(k_cols) < r.n_keys)
    pos_r = np.full(r.n_tokens, -1)
    pos_r[k_rows] = np.arange(len(k_rows))  # token index -> row of w
    pos_c = pos_r  # self-attention: the columns are the rows' tokens
    if r.cross:
        pos_c = np.full(r.n_keys, -1)
        pos_c[k_cols] = np.arange(len(k_cols))  # token index -> column of w
    m = np.array(w[np.ix_(pos_r[rows], pos_c[cols])], dtype=np.float32)  # (rows, cols)
    masked = (cols[None, :] > rows[:, None]) if r.causal else np.zeros(m.shape, dtype=bool)
    below = int(((m < config.threshold) & ~masked & (m > 0)).sum()) if config.threshold else 0
    if config.threshold:
        m[m < config.threshold] = 0.0
    return HeadView(
        config.layer, config.head, m, rows, cols, bool(renorm), masked, below, config.threshold
    )


@dataclass(frozen=True, eq=False)
class TokenFocus:
    """Where one token's attention goes in a :class:`HeadView`, and who attends to it.

    Attributes:
        index: the token.
        attends_to, attends_to_weights: the tokens it attends to most (heaviest first, at most
            ``top``; masked and blanked cells left out) and their weights.
        attended_by, attended_by_weights: the tokens attending to it most, likewise (empty
            for cross-attention: the source's tokens do not attend to the decoder's).
        weights: (T,) how much it attends to every token of the result (0 where not shown);
            (S,) over the source's tokens for cross-attention.
        shade: ``weights`` divided by their largest value, in [0, 1].
    """

    index: int
    attends_to: np.ndarray
    attends_to_weights: np.ndarray
    attended_by: np.ndarray
    attended_by_weights: np.ndarray
    weights: np.ndarray
    shade: np.ndarray


def _heaviest(vec: np.ndarray, top: int) -> np.ndarray:
    nonzero = np.flatnonzero(vec > 0)
    return nonzero[np.argsort(-vec[nonzero], kind="stable")][:top]


def token_focus(r: AttentionResult, v: HeadView, index: int, *, top: int = 10) -> TokenFocus:
    """The selected token's row and column of ``v``, ranked, and its row spread over the text.

    Args:
        r: the result ``v`` was made from.
        v: the head as shown (special tokens hidden, pair filter and threshold applied).
        index: the selected token (a row: a decoder token in cross-attention).
        top: how many tokens to rank on each side.

    Returns:
        A :class:`TokenFocus`.
    """
    if not 0 <= index < r.n_tokens:
        raise ValueError(f"token {index} is not in 0-{r.n_tokens - 1}")
    if top < 1:
        raise ValueError("top must be positive")
    row = v.row(index)  # (cols,)
    # (rows,): who attends to it; in cross-attention the columns are another text's tokens
    col = np.zeros(0, dtype=np.float32) if r.cross else v.col(index)
    to, by = _heaviest(row, top), _heaviest(col, top)
    weights = np.zeros(r.n_keys, dtype=np.float32)
    weights[v.cols] = row
    peak = max(float(weights.max()), 1e-12)
    by_idx = v.rows[by] if len(col) else np.zeros(0, dtype=np.int64)
    return TokenFocus(index, v.cols[to], row[to], by_idx, col[by], weights, weights / peak)
