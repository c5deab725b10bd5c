"""Positions: the paper's sinusoidal table beside a model's learned one, and one token at each.

>>> PositionConfig().n_positions
64
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.embeddings import cosine_matrix, position_table, sinusoidal_positions, unit_rows
from core.embeddings.space import EmbeddingSpace, WordTokens, several_tokens
from core.knobs import check, knob


# --- positions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PositionConfig:
    """Which positions to compare.

    Args:
        n_positions: how many positions (from 0) to draw; a learned table may hold fewer.
        d_model: the width of the sinusoidal table.
    """

    n_positions: int = knob(
        64, lo=2, hi=1024, step=1, label="positions", help="Positions 0 to n-1 are drawn."
    )
    d_model: int = knob(
        128,
        lo=2,
        hi=1024,
        step=2,
        label="d_model",
        help="The sinusoidal table's width (its dimensions come in sine/cosine pairs).",
    )

    def __post_init__(self) -> None:
        check(self)


def by_distance(sims: Any) -> Any:
    """Mean of a (P, P) similarity matrix along each distance |i - j| = 1 .. P-1: (P-1,).

    >>> by_distance([[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]]).tolist()
    [0.5, 0.0]
    """
    import numpy as np

    s = np.asarray(sims, dtype=np.float64)
    return np.array([np.diagonal(s, k).mean() for k in range(1, s.shape[0])])


@dataclass(frozen=True)
class PositionTable:
    """One position table and how alike its positions are.

    Attributes:
        table: (P, d).
        cosine: cosine of every pair of positions, (P, P).
        by_distance: mean cosine at each distance 1 .. P-1.
        near: mean cosine of neighbouring positions (distance 1).
        far: mean cosine of positions at least P/2 apart.
    """

    table: Any
    cosine: Any
    by_distance: Any

    @property
    def near(self) -> float:
        return float(self.by_distance[0])

    @property
    def far(self) -> float:
        half = len(self.by_distance) // 2
        return float(self.by_distance[half:].mean())


def _table(table: Any) -> PositionTable:
    sims = cosine_matrix(table)
    return PositionTable(table, sims, by_distance(sims))


@dataclass(frozen=True)
class PositionResult:
    """The paper's fixed encoding beside a model's learned one, and a token at every position.

    Attributes:
        sinusoidal: the "Attention Is All You Need" table.
        learned: the model's learned table (its first positions), or None (no table).
        word / tokens: the token placed at every position.
        token_cos: cosine of the token's vector with token + position at each position, (P,).
        token_pos: cosine of token + position between every pair of positions, (P, P).
        token_norm / position_norm: the token vector's length and the mean length of a position
            vector: which one dominates the sum.
        notes: what was cut (more positions asked than the model has).
    """

    config: PositionConfig
    sinusoidal: PositionTable
    learned: PositionTable | None
    word: str
    tokens: WordTokens | None
    token_cos: Any
    token_pos: Any
    token_norm: float
    position_norm: float
    notes: tuple[str, ...]


def positions(
    space: EmbeddingSpace,
    model: Any,
    config: PositionConfig | None = None,
    *,
    word: str = "cat",
) -> PositionResult:
    """Compare the sinusoidal table with ``model``'s learned positions, and add each position to
    the vector of ``word``.

    Raises:
        ValueError: a word the vocabulary cannot spell.
    """
    import numpy as np

    config = config or PositionConfig()
    notes: list[str] = []
    sin = _table(sinusoidal_positions(config.n_positions, config.d_model))
    learned = position_table(model)
    if learned is None:
        notes.append(f"{space.model} has no learned position table.")
        return PositionResult(config, sin, None, word, None, None, None, 0.0, 0.0, tuple(notes))
    if learned.shape[0] < config.n_positions:
        notes.append(f"{space.model} has {learned.shape[0]} positions: its table stops there.")
    learned = learned[: config.n_positions]  # (P, d)
    vec, t = space.vector(word)
    summed = vec[None] + learned  # (P, d): the same token at every position
    token_cos = unit_rows(summed) @ unit_rows(vec[None])[0]  # (P,)
    norm = float(np.linalg.norm(vec))
    pos_norm = float(np.linalg.norm(learned, axis=1).mean())
    if len(t.ids) > 1:
        notes.append(several_tokens(t))
    return PositionResult(
        config,
        sin,
        _table(learned),
        t.word,
        t,
        token_cos,
        cosine_matrix(summed),
        norm,
        pos_norm,
        tuple(notes),
    )
