"""RAG: a chromadb knowledge base over MiniLM embeddings, hybrid retrieval and cited answers.

``KnowledgeBase(path_or_client)`` with ``add_documents``, ``chunk``,
``retrieve(question, RetrievalConfig) -> Retrieval`` (one search: the hits and the vector ranking
alone), ``query(question, k) -> list[Hit]`` and ``answer(question, model, k) -> RagAnswer``;
``SessionKnowledgeBases`` gives each browser session its own knowledge base over the shared,
read-only starter notes. Importing this package stays light: chromadb, torch and transformers
load on first use.

Modules: :mod:`~core.rag.chunking` (token windows), :mod:`~core.rag.documents` (uploads, starter
notes), :mod:`~core.rag.embedding` (chromadb embedding function), :mod:`~core.rag.store` (the
knowledge base), :mod:`~core.rag.retrieval` (one retrieval per question),
:mod:`~core.rag.keyword` (BM25, fusion), :mod:`~core.rag.answering`,
:mod:`~core.rag.evaluation` (recall@k).
"""

from __future__ import annotations

from core.rag.answering import EXTRACTIVE, Citation, RagAnswer, SentenceScore
from core.rag.chunking import MAX_CHUNK_TOKENS, Chunk, ChunkConfig, chunk_text, count_tokens
from core.rag.documents import (
    MAX_UPLOAD_BYTES,
    UPLOAD_TYPES,
    Document,
    UploadError,
    labelled_questions,
    starter_documents,
    text_document,
    upload_document,
)
from core.rag.evaluation import RetrievalEval, evaluate_retrieval
from core.rag.retrieval import Retrieval, RetrievalConfig
from core.rag.sessions import (
    STARTER_COLLECTION,
    KbView,
    SessionKnowledgeBases,
    session_collection,
)
from core.rag.store import (
    DEFAULT_COLLECTION,
    AddReport,
    Hit,
    KnowledgeBase,
    ReadOnlyError,
    StoredDocument,
    apply_threshold,
    make_client,
    validate_collection_name,
)

__all__ = [
    "DEFAULT_COLLECTION",
    "EXTRACTIVE",
    "MAX_CHUNK_TOKENS",
    "MAX_UPLOAD_BYTES",
    "STARTER_COLLECTION",
    "UPLOAD_TYPES",
    "AddReport",
    "Chunk",
    "ChunkConfig",
    "Citation",
    "Document",
    "Hit",
    "KbView",
    "KnowledgeBase",
    "RagAnswer",
    "ReadOnlyError",
    "Retrieval",
    "RetrievalConfig",
    "RetrievalEval",
    "SentenceScore",
    "SessionKnowledgeBases",
    "StoredDocument",
    "UploadError",
    "apply_threshold",
    "chunk_text",
    "count_tokens",
    "evaluate_retrieval",
    "labelled_questions",
    "make_client",
    "session_collection",
    "starter_documents",
    "text_document",
    "upload_document",
    "validate_collection_name",
]
