"""core.rag: chunking invariants, uploads, the chromadb store, retrieval recall and answers."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import models
from core.rag import (
    ChunkConfig,
    Document,
    KnowledgeBase,
    UploadError,
    chunk_text,
    count_tokens,
    evaluate_retrieval,
    labelled_questions,
    make_client,
    starter_documents,
    text_document,
    upload_document,
    validate_collection_name,
)
from core.rag.answering import extractive_answer, split_sentences
from core.rag.generation import TINY_CONTEXT_TOKENS, chat_messages, generated_answer
from core.rag.keyword import BM25Index, keyword_tokens, rrf

TEXT = " ".join(starter_documents()[0].text.split()[:150])

# Measured on the starter notes with the default chunking (size 120, overlap 30):
# vector recall@1 = 0.91, recall@3 = 1.0; the floors leave room for small numeric drift.
RECALL_FLOOR = {1: 0.8, 3: 0.95, 5: 0.95}


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    kb = KnowledgeBase(tmp_path_factory.mktemp("kb"), collection="starter")
    kb.add_documents(starter_documents())
    return kb


# --- chunking ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "size,overlap", [(4, 0), (8, 3), (16, 8), (32, 0), (64, 16), (120, 30), (250, 249), (250, 0)]
)
def test_chunk_windows_cover_the_text_with_exact_overlap(size, overlap):
    cfg = ChunkConfig(size, overlap)
    chunks = chunk_text(TEXT, cfg)
    n = count_tokens(TEXT)
    assert chunks[0].token_start == 0 and chunks[-1].token_end == n
    assert all(c.n_tokens == size for c in chunks[:-1]) and 0 < chunks[-1].n_tokens <= size
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.token_end - b.token_start == overlap  # shared tokens
        assert b.token_start - a.token_start == size - overlap
    for c in chunks:
        assert TEXT[c.start : c.end] == c.text
    assert len(chunks) == max(1, -(-(n - overlap) // (size - overlap)))


@settings(max_examples=25, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    size=st.integers(4, 40),
    data=st.data(),
)
def test_chunks_are_exact_slices_for_any_text(text, size, data):
    overlap = data.draw(st.integers(0, size - 1))
    chunks = chunk_text(text, ChunkConfig(size, overlap))
    assert (chunks == []) == (count_tokens(text) == 0)
    for c in chunks:
        assert text[c.start : c.end] == c.text and c.n_tokens <= size


@pytest.mark.parametrize(
    "size,overlap,msg",
    [
        (2, 0, "between 4 and 250"),
        (300, 0, "between 4 and 250"),
        (64, 64, "smaller than"),
        (64, -1, "at least 0"),
    ],
)
def test_chunk_config_rejects_bad_values(size, overlap, msg):
    with pytest.raises(ValueError, match=msg):
        ChunkConfig(size, overlap)


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


def _never_read() -> bytes:
    raise AssertionError("read() must not be called")


def _pdf(text: str) -> bytes:
    """A one-page PDF with a text layer, written by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


@pytest.mark.parametrize(
    "name,size,data,msg",
    [
        ("big.txt", 50 * 2**20, None, "the limit is"),
        ("empty.txt", 0, b"", "is empty"),
        ("tool.exe", 10, b"MZ\x90\x00", "only .txt"),
        ("blob.txt", 6, b"\x00\x01\x02ab\x00", "binary"),
        ("spaces.md", 3, b"   ", "empty"),
        (
            "broken.pdf",
            30,
            b"%PDF-1.4\nthis is not really a pdf",
            "could not be read|no extractable",
        ),
        ("fake.pdf", 5, b"hello", "not a PDF"),
    ],
)
def test_hostile_uploads_are_refused_with_a_clear_message(name, size, data, msg):
    with pytest.raises(UploadError, match=msg):
        upload_document(name, size, _never_read if data is None else (lambda: data))


def test_text_and_pdf_uploads_become_documents():
    doc = upload_document(
        "../../etc/notes.md", 12, lambda: "Hello \ud800 notes".encode("utf-8", "surrogatepass")
    )
    assert doc.source == "notes.md" and "Hello" in doc.text
    pdf = _pdf("Retrieval finds passages")
    doc = upload_document("paper.pdf", len(pdf), lambda: pdf)
    assert doc.source == "paper.pdf" and "Retrieval finds passages" in doc.text


def test_pasted_text_is_cleaned_and_cut():
    doc = text_document("notes", "x" * 200_000)
    assert len(doc.text) == 100_000 and doc.notes
    with pytest.raises(UploadError, match="empty"):
        text_document("notes", " \n ")


