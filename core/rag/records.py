"""What the knowledge base returns: hits, stored documents, add reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
    :meth:`KnowledgeBase.query` returns with that threshold, from its unfiltered result)."""
    from dataclasses import replace

    kept = [h for h in hits if threshold is None or h.score >= threshold]
    return [replace(h, rank=i) for i, h in enumerate(kept, start=1)]
