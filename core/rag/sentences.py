"""Sentences of retrieved chunks, ranked for a question: MiniLM cosine fused with BM25.

>>> split_sentences("ing the end of a cut. First whole one. Second one! and a cut")
['First whole one.', 'Second one!']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class SentenceScore:
    """One sentence of a retrieved chunk, scored against the question.

    Args:
        sentence: the sentence.
        hit: number of the hit it comes from (1-based).
        score: MiniLM cosine similarity with the question.
        used: quoted (extractive) or given as context (tiny-gpt).
        keyword_score: BM25 score of the sentence for the question's words.
        fused_score: reciprocal-rank fusion of the cosine and BM25 rankings (the order).
        previous: the sentence before it in its chunk ("" for the first).
    """

    sentence: str
    hit: int
    score: float
    used: bool
    keyword_score: float = 0.0
    fused_score: float = 0.0
    previous: str = ""


def split_sentences(text: str) -> list[str]:
    """Sentences of a chunk, without markdown headings and without the cut-off pieces at its
    edges (a chunk can start or end mid-sentence); the pieces stay if nothing else is left."""
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    parts = [p for p in parts if not p.startswith("#")]
    whole = [
        p
        for i, p in enumerate(parts)
        if not (i == 0 and p[:1].islower()) and not (i == len(parts) - 1 and p[-1] not in ".!?\"')")
    ]
    return whole or parts


def rank_sentences(question: str, hits: list[Any], embedding: Any) -> list[SentenceScore]:
    """Every sentence of the hits, best first: the MiniLM cosine ranking fused with the BM25
    ranking of the question's words by reciprocal rank fusion, as hybrid search fuses chunks.

    Cosine alone favours a sentence that restates the question ("That is why the attention
    matrix ... is lower triangular") over the one that answers it; the exact words
    ("scaled", "subsequence") pull the answering sentence up.
    """
    from core.rag.keyword import BM25Index, rrf

    first: dict[str, tuple[int, str]] = {}
    for n, h in enumerate(hits, start=1):
        parts = split_sentences(h.text)
        for i, sent in enumerate(parts):  # overlapping chunks repeat sentences: keep the first
            first.setdefault(sent, (n, parts[i - 1] if i else ""))
    sents = list(first)
    if not sents:
        return []
    vecs = embedding.encode([question] + sents)  # (1 + n, 384), unit rows
    sims = (vecs[1:] @ vecs[0]).tolist()  # (n,)
    ids = [str(i) for i in range(len(sents))]
    by_cosine = sorted(ids, key=lambda i: -sims[int(i)])
    keyword = dict(BM25Index(ids, sents).search(question, len(ids)))
    fused = rrf([by_cosine, list(keyword)])
    return [
        SentenceScore(
            sents[int(i)],
            first[sents[int(i)]][0],
            float(sims[int(i)]),
            False,
            keyword.get(i, 0.0),
            f,
            first[sents[int(i)]][1],
        )
        for i, f in fused
    ]
