"""The knowledge base: documents, their chunks and MiniLM embeddings in a chromadb collection.

Two collections per knowledge base ``NAME``: ``NAME`` holds the chunks (cosine HNSW index,
embeddings from :class:`~core.rag.embedding.MiniLMEmbeddingFunction`), ``NAME__docs`` the whole
documents, so the chunks can be rebuilt with other settings without asking for the files again.

Crash safety: every write of a document gets a fresh *version*; its chunks are stored under
``<doc id>:<version>:<index>`` first, invisible, and the document's row in ``NAME__docs`` is
written last, naming the version. That row is the commit: reads only see chunks of committed
versions, so a kill midway leaves the previous version (or nothing) visible, never half a
document. Chunks of other versions are deleted after the commit, and opening a store sweeps
whatever a killed writer left behind. Writers of one collection take one lock (per store and
collection, shared by every :class:`KnowledgeBase` object of this process), so two adds of the
same document name run one after the other and the later one wins whole.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from core.rag.chunking import ChunkConfig, chunk_text
from core.rag.client import make_client, validate_collection_name, write_lock
from core.rag.documents import Document
from core.rag.records import AddReport, Hit, StoredDocument, apply_threshold

__all__ = [
    "DEFAULT_COLLECTION",
    "AddReport",
    "Hit",
    "KnowledgeBase",
    "ReadOnlyError",
    "StoredDocument",
    "apply_threshold",
    "make_client",
    "validate_collection_name",
    "write_lock",
]

DEFAULT_COLLECTION = "playground"
DOCS_SUFFIX = "__docs"
EMBED_BATCH = 64  # chunks per forward pass (and per progress step)
WRITE_BATCH = 4 * EMBED_BATCH  # chunks per chromadb upsert while indexing

Progress = Callable[[int, int], None]  # (chunks embedded so far, total)


class ReadOnlyError(PermissionError):
    """A write to a knowledge base opened read-only (the shared starter notes)."""


class KnowledgeBase:
    """A chromadb-backed store of chunked, embedded documents.

    Args:
        path_or_client: a folder (``PersistentClient``), a chromadb client, or ``None`` for the
            configured default (see :func:`make_client`).
        collection: the knowledge base's name (validated, see :func:`validate_collection_name`).
        chunking: chunk settings for a new, empty store; an existing store keeps its own
            (change them with :meth:`reindex`).
        embedding: the embedding function (default: MiniLM).
        read_only: refuse every write with :class:`ReadOnlyError` (a shared knowledge base).
        metadata: extra scalar metadata for a new store's document collection.

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
        read_only: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        from core.rag.embedding import MiniLMEmbeddingFunction

        self.name = validate_collection_name(collection)
        if path_or_client is None or isinstance(path_or_client, (str, Path)):
            self.client = make_client(path_or_client)
        else:
            self.client = path_or_client
        self.embedding = embedding or MiniLMEmbeddingFunction()
        self.read_only = read_only
        self._lock = write_lock(self.client, self.name)
        self._chunks = self.client.get_or_create_collection(
            self.name,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"app": "genai-playground", "kind": "chunks"},
            embedding_function=self.embedding,
        )
        cfg = chunking or ChunkConfig()
        self._docs = self.client.get_or_create_collection(
            self.name + DOCS_SUFFIX,
            metadata={
                "app": "genai-playground",
                "kind": "documents",
                "chunk_size": cfg.size,
                "chunk_overlap": cfg.overlap,
                **(metadata or {}),
            },
            embedding_function=None,
        )
        self._bm25: tuple[str, Any] | None = None
        with self._lock:
            if chunking is not None and not self.document_rows() and chunking != self.chunking:
                self._set_chunking(chunking)
            self.swept = 0 if read_only else self.sweep()

    # --- state -----------------------------------------------------------------------------------
    @property
    def chunking(self) -> ChunkConfig:
        """The chunk settings the stored chunks were built with."""
        meta = self._docs.metadata or {}
        d = ChunkConfig()
        return ChunkConfig(
            int(meta.get("chunk_size", d.size)), int(meta.get("chunk_overlap", d.overlap))
        )

    @property
    def metadata(self) -> dict[str, Any]:
        """The document collection's metadata (chunk settings and what the owner stores)."""
        return dict(self._docs.metadata or {})

    def update_metadata(self, **values: Any) -> None:
        """Set scalar metadata of the document collection (kept next to the chunk settings)."""
        meta = self.metadata
        meta.update(values)
        self._docs.modify(metadata=meta)

    def _set_chunking(self, config: ChunkConfig) -> None:
        self.update_metadata(chunk_size=config.size, chunk_overlap=config.overlap)

    def document_rows(self) -> dict[str, dict[str, Any]]:
        """Committed document rows: doc id -> metadata (source, chars, sha, version, n_chunks)."""
        got = self._docs.get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    def committed(self) -> tuple[list[str], int]:
        """The committed document versions and their number of chunks, from one read."""
        rows = self.document_rows().values()
        versions = sorted(str(m["version"]) for m in rows if m.get("version"))
        return versions, sum(int(m.get("n_chunks", 0)) for m in rows)

    def _versions(self) -> list[str]:
        return self.committed()[0]

    def count(self) -> int:
        """Number of chunks of committed documents (what queries search)."""
        return self.committed()[1]

    def stored_chunks(self) -> int:
        """Every chunk row in chromadb, committed or not (a sweep makes it equal :meth:`count`)."""
        return self._chunks.count()

    def documents(self) -> list[StoredDocument]:
        """The stored documents, by source name."""
        out = [
            StoredDocument(i, str(m["source"]), int(m["chars"]), str(m["sha"]))
            for i, m in self.document_rows().items()
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
        rows = self.document_rows()
        docs = ",".join(f"{i}:{m.get('sha')}:{m.get('version')}" for i, m in sorted(rows.items()))
        cfg = self.chunking
        raw = f"{self.name}|{cfg.size}|{cfg.overlap}|{docs}"
        return hashlib.sha1(raw.encode()).hexdigest()[:16]

    def sweep(self) -> int:
        """Delete chunks no committed document names (a killed writer's debris, stale versions).

        Documents stored before versions existed are re-indexed from their stored text.

        Returns:
            How many chunk rows were deleted.
        """
        with self._lock:
            rows = self.document_rows()
            legacy = [i for i, m in rows.items() if not m.get("version")]
            live = {str(m["version"]) for m in rows.values() if m.get("version")}
            got = self._chunks.get(include=["metadatas"])
            dead = [
                cid
                for cid, m in zip(got["ids"], got["metadatas"] or [], strict=True)
                if str((m or {}).get("version", "")) not in live
            ]
            batch = self._batch()
            for i in range(0, len(dead), batch):
                self._chunks.delete(ids=dead[i : i + batch])
            if legacy:
                self._index([self.get_document(i) for i in legacy], self.chunking, None)
            self._bm25 = None
            return len(dead)

    # --- writing ---------------------------------------------------------------------------------
    def _check_writable(self) -> None:
        if self.read_only:
            raise ReadOnlyError(
                f"The knowledge base {self.name!r} is shared and read-only: changes go into "
                "a knowledge base of your own."
            )

    def chunk(self, text: str, config: ChunkConfig | None = None) -> list[Any]:
        """The chunks ``text`` would be cut into (default: the store's settings); stores nothing."""
        return chunk_text(text, config or self.chunking)

    def add_documents(
        self, documents: Iterable[Document | str], *, on_step: Progress | None = None
    ) -> AddReport:
        """Chunk, embed and store documents; a document with a known source name replaces it.

        Each document becomes visible only once all its chunks are stored. Concurrent calls on
        one collection run one after the other (the later one's version wins).

        Args:
            documents: :class:`Document` objects, or plain strings (named by their hash).
            on_step: called with (chunks embedded, total) after every batch.

        Returns:
            An :class:`AddReport`.

        Raises:
            ReadOnlyError: the knowledge base is read-only.
        """
        self._check_writable()
        docs = [d if isinstance(d, Document) else _text_doc(d) for d in documents]
        docs = list({d.doc_id: d for d in docs}.values())  # last one wins per source
        with self._lock:
            return self._index(docs, self.chunking, on_step)

    def _batch(self) -> int:
        return max(1, min(1000, self.client.get_max_batch_size()))

    def _index(self, docs: list[Document], cfg: ChunkConfig, on_step: Progress | None) -> AddReport:
        """Write new versions of ``docs`` chunked with ``cfg``, commit them, drop the old ones.
        The caller holds the write lock."""
        t0 = time.perf_counter()
        known = set(self.document_rows())
        rows: list[tuple[Document, str, list[Any]]] = []
        skipped = []
        for d in docs:
            chunks = chunk_text(d.text, cfg)
            if chunks:
                rows.append((d, uuid.uuid4().hex[:12], chunks))
            else:
                skipped.append(d.source)
        flat = [(d, v, c) for d, v, cs in rows for c in cs]
        done = 0
        for i in range(0, len(flat), WRITE_BATCH):
            part = flat[i : i + WRITE_BATCH]
            vectors = []
            for j in range(0, len(part), EMBED_BATCH):
                vectors.append(
                    self.embedding.encode([c.text for _, _, c in part[j : j + EMBED_BATCH]])
                )
                done += len(part[j : j + EMBED_BATCH])
                if on_step:
                    on_step(done, len(flat))
            self._chunks.upsert(
                ids=[f"{d.doc_id}:{v}:{c.index:04d}" for d, v, c in part],
                embeddings=_concat(vectors),
                documents=[c.text for _, _, c in part],
                metadatas=[
                    {
                        "source": d.source,
                        "doc_id": d.doc_id,
                        "version": v,
                        "index": c.index,
                        "start": c.start,
                        "end": c.end,
                        "n_tokens": c.n_tokens,
                    }
                    for d, v, c in part
                ],
            )
        self._commit([(d, v, len(cs)) for d, v, cs in rows], cfg)
        return AddReport(
            added=tuple(d.source for d, _, _ in rows if d.doc_id not in known),
            replaced=tuple(d.source for d, _, _ in rows if d.doc_id in known),
            skipped=tuple(skipped),
            n_chunks=len(flat),
            seconds=time.perf_counter() - t0,
        )

    def _commit(self, rows: list[tuple[Document, str, int]], cfg: ChunkConfig | None) -> None:
        """Write the document rows (the commit), then delete the chunks of other versions."""
        batch = self._batch()
        for i in range(0, len(rows), batch):
            part = rows[i : i + batch]
            self._docs.upsert(
                ids=[d.doc_id for d, _, _ in part],
                embeddings=[[1.0] for _ in part],
                documents=[d.text for d, _, _ in part],
                metadatas=[
                    {
                        "source": d.source,
                        "chars": len(d.text),
                        "sha": d.sha,
                        "version": v,
                        "n_chunks": n,
                    }
                    for d, v, n in part
                ],
            )
        if cfg is not None and cfg != self.chunking:
            self._set_chunking(cfg)
        ids = sorted({d.doc_id for d, _, _ in rows})
        if ids:
            self._chunks.delete(
                where={
                    "$and": [
                        {"doc_id": {"$in": ids}},
                        {"version": {"$nin": sorted({v for _, v, _ in rows})}},
                    ]
                }
            )
        self._bm25 = None

    def copy_from(self, other: KnowledgeBase) -> int:
        """Copy every committed document of ``other`` with its chunks and vectors (no
        embedding), and its chunk settings; the copy commits like any write.

        Returns:
            The number of chunks copied.
        """
        self._check_writable()
        with self._lock:
            rows = other.document_rows()
            versions = sorted(str(m["version"]) for m in rows.values() if m.get("version"))
            if not versions:
                return 0
            got = other._chunks.get(
                where={"version": {"$in": versions}},
                include=["documents", "metadatas", "embeddings"],
            )
            batch = self._batch()
            for i in range(0, len(got["ids"]), batch):
                self._chunks.upsert(
                    ids=got["ids"][i : i + batch],
                    embeddings=got["embeddings"][i : i + batch],
                    documents=got["documents"][i : i + batch],
                    metadatas=got["metadatas"][i : i + batch],
                )
            docs = [other.get_document(i) for i in rows]
            self._commit(
                [
                    (d, str(rows[d.doc_id]["version"]), int(rows[d.doc_id]["n_chunks"]))
                    for d in docs
                ],
                other.chunking,
            )
            return len(got["ids"])

    def remove_document(self, doc_id: str) -> None:
        """Delete a document and its chunks (the row first: its chunks vanish from reads at once).

        Raises:
            ReadOnlyError: the knowledge base is read-only.
        """
        self._check_writable()
        with self._lock:
            self._docs.delete(ids=[doc_id])
            self._chunks.delete(where={"doc_id": doc_id})
            self._bm25 = None

    def reindex(self, config: ChunkConfig, *, on_step: Progress | None = None) -> AddReport:
        """Rebuild every chunk with new settings (documents are kept; nothing is lost on failure:
        the old chunks stay visible until every new one is stored).

        Args:
            config: the new chunk size and overlap.
            on_step: progress callback, as in :meth:`add_documents`.
        """
        self._check_writable()
        with self._lock:
            docs = [self.get_document(d.doc_id) for d in self.documents()]
            if not docs:
                self._set_chunking(config)
                return AddReport((), (), (), 0, 0.0)
            return self._index(docs, config, on_step)

    # --- reading ---------------------------------------------------------------------------------
    def retrieve(self, question: str, config: Any = None, *, query_embedding: Any = None) -> Any:
        """Retrieve ``question`` once (see :func:`core.rag.retrieval.retrieve`): the hits the
        answers use and the vector ranking alone, from committed documents only.

        Args:
            question: the question (not empty).
            config: a :class:`~core.rag.retrieval.RetrievalConfig` (default: its defaults).
            query_embedding: the question's embedding when already computed (batch evaluation).

        Returns:
            A :class:`~core.rag.retrieval.Retrieval`.

        Raises:
            ValueError: an empty question.
        """
        from core.rag.retrieval import RetrievalConfig, retrieve

        return retrieve(
            self, question, config or RetrievalConfig(), query_embedding=query_embedding
        )

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
        """The ``k`` chunks closest to ``question``, from committed documents only.

        Args:
            question: the question (not empty).
            k: how many chunks to return (1 to 10).
            threshold: drop chunks whose cosine similarity is below it.
            hybrid: fuse the vector ranking with BM25's by reciprocal rank fusion.
            candidates: how deep each ranking goes before fusion (default ``max(4k, 20)``).
            query_embedding: the question's embedding when already computed (batch evaluation).

        Returns:
            Hits, best first, each with its cosine similarity (the hits of :meth:`retrieve`).

        Raises:
            ValueError: empty question or ``k`` outside 1..10.
        """
        from core.rag.retrieval import RetrievalConfig

        config = RetrievalConfig(k=k, threshold=threshold, hybrid=hybrid, candidates=candidates)
        return list(self.retrieve(question, config, query_embedding=query_embedding).hits)

    def answer(self, question: str, model: str = "extractive", k: int = 4, **options: Any) -> Any:
        """Retrieve ``k`` chunks once and answer from them (see
        :func:`core.rag.answering.answer`).

        Args:
            question: the question.
            model: ``"extractive"`` (quote the best sentences) or a causal LM of the catalog.
            k: chunks retrieved.
            **options: ``threshold`` (default none), ``hybrid``, ``retrieve`` (False: answer
                without chunks), ``max_new_tokens``.

        Returns:
            A :class:`~core.rag.answering.RagAnswer` (text, citations, prompt, hits).
        """
        from core.rag.answering import answer
        from core.rag.retrieval import RetrievalConfig

        config = RetrievalConfig(
            k=k, threshold=options.pop("threshold", None), hybrid=options.pop("hybrid", False)
        )
        return answer(self, question, model=model, config=config, **options)


def _concat(parts: list[Any]) -> Any:
    import numpy as np

    return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)


def _text_doc(text: str) -> Document:
    from core.rag.documents import text_document

    digest = hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:8]
    return text_document(f"text-{digest}", text)
