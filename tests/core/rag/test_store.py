"""core.rag.store and client: names validated, nothing lost across clients, re-index, query."""

from __future__ import annotations

import pytest

from core.rag import (
    ChunkConfig,
    Document,
    KnowledgeBase,
    chunk_text,
    make_client,
    validate_collection_name,
)


# --- names and uploads ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name,msg",
    [
        ("class/notes", "slashes"),
        ("a\\b", "slashes"),
        ("x", "not a valid"),
        ("", "not a valid"),
        ("my__kb", "double underscore"),
        ("-lead", "not a valid"),
        ("é-notes", "not a valid"),
    ],
)
def test_collection_names_are_validated(name, msg):
    with pytest.raises(ValueError, match=msg):
        validate_collection_name(name)


def test_good_collection_name_is_kept():
    assert validate_collection_name("  class-2026_notes ") == "class-2026_notes"


# --- store ---------------------------------------------------------------------------------------
def test_store_survives_a_new_client_on_the_same_path(tmp_path):
    from chromadb.api.shared_system_client import SharedSystemClient

    kb = KnowledgeBase(tmp_path, collection="persist", chunking=ChunkConfig(32, 8))
    kb.add_documents([Document("a.txt", "Paris is the capital of France."), "Rome is in Italy."])
    before = (kb.count(), [d.source for d in kb.documents()], kb.chunking)
    SharedSystemClient.clear_system_cache()  # forget the in-process client: read from disk
    again = KnowledgeBase(make_client(tmp_path), collection="persist")
    assert (again.count(), [d.source for d in again.documents()], again.chunking) == before
    assert again.query("capital of France", 1)[0].source == "a.txt"


def test_replace_reindex_and_remove_lose_nothing(tmp_path):
    kb = KnowledgeBase(tmp_path, collection="edits", chunking=ChunkConfig(16, 4))
    long = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(30))
    kb.add_documents([Document("long.txt", long), Document("short.txt", "A short note.")])
    n_long = len(chunk_text(long, ChunkConfig(16, 4)))
    assert kb.count() == n_long + 1
    rep = kb.add_documents([Document("long.txt", "Now it is short.")])
    assert rep.replaced == ("long.txt",) and kb.count() == 2  # stale chunks are gone
    steps = []
    kb.add_documents([Document("long.txt", long)])
    rep = kb.reindex(ChunkConfig(64, 0), on_step=lambda i, n: steps.append((i, n)))
    assert kb.chunking == ChunkConfig(64, 0) and steps[-1][0] == steps[-1][1] == rep.n_chunks
    assert kb.count() == len(chunk_text(long, ChunkConfig(64, 0))) + 1
    assert kb.get_document(Document("long.txt", "x").doc_id).text == long
    assert {d.source for d in kb.documents()} == {"long.txt", "short.txt"}
    kb.remove_document(Document("short.txt", "x").doc_id)
    assert [d.source for d in kb.documents()] == ["long.txt"]


def test_query_validates_and_returns_cosine_scores(kb, raw_st):
    with pytest.raises(ValueError, match="Type a question"):
        kb.query("   ")
    with pytest.raises(ValueError, match="k must be"):
        kb.query("attention", 0)
    hits = kb.query("How does LoRA scale its update?", 3)
    assert [h.rank for h in hits] == [1, 2, 3] and hits[0].source == "lora.md"
    assert all(-1 <= h.score <= 1 for h in hits) and hits[0].score >= hits[1].score >= hits[2].score
    q, c = raw_st.encode(
        ["How does LoRA scale its update?", hits[0].text], normalize_embeddings=True
    )
    assert hits[0].score == pytest.approx(float(q @ c), abs=1e-4)
    assert kb.query("How does LoRA scale its update?", 3, threshold=0.99) == []
