"""Recall@k of retrieval on labelled questions (which document and span answers each)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class QuestionResult:
    """Where the answering chunk of one question ranked (``None``: not in the top ``max k``)."""

    question: str
    doc: str
    span: str
    rank: int | None
    doc_rank: int | None  # first hit from the right document, answering or not
    top_source: str


@dataclass(frozen=True)
class RetrievalEval:
    """recall@k: the share of questions whose answering chunk is among the top k hits."""

    ks: tuple[int, ...]
    recall: dict[int, float]
    doc_recall: dict[int, float]
    mrr: float
    results: tuple[QuestionResult, ...]
    hybrid: bool
    seconds: float


def answers(hit: Any, doc: str, span: str) -> bool:
    """Whether a hit is from ``doc`` and contains the answering ``span`` (spaces normalised)."""
    norm = " ".join(hit.text.split()).lower()
    return hit.source == doc and " ".join(span.split()).lower() in norm


def evaluate_retrieval(
    kb: Any,
    questions: Sequence[dict[str, str]],
    *,
    ks: Sequence[int] = (1, 3, 5),
    hybrid: bool = False,
) -> RetrievalEval:
    """Run every labelled question through ``kb.query`` and measure recall@k.

    Args:
        kb: a :class:`~core.rag.store.KnowledgeBase` holding the labelled documents.
        questions: dicts with ``question``, ``doc`` (source name) and ``span``.
        ks: the cut-offs reported.
        hybrid: use hybrid (BM25 + vector) retrieval.
    """
    if not questions:
        raise ValueError("No labelled questions to evaluate.")
    t0 = time.perf_counter()
    kmax = max(ks)
    results = []
    vectors = kb.embedding.encode([q["question"] for q in questions])  # (n, 384), one batch
    for q, vec in zip(questions, vectors, strict=True):
        hits = kb.query(q["question"], kmax, hybrid=hybrid, query_embedding=vec)
        rank = next((h.rank for h in hits if answers(h, q["doc"], q["span"])), None)
        doc_rank = next((h.rank for h in hits if h.source == q["doc"]), None)
        results.append(
            QuestionResult(
                q["question"], q["doc"], q["span"], rank, doc_rank, hits[0].source if hits else ""
            )
        )
    n = len(results)
    recall = {k: sum(r.rank is not None and r.rank <= k for r in results) / n for k in ks}
    doc_recall = {
        k: sum(r.doc_rank is not None and r.doc_rank <= k for r in results) / n for k in ks
    }
    mrr = sum(1 / r.rank for r in results if r.rank) / n
    return RetrievalEval(
        tuple(ks), recall, doc_recall, mrr, tuple(results), hybrid, time.perf_counter() - t0
    )
