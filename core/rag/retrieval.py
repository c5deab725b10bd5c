"""Retrieval from a knowledge base: vector search over committed chunks, optionally fused with
BM25 by reciprocal rank fusion (hybrid search).

One question is retrieved once: :func:`retrieve` returns a :class:`Retrieval` that holds the
hits the answerers use (fused or vector order, each with its vector, keyword and fused rank and
score) and the vector ranking alone, which the page compares them with. A threshold change
filters that result (:meth:`Retrieval.at_threshold`) and searches nothing.

>>> RetrievalConfig(k=3, hybrid=True).depth
20
>>> from core.knobs import spec
>>> spec(RetrievalConfig, "k").hi
10
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from core.knobs import check, knob
from core.rag.keyword import RRF_K, BM25Index, rrf
from core.rag.records import Hit, apply_threshold

__all__ = ["THRESHOLD_HELP", "Retrieval", "RetrievalConfig", "keyword_index", "retrieve"]

THRESHOLD_HELP = (
    "Cosine similarity compares the direction of the question's MiniLM embedding with a "
    "chunk's: 1 = same direction (same meaning), 0 = unrelated, below 0 = opposite. With MiniLM, "
    "chunks that answer a question usually score 0.4-0.7 and unrelated text below 0.2. Chunks "
    "under the threshold are not shown and not given to the models."
)
MIN_CANDIDATES = 20  # hybrid search looks at least this deep into each ranking before fusing


@dataclass(frozen=True)
class RetrievalConfig:
    """How one question is retrieved: how many chunks, from how close, by which rankings.

    Each field is a :func:`core.knobs.knob` holding its default, range and help: the page's
    widgets and link bounds read them.

    Raises:
        ValueError: a value outside its range.
    """

    k: int = knob(
        4,
        lo=1,
        hi=10,
        help="How many chunks are retrieved and answered from.",
    )
    threshold: float | None = knob(  # None: keep every one of the k chunks
        0.25,
        of=float,
        lo=-1.0,
        hi=1.0,
        step=0.05,
        help=THRESHOLD_HELP,
    )
    hybrid: bool = knob(
        False, help="Fuse keyword (BM25) and vector rankings by reciprocal rank fusion."
    )
    candidates: int | None = knob(
        None, of=int, lo=1, hi=1000, help="How deep each ranking goes before fusion (max(4k, 20))."
    )
    rrf_k: int = knob(
        RRF_K,
        lo=1,
        hi=1000,
        help="Reciprocal rank fusion's constant: each ranking adds 1 / (rrf_k + rank).",
    )

    def __post_init__(self) -> None:
        check(self)

    @property
    def depth(self) -> int:
        """How many chunks each ranking returns before fusion (``k`` without hybrid search)."""
        if not self.hybrid:
            return max(self.k, self.candidates or self.k)
        return max(self.k, self.candidates or max(4 * self.k, MIN_CANDIDATES))


@dataclass(frozen=True)
class Retrieval:
    """One retrieval of one question: what both answerers and the ranking table use.

    Args:
        question: the question, stripped.
        config: the settings it was retrieved with (its threshold is the one applied).
        hits: the chunks the answers use, best first and numbered 1..: fused order with hybrid
            search, else vector order; each carries its vector rank, cosine similarity and (hybrid)
            BM25 rank and score and fused score.
        vector_hits: the top ``k`` of vector search alone at the threshold (the same as ``hits``
            without hybrid search): what fusion is compared with.
        unfiltered, vector_unfiltered: the same two lists before the threshold.
        seconds: time to embed and search.
    """

    question: str
    config: RetrievalConfig
    hits: tuple[Hit, ...]
    vector_hits: tuple[Hit, ...]
    unfiltered: tuple[Hit, ...] = field(default=(), repr=False)
    vector_unfiltered: tuple[Hit, ...] = field(default=(), repr=False)
    seconds: float = 0.0

    @classmethod
    def none(cls, question: str, config: RetrievalConfig | None = None) -> Retrieval:
        """No retrieval: a question answered without chunks."""
        return cls((question or "").strip(), config or RetrievalConfig(), (), ())

    def at_threshold(self, threshold: float | None) -> Retrieval:
        """The same retrieval filtered at another threshold (no search; the ``k`` unfiltered
        hits are kept, so lowering it again brings them back)."""
        hits = tuple(apply_threshold(self.unfiltered, threshold))
        same = self.vector_unfiltered is self.unfiltered
        vector = hits if same else tuple(apply_threshold(self.vector_unfiltered, threshold))
        return replace(
            self, config=replace(self.config, threshold=threshold), hits=hits, vector_hits=vector
        )


def retrieve(
    kb: Any, question: str, config: RetrievalConfig, *, query_embedding: Any = None
) -> Retrieval:
    """Embed ``question`` once and search ``kb`` once: the hits and the vector ranking alone.

    Args:
        kb: a :class:`~core.rag.store.KnowledgeBase`.
        question: the question (not empty).
        config: k, threshold and hybrid search settings.
        query_embedding: the question's embedding when already computed (batch evaluation).

    Raises:
        ValueError: an empty question.
    """
    import numpy as np

    t0 = time.perf_counter()
    question = (question or "").strip()
    if not question:
        raise ValueError("Type a question first.")
    versions, total = kb.committed()
    if total == 0 or not versions:
        return replace(Retrieval.none(question, config), seconds=time.perf_counter() - t0)
    k = config.k
    depth = min(total, config.depth)
    if query_embedding is None:
        query_embedding = kb.embedding.encode([question])[0]
    qv = np.asarray(query_embedding, dtype=np.float32)  # (384,)
    res = kb._chunks.query(
        query_embeddings=[qv],
        n_results=depth,
        where={"version": {"$in": versions}},
        include=["documents", "metadatas", "distances"],
    )
    rows: dict[str, dict[str, Any]] = {}
    vector_ids = res["ids"][0]
    for cid, text, meta, dist in zip(
        vector_ids, res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
    ):
        rows[cid] = {"text": text, "meta": meta, "score": 1.0 - float(dist)}
    vrank = {cid: r for r, cid in enumerate(vector_ids, start=1)}
    vector_order: list[tuple[str, float | None]] = [(cid, None) for cid in vector_ids[:k]]
    vector = _hits(vector_order, rows, vrank, {})
    if not config.hybrid:
        return _result(question, config, vector, vector, t0)
    kw = keyword_index(kb, versions).search(question, depth)
    keyword = {cid: (r, s) for r, (cid, s) in enumerate(kw, start=1)}
    order = rrf([vector_ids, [cid for cid, _ in kw]], k=config.rrf_k)[:k]
    missing = [cid for cid, _ in order if cid not in rows]
    if missing:
        got = kb._chunks.get(ids=missing, include=["documents", "metadatas", "embeddings"])
        for cid, text, meta, emb in zip(
            got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
        ):
            rows[cid] = {"text": text, "meta": meta, "score": float(np.dot(qv, emb))}
    return _result(question, config, _hits(order, rows, vrank, keyword), vector, t0)


def _hits(
    order: Sequence[tuple[str, float | None]],
    rows: dict[str, dict[str, Any]],
    vrank: dict[str, int],
    keyword: dict[str, tuple[int, float]],
) -> list[Hit]:
    hits: list[Hit] = []
    for cid, fused_score in order:
        if cid not in rows:  # deleted between the two reads by a concurrent writer
            continue
        row, meta = rows[cid], rows[cid]["meta"]
        kr = keyword.get(cid)
        hits.append(
            Hit(
                chunk_id=cid,
                text=row["text"],
                score=row["score"],
                source=str(meta["source"]),
                doc_id=str(meta["doc_id"]),
                index=int(meta["index"]),
                start=int(meta["start"]),
                end=int(meta["end"]),
                rank=len(hits) + 1,
                vector_rank=vrank.get(cid),
                keyword_rank=kr[0] if kr else None,
                keyword_score=kr[1] if kr else None,
                fused_score=fused_score,
            )
        )
    return hits


def _result(
    question: str, config: RetrievalConfig, hits: list[Hit], vector: list[Hit], t0: float
) -> Retrieval:
    unfiltered = tuple(hits)
    vector_unfiltered = unfiltered if vector is hits else tuple(vector)
    whole = Retrieval(
        question, config, unfiltered, vector_unfiltered, unfiltered, vector_unfiltered
    )
    return replace(whole.at_threshold(config.threshold), seconds=time.perf_counter() - t0)


def keyword_index(kb: Any, versions: list[str]) -> Any:
    """The BM25 index over the committed chunks (rebuilt when the committed versions change)."""
    rev = ",".join(versions)
    with kb._lock:
        if kb._bm25 is None or kb._bm25[0] != rev:
            got = kb._chunks.get(where={"version": {"$in": versions}}, include=["documents"])
            kb._bm25 = (rev, BM25Index(got["ids"], got["documents"]))
        return kb._bm25[1]
