"""Sentence vectors (what RAG's vector search compares): a cosine matrix and a 2-D map.

>>> sentence_lines("a cat\\n\\na dog")
('a cat', 'a dog')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.embeddings import Embedder, cosine_matrix
from core.embeddings.space import Projected, project
from core.knobs import check, knob


# --- sentences -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SentenceConfig:
    """How many sentences to embed at most.

    Args:
        max_sentences: lines beyond this many are left out (and the result says so).
    """

    max_sentences: int = knob(
        20, lo=2, hi=100, step=1, label="sentences", help="At most this many lines are embedded."
    )

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class SentenceResult:
    """Sentence embeddings, their cosine matrix and a 2-D map.

    Attributes:
        sentences: the sentences embedded, one per non-empty line.
        vectors: unit-length embeddings, (N, H).
        cosine: (N, N).
        projected: the 2-D map (PCA).
        notes: lines left out.
    """

    sentences: tuple[str, ...]
    vectors: Any
    cosine: Any
    projected: Projected
    notes: tuple[str, ...]

    def closest_pair(self) -> tuple[int, int, float]:
        """The two different sentences most alike: (i, j, cosine)."""
        import numpy as np

        s = np.array(self.cosine, dtype=np.float64)
        np.fill_diagonal(s, -np.inf)
        i, j = np.unravel_index(int(np.argmax(s)), s.shape)
        return int(min(i, j)), int(max(i, j)), round(float(s[i, j]), 4)


def sentence_lines(text: str) -> tuple[str, ...]:
    """The non-empty lines of ``text``, stripped: one sentence each.

    >>> sentence_lines(" a cat \\n\\n a dog ")
    ('a cat', 'a dog')
    """
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def sentence_map(
    embedder: Embedder, text: str, config: SentenceConfig | None = None
) -> SentenceResult:
    """Embed each line of ``text`` (what RAG's vector search does), compare and map them.

    Raises:
        ValueError: fewer than two sentences.
    """
    config = config or SentenceConfig()
    lines = sentence_lines(text)
    notes: tuple[str, ...] = ()
    if len(lines) > config.max_sentences:
        notes = (f"{len(lines)} lines: only the first {config.max_sentences} are embedded.",)
        lines = lines[: config.max_sentences]
    if len(lines) < 2:
        raise ValueError(
            f"type at least two sentences, one per line, to compare them (got {len(lines)})"
        )
    vecs = embedder.encode(list(lines)).numpy()  # (N, H)
    return SentenceResult(lines, vecs, cosine_matrix(vecs), project(vecs, dims=2), notes)
