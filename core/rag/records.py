"""What the knowledge base returns and answers: hits, stored documents, add reports, answers
with their citations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.rag.sentences import SentenceScore


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk.

    Args:
        chunk_id: ``<doc id>:<version>:<index>``.
        text: the chunk.
        score: cosine similarity between the question and the chunk embeddings (-1..1).
        source: the document's name.
        rank: position in the returned list (1 = best).
        vector_rank, keyword_rank: position in the vector and BM25 rankings (hybrid search;
            ``None`` when the chunk was not among that ranking's candidates).
        keyword_score: BM25 score (hybrid only).
        fused_score: reciprocal-rank-fusion score (hybrid only).
    """

    chunk_id: str
    text: str
    score: float
    source: str
    doc_id: str
    index: int
    start: int
    end: int
    rank: int
    vector_rank: int | None = None
    keyword_rank: int | None = None
    keyword_score: float | None = None
    fused_score: float | None = None


@dataclass(frozen=True)
class StoredDocument:
    """A document of the knowledge base, without its text."""

    doc_id: str
    source: str
    chars: int
    sha: str


@dataclass(frozen=True)
class AddReport:
    """What :meth:`KnowledgeBase.add_documents` did."""

    added: tuple[str, ...]
    replaced: tuple[str, ...]
    skipped: tuple[str, ...]  # sources with no text
    n_chunks: int
    seconds: float


def apply_threshold(hits: Sequence[Hit], threshold: float | None) -> list[Hit]:
    """The hits whose cosine similarity reaches ``threshold``, renumbered 1.. (what
    :meth:`KnowledgeBase.query` returns with that threshold, from its unfiltered result); a hit
    whose rank stays is reused, not copied (a threshold step on the page rebuilds nothing)."""
    kept = [h for h in hits if threshold is None or h.score >= threshold]
    return [h if h.rank == i else replace(h, rank=i) for i, h in enumerate(kept, start=1)]


@dataclass(frozen=True)
class Citation:
    """A chunk an answer cites: ``[number]`` is hit ``number`` of the retrieved list."""

    number: int
    chunk_id: str
    source: str
    text: str
    score: float


@dataclass(frozen=True)
class RagAnswer:
    """An answer and everything that produced it.

    Args:
        question: the question asked.
        text: the answer, with citations like ``[1]``.
        citations: the cited hits.
        prompt: the exact text given to the model ("" for the extractive answerer).
        model: ``extractive`` or the catalog name of the generator.
        hits: the retrieved chunks the answer could use (none without retrieval).
        retrieval: whether chunks were retrieved.
        sentences: sentence ranking (extractive, and tiny-gpt's context choice).
        seconds: time to answer (retrieval included).
        note: a remark for the reader (nothing retrieved, answer not found in the passages...).
        support: the best :func:`support` of the answer by a retrieved chunk (``None``: no
            retrieval or nothing generated).
        grounded: whether the answer is cited, i.e. a chunk supports it above
            :data:`SUPPORT_THRESHOLD`.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    prompt: str
    model: str
    hits: tuple[Any, ...]
    retrieval: bool = True
    sentences: tuple[SentenceScore, ...] = field(default=())
    seconds: float = 0.0
    note: str = ""
    support: float | None = None
    grounded: bool = False


def citations(numbers: list[int], hits: list[Any]) -> tuple[Citation, ...]:
    """The :class:`Citation` of each distinct hit number in ``numbers`` (1-based), in order;
    numbers outside the hits are dropped."""
    out = []
    for n in dict.fromkeys(numbers):
        if 1 <= n <= len(hits):
            h = hits[n - 1]
            out.append(Citation(n, h.chunk_id, h.source, h.text, h.score))
    return tuple(out)
