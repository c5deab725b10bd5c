"""Keyword retrieval (BM25 from ``rank_bm25``) and reciprocal rank fusion with the vector ranking.

>>> rrf([["a", "b", "c"], ["c", "a"]])[:2]
[('a', 0.03252247488101534), ('c', 0.032266458495966696)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

RRF_K = 60  # the constant of Cormack et al. (2009): damps the weight of the very first ranks
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOPWORDS = frozenset(
    "a an and are as at be by can do does for from how i in is it its of on or so that the their "
    "then there these this to was what when where which who why will with you your".split()
)


def keyword_tokens(text: str) -> list[str]:
    """Lower-case words without stopwords: what BM25 matches on."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


class BM25Index:
    """BM25 (Okapi) over a fixed list of chunk ids and texts."""

    def __init__(self, ids: Sequence[str], texts: Sequence[str]) -> None:
        from rank_bm25 import BM25Okapi

        self.ids = list(ids)
        self._bm25: Any = BM25Okapi([keyword_tokens(t) or [""] for t in texts]) if ids else None

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """The ``n`` best chunk ids with their BM25 scores, best first (score > 0 only)."""
        terms = keyword_tokens(query)
        if self._bm25 is None or not terms:
            return []
        scores = self._bm25.get_scores(terms)  # (n_chunks,)
        order = scores.argsort()[::-1][:n]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]


def rrf(rankings: Sequence[Sequence[str]], *, k: int = RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: each id scores the sum of ``1 / (k + rank)`` over the rankings.

    Args:
        rankings: lists of ids, best first (rank 1 is the first).
        k: the damping constant.

    Returns:
        ``(id, fused score)`` best first; ties keep the order of first appearance.
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, id_ in enumerate(ranking, start=1):
            scores[id_] = scores.get(id_, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])
