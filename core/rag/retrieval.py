"""Retrieval from a knowledge base: vector search over committed chunks, optionally fused with
BM25 by reciprocal rank fusion (hybrid search)."""

from __future__ import annotations

from typing import Any

from core.rag.keyword import rrf
from core.rag.records import Hit


def search(
    kb: Any,
    question: str,
    k: int = 4,
    *,
    threshold: float | None = None,
    hybrid: bool = False,
    candidates: int | None = None,
    query_embedding: Any = None,
) -> list[Hit]:
    """The ``k`` chunks of ``kb`` closest to ``question``: see
    :meth:`core.rag.store.KnowledgeBase.query`, which calls this."""
    import numpy as np

    question = (question or "").strip()
    if not question:
        raise ValueError("Type a question first.")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rows_meta = kb._rows()
    versions = sorted(str(m["version"]) for m in rows_meta.values() if m.get("version"))
    total = sum(int(m.get("n_chunks", 0)) for m in rows_meta.values())
    if total == 0 or not versions:
        return []
    live = {"version": {"$in": versions}}
    depth = min(total, max(k, candidates or (max(4 * k, 20) if hybrid else k)))
    if query_embedding is None:
        query_embedding = kb.embedding.encode([question])[0]
    qv = np.asarray(query_embedding, dtype=np.float32)  # (384,)
    res = kb._chunks.query(
        query_embeddings=[qv],
        n_results=depth,
        where=live,
        include=["documents", "metadatas", "distances"],
    )
    rows: dict[str, dict[str, Any]] = {}
    vector_ids = res["ids"][0]
    for cid, text, meta, dist in zip(
        vector_ids, res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True
    ):
        rows[cid] = {"text": text, "meta": meta, "score": 1.0 - float(dist)}
    order: list[tuple[str, float | None]]
    if not hybrid:
        order = [(cid, None) for cid in vector_ids[:k]]
        keyword: dict[str, tuple[int, float]] = {}
    else:
        kw = keyword_index(kb, versions).search(question, depth)
        keyword = {cid: (r, s) for r, (cid, s) in enumerate(kw, start=1)}
        fused = rrf([vector_ids, [cid for cid, _ in kw]])[:k]
        order = [(cid, f) for cid, f in fused]
        missing = [cid for cid, _ in order if cid not in rows]
        if missing:
            got = kb._chunks.get(ids=missing, include=["documents", "metadatas", "embeddings"])
            for cid, text, meta, emb in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            ):
                rows[cid] = {"text": text, "meta": meta, "score": float(np.dot(qv, emb))}
    vrank = {cid: r for r, cid in enumerate(vector_ids, start=1)}
    hits: list[Hit] = []
    for cid, fused_score in order:
        if cid not in rows:  # deleted between the two reads by a concurrent writer
            continue
        row, meta = rows[cid], rows[cid]["meta"]
        if threshold is not None and row["score"] < threshold:
            continue
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


def keyword_index(kb: Any, versions: list[str]) -> Any:
    """The BM25 index over the committed chunks (rebuilt when the committed versions change)."""
    from core.rag.keyword import BM25Index

    rev = ",".join(versions)
    with kb._lock:
        if kb._bm25 is None or kb._bm25[0] != rev:
            got = kb._chunks.get(where={"version": {"$in": versions}}, include=["documents"])
            kb._bm25 = (rev, BM25Index(got["ids"], got["documents"]))
        return kb._bm25[1]