# --- embeddings ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw_st():
    """A separate, plain sentence-transformers model: the reference."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(models.model_path("minilm"), device="cpu")


def test_embedding_function_equals_sentence_transformers_encode(kb, raw_st):
    texts = ["What is attention?", "Quantization stores weights with fewer bits.", "é 東京"]
    ours = np.stack(kb.embedding(texts))  # chromadb's protocol: list of vectors
    ref = raw_st.encode(texts, normalize_embeddings=True)
    assert ours.shape == (3, 384)
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    stored = kb._chunks.get(limit=2, include=["documents", "embeddings"])
    np.testing.assert_allclose(
        np.asarray(stored["embeddings"]),
        raw_st.encode(stored["documents"], normalize_embeddings=True),
        atol=1e-5,
    )
    assert kb.embedding.name() == "genai_playground_minilm" and not kb.embedding.is_legacy()


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


# --- retrieval quality ---------------------------------------------------------------------------
@pytest.mark.parametrize("hybrid", [False, True])
def test_recall_at_k_on_the_labelled_questions(kb, hybrid):
    ev = evaluate_retrieval(kb, labelled_questions(), ks=(1, 3, 5), hybrid=hybrid)
    assert len(ev.results) == 35
    for k, floor in RECALL_FLOOR.items():
        assert ev.recall[k] >= floor, (k, ev.recall, [r for r in ev.results if r.rank != 1])
    assert ev.recall[1] <= ev.recall[3] <= ev.recall[5] and ev.doc_recall[1] >= ev.recall[1]


def test_bm25_scores_equal_rank_bm25_and_rrf_adds_reciprocal_ranks():
    from rank_bm25 import BM25Okapi

    texts = ["the cat sat", "dogs bark loudly", "a cat and a dog"]
    idx = BM25Index(["a", "b", "c"], texts)
    ref = BM25Okapi([keyword_tokens(t) for t in texts]).get_scores(["cat"])
    got = dict(idx.search("the cat?", 3))
    assert got == pytest.approx({"a": ref[0], "c": ref[2]})
    assert rrf([["x", "y"], ["y"]]) == [("y", 1 / 62 + 1 / 61), ("x", 1 / 61)]


def test_hybrid_hits_carry_both_ranks(kb):
    hits = kb.query("QLoRA", 4, hybrid=True)
    top_kw = next(h for h in hits if h.keyword_rank == 1)
    assert top_kw.source == "lora.md" and "QLoRA" in top_kw.text and top_kw.rank <= 2
    assert all(h.fused_score is not None for h in hits)
    fused = [h.fused_score for h in hits]
    assert fused == sorted(fused, reverse=True)


# --- answers -------------------------------------------------------------------------------------
def test_extractive_answer_quotes_cited_chunks(kb):
    ans = kb.answer("What does a temperature above 1 do?", "extractive", k=4)
    assert ans.prompt == "" and ans.citations
    for n in map(int, re.findall(r"\[(\d+)\]", ans.text)):
        assert 1 <= n <= len(ans.hits)
    for s in (s for s in ans.sentences if s.used):
        assert s.sentence in ans.text and s.sentence in ans.hits[s.hit - 1].text
    assert "flattens" in ans.text
    empty = extractive_answer("anything", [], kb.embedding)
    assert empty.citations == () and "nothing to quote" in empty.text


def test_sentence_split_drops_headings_and_cut_pieces():
    text = "ing the end of a cut. # Title\nFirst whole one. Second whole one! and a cut-off"
    assert split_sentences(text) == ["First whole one.", "Second whole one!"]


def test_tiny_gpt_answers_in_its_training_format(kb):
    ans = generated_answer(
        "Where does Tom live?",
        [_hit("Tom lives in Paris. Tom has a red kite.")],
        "tiny-gpt",
        kb.embedding,
    )
    assert ans.prompt.startswith("Context: Tom lives in Paris.")
    assert ans.prompt.endswith("\nQuestion: Where does Tom live?\nAnswer:")
    assert len(models.load_tokenizer("tiny-gpt").encode(ans.prompt)) <= TINY_CONTEXT_TOKENS + 20
    assert ans.text.startswith("Paris") and ans.citations[0].number == 1  # copy mode
    assert ans.text.removesuffix(" [1]") in "Tom lives in Paris. Tom has a red kite."
    blind = generated_answer("Where does Tom live?", [], "tiny-gpt", kb.embedding, retrieve=False)
    assert blind.prompt == "Q: Where does Tom live?\nA:" and blind.citations == ()


def _hit(text: str):
    from core.rag import Hit

    return Hit("doc-x:0000", text, 0.9, "x.txt", "doc-x", 0, 0, len(text), 1)


def test_hub_chat_model_offline_is_a_clear_error(kb):
    with pytest.raises(models.ModelUnavailableError, match="offline model"):
        kb.answer("What is RAG?", "smollm2-135m-instruct", k=2)
    msgs = chat_messages("What is RAG?", [_hit("RAG retrieves."), _hit("Then generates.")])
    assert msgs[0]["role"] == "system" and "[2] (x.txt) Then generates." in msgs[1]["content"]
