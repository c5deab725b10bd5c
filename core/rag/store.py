"""The knowledge base: documents, their chunks and MiniLM embeddings in a chromadb collection.

Two collections per knowledge base ``NAME``: ``NAME`` holds the chunks (cosine HNSW index,
embeddings from :class:`~core.rag.embedding.MiniLMEmbeddingFunction`), ``NAME__docs`` the whole
documents, so the chunks can be rebuilt with other settings without asking for the files again.
A re-index or a replaced document is embedded first and swapped in after, so a failure midway
loses nothing.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.rag.chunking import ChunkConfig, chunk_text
from core.rag.documents import Document
from core.settings import get_settings

DEFAULT_COLLECTION = "playground"
DOCS_SUFFIX = "__docs"
EMBED_BATCH = 64  # chunks per forward pass (and per progress step)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,46}[A-Za-z0-9]$")

Progress = Callable[[int, int], None]  # (chunks embedded so far, total)


def validate_collection_name(name: str) -> str:
    """The name, stripped, if chromadb and this app accept it.

    Raises:
        ValueError: with the rule that was broken, in plain words.
    """
    name = (name or "").strip()
    if "/" in name or "\\" in name:
        raise ValueError(f"{name!r}: a collection name cannot contain slashes.")
    if "__" in name:
        raise ValueError(f"{name!r}: a double underscore is reserved (the app uses it internally).")
    if not _NAME.match(name):
        raise ValueError(
            f"{name!r} is not a valid collection name: use 3 to 48 letters, digits, '-' or '_', "
            "starting and ending with a letter or digit."
        )
    return name


def make_client(path: str | Path | None = None) -> Any:
    """A chromadb client with telemetry off.

    Args:
        path: a folder for a ``PersistentClient``. ``None``: a Chroma server (``HttpClient``)
            when ``GENAI_CHROMA_HOST`` is set, else ``<data dir>/chroma``.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    s = get_settings()
    if path is None and s.chroma_host:
        return chromadb.HttpClient(host=s.chroma_host, port=s.chroma_port, settings=chroma_settings)
    folder = Path(path) if path is not None else s.data_dir / "chroma"
    folder.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(folder), settings=chroma_settings)


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk.

    Args:
        chunk_id: ``<doc id>:<index>``.
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


class KnowledgeBase:
    """A chromadb-backed store of chunked, embedded documents.

    Args:
        path_or_client: a folder (``PersistentClient``), a chromadb client, or ``None`` for the
            configured default (see :func:`make_client`).
        collection: the knowledge base's name (validated, see :func:`validate_collection_name`).
        chunking: chunk settings for a new, empty store; an existing store keeps its own
            (change them with :meth:`reindex`).
        embedding: the embedding function (default: MiniLM).

    >>> kb = KnowledgeBase("/tmp/kb-doctest")  # doctest: +SKIP
    >>> _ = kb.add_documents([Document("note.txt", "Paris is in France.")])  # doctest: +SKIP
    >>> kb.query("What is the capital of France?", k=1)[0].source  # doctest: +SKIP
    'note.txt'
    """

    def __init__(
        self,
        path_or_client: str | Path | Any = None,
        *,
        collection: str = DEFAULT_COLLECTION,
        chunking: ChunkConfig | None = None,
        embedding: Any = None,
    ) -> None:
        from core.rag.embedding import MiniLMEmbeddingFunction

        self.name = validate_collection_name(collection)
        if path_or_client is None or isinstance(path_or_client, (str, Path)):
            self.client = make_client(path_or_client)
        else:
            self.client = path_or_client
        self.embedding = embedding or MiniLMEmbeddingFunction()
        self._lock = threading.RLock()
        self._chunks = self.client.get_or_create_collection(
            self.name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"app": "genai-playground", "kind": "chunks"},
            embedding_function=self.embedding,
        )
        cfg = chunking or ChunkConfig()
        self._docs = self.client.get_or_create_collection(
            self.name + DOCS_SUFFIX,
            metadata={"app": "genai-playground", "kind": "documents",
                      "chunk_size": cfg.size, "chunk_overlap": cfg.overlap},
            embedding_function=None,
        )  # fmt: skip
        if chunking is not None and self._docs.count() == 0 and chunking != self.chunking:
            self._set_chunking(chunking)
        self._bm25: tuple[str, Any] | None = None

    # --- state -----------------------------------------------------------------------------------
    @property
    def chunking(self) -> ChunkConfig:
        """The chunk settings the stored chunks were built with."""
        meta = self._docs.metadata or {}
        d = ChunkConfig()
        return ChunkConfig(
            int(meta.get("chunk_size", d.size)), int(meta.get("chunk_overlap", d.overlap))
        )

    def _set_chunking(self, config: ChunkConfig) -> None:
        meta = dict(self._docs.metadata or {})
        meta.update(chunk_size=config.size, chunk_overlap=config.overlap)
        self._docs.modify(metadata=meta)

    def count(self) -> int:
        """Number of chunks in the index."""
        return self._chunks.count()

    def documents(self) -> list[StoredDocument]:
        """The stored documents, by source name."""
        got = self._docs.get(include=["metadatas"])
        out = [
            StoredDocument(i, str(m["source"]), int(m["chars"]), str(m["sha"]))
            for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
        ]
        return sorted(out, key=lambda d: d.source.lower())

    def get_document(self, doc_id: str) -> Document:
        """A stored document with its whole text.

        Raises:
            KeyError: no document with this id.
        """
        got = self._docs.get(ids=[doc_id], include=["documents", "metadatas"])
        if not got["ids"]:
            raise KeyError(f"no document {doc_id!r} in {self.name!r}")
        return Document(str(got["metadatas"][0]["source"]), got["documents"][0])

    def revision(self) -> str:
        """A fingerprint that changes whenever documents, chunks or chunk settings change."""
        docs = ",".join(f"{d.doc_id}:{d.sha}" for d in self.documents())
        cfg = self.chunking
        raw = f"{self.name}|{self.count()}|{cfg.size}|{cfg.overlap}|{docs}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    # --- writing ---------------------------------------------------------------------------------
    def chunk(self, text: str, config: ChunkConfig | None = None) -> list[Any]:
        """The chunks ``text`` would be cut into (default: the store's settings); stores nothing."""
        return chunk_text(text, config or self.chunking)

    def add_documents(
        self, documents: Iterable[Document | str], *, on_step: Progress | None = None
    ) -> AddReport:
        """Chunk, embed and store documents; a document with a known source name replaces it.

        Args:
            documents: :class:`Document` objects, or plain strings (named by their hash).
            on_step: called with (chunks embedded, total) after every batch.

        Returns:
            An :class:`AddReport`.
        """
        t0 = time.perf_counter()
        docs = [d if isinstance(d, Document) else _text_doc(d) for d in documents]
        docs = list({d.doc_id: d for d in docs}.values())  # last one wins per source
        cfg = self.chunking
        known = {d.doc_id for d in self.documents()}
        rows: list[tuple[Document, list[Any]]] = []
        skipped = []
        for d in docs:
            chunks = chunk_text(d.text, cfg)
            if chunks:
                rows.append((d, chunks))
            else:
                skipped.append(d.source)
        texts = [c.text for _, cs in rows for c in cs]
        vectors = self._embed(texts, on_step)  # (n_chunks, 384), before touching the store
        with self._lock:
            self._write(rows, vectors, replaced={d.doc_id for d, _ in rows} & known)
            self._bm25 = None
        return AddReport(
            added=tuple(d.source for d, _ in rows if d.doc_id not in known),
            replaced=tuple(d.source for d, _ in rows if d.doc_id in known),
            skipped=tuple(skipped),
            n_chunks=len(texts),
            seconds=time.perf_counter() - t0,
        )

    def _embed(self, texts: Sequence[str], on_step: Progress | None) -> Any:
        import numpy as np

        parts = []
        for i in range(0, len(texts), EMBED_BATCH):
            parts.append(self.embedding.encode(list(texts[i : i + EMBED_BATCH])))
            if on_step:
                on_step(min(i + EMBED_BATCH, len(texts)), len(texts))
        return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)

    def _write(
        self, rows: list[tuple[Document, list[Any]]], vectors: Any, *, replaced: set[str]
    ) -> None:
        """Store the chunks of every document in as few upserts as the client allows (each
        upsert is a transaction: one per document made indexing ~1.5x slower than encoding)."""
        ids = [f"{d.doc_id}:{c.index:04d}" for d, cs in rows for c in cs]
        texts = [c.text for _, cs in rows for c in cs]
        metas = [
            {"source": d.source, "doc_id": d.doc_id, "index": c.index, "start": c.start,
             "end": c.end, "n_tokens": c.n_tokens}
            for d, cs in rows for c in cs
        ]  # fmt: skip
        batch = max(1, min(1000, self.client.get_max_batch_size()))
        for i in range(0, len(ids), batch):
            self._chunks.upsert(
                ids=ids[i : i + batch],
                embeddings=vectors[i : i + batch],
                documents=texts[i : i + batch],
                metadatas=metas[i : i + batch],
            )
        if replaced:  # drop the old chunks past each replaced document's new count
            old = self._chunks.get(where={"doc_id": {"$in": sorted(replaced)}}, include=[])["ids"]
            stale = sorted(set(old) - set(ids))
            if stale:
                self._chunks.delete(ids=stale)
        docs = [d for d, _ in rows]
        for i in range(0, len(docs), batch):
            part = docs[i : i + batch]
            self._docs.upsert(
                ids=[d.doc_id for d in part],
                embeddings=[[1.0] for _ in part],
                documents=[d.text for d in part],
                metadatas=[{"source": d.source, "chars": len(d.text), "sha": d.sha} for d in part],
            )

    def remove_document(self, doc_id: str) -> None:
        """Delete a document and its chunks."""
        with self._lock:
            self._chunks.delete(where={"doc_id": doc_id})
            self._docs.delete(ids=[doc_id])
            self._bm25 = None

    def reindex(self, config: ChunkConfig, *, on_step: Progress | None = None) -> AddReport:
        """Rebuild every chunk with new settings (documents are kept; nothing is lost on failure).

        Args:
            config: the new chunk size and overlap.
            on_step: progress callback, as in :meth:`add_documents`.
        """
        docs = [self.get_document(d.doc_id) for d in self.documents()]
        old = self.chunking
        self._set_chunking(config)
        try:
            return self.add_documents(docs, on_step=on_step)
        except BaseException:
            self._set_chunking(old)
            raise

    # --- reading ---------------------------------------------------------------------------------
    def query(
        self,
        question: str,
        k: int = 4,
        *,
        threshold: float | None = None,
        hybrid: bool = False,
        candidates: int | None = None,
        query_embedding: Any = None,
    ) -> list[Hit]:
        """The ``k`` chunks closest to ``question``.

        Args:
            question: the question (not empty).
            k: how many chunks to return.
            threshold: drop chunks whose cosine similarity is below it.
            hybrid: fuse the vector ranking with BM25's by reciprocal rank fusion.
            candidates: how deep each ranking goes before fusion (default ``max(4k, 20)``).
            query_embedding: the question's embedding when already computed (batch evaluation).

        Returns:
            Hits, best first, each with its cosine similarity.

        Raises:
            ValueError: empty question or ``k < 1``.
        """
        import numpy as np

        question = (question or "").strip()
        if not question:
            raise ValueError("Type a question first.")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        total = self.count()
        if total == 0:
            return []
        depth = min(total, max(k, candidates or (max(4 * k, 20) if hybrid else k)))
        if query_embedding is None:
            query_embedding = self.embedding.encode([question])[0]
        qv = np.asarray(query_embedding, dtype=np.float32)  # (384,)
        res = self._chunks.query(
            query_embeddings=[qv], n_results=depth,
            include=["documents", "metadatas", "distances"],
        )  # fmt: skip
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
            kw = self._keyword_index().search(question, depth)
            keyword = {cid: (r, s) for r, (cid, s) in enumerate(kw, start=1)}
            fused = _rrf([vector_ids, [cid for cid, _ in kw]])[:k]
            order = [(cid, f) for cid, f in fused]
            missing = [cid for cid, _ in order if cid not in rows]
            if missing:
                got = self._chunks.get(
                    ids=missing, include=["documents", "metadatas", "embeddings"]
                )
                for cid, text, meta, emb in zip(
                    got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
                ):
                    rows[cid] = {"text": text, "meta": meta, "score": float(np.dot(qv, emb))}
        vrank = {cid: r for r, cid in enumerate(vector_ids, start=1)}
        hits: list[Hit] = []
        for cid, fused_score in order:
            row, meta = rows[cid], rows[cid]["meta"]
            if threshold is not None and row["score"] < threshold:
                continue
            kr = keyword.get(cid)
            hits.append(
                Hit(
                    chunk_id=cid, text=row["text"], score=row["score"],
                    source=str(meta["source"]), doc_id=str(meta["doc_id"]),
                    index=int(meta["index"]), start=int(meta["start"]), end=int(meta["end"]),
                    rank=len(hits) + 1, vector_rank=vrank.get(cid),
                    keyword_rank=kr[0] if kr else None, keyword_score=kr[1] if kr else None,
                    fused_score=fused_score,
                )
            )  # fmt: skip
        return hits

    def _keyword_index(self) -> Any:
        from core.rag.keyword import BM25Index

        rev = f"{self.count()}|{self.revision()}"
        with self._lock:
            if self._bm25 is None or self._bm25[0] != rev:
                got = self._chunks.get(include=["documents"])
                self._bm25 = (rev, BM25Index(got["ids"], got["documents"]))
            return self._bm25[1]

    def answer(self, question: str, model: str = "extractive", k: int = 4, **options: Any) -> Any:
        """Retrieve ``k`` chunks and answer from them (see :func:`core.rag.answering.answer`).

        Args:
            question: the question.
            model: ``"extractive"`` (quote the best sentences) or a causal LM of the catalog.
            k: chunks retrieved.
            **options: ``threshold``, ``hybrid``, ``retrieve`` (False: answer without chunks),
                ``max_new_tokens``.

        Returns:
            A :class:`~core.rag.answering.RagAnswer` (text, citations, prompt, hits).
        """
        from core.rag.answering import answer

        return answer(self, question, model=model, k=k, **options)


def _rrf(rankings: list[list[str]]) -> list[tuple[str, float]]:
    from core.rag.keyword import rrf

    return rrf(rankings)


def _text_doc(text: str) -> Document:
    from core.rag.documents import text_document

    digest = hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:8]
    return text_document(f"text-{digest}", text)
