"""One retrieval per RAG turn: the settings' ranges, and a turn that answers three ways (extractive,
generated with and without chunks) and draws the hybrid table from one search of the store."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from core.knobs import spec
from core.rag import KnowledgeBase, Retrieval, RetrievalConfig
from core.rag.answering import answer, answer_from_hits
from core.rag.keyword import rrf

QUESTION = "What is QLoRA?"


class CountingCollection:
    """A chromadb collection that counts its similarity searches (``query``)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.queries = inner, 0

    def query(self, *a: Any, **kw: Any) -> Any:
        self.queries += 1
        return self.inner.query(*a, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def counted(kb, monkeypatch) -> CountingCollection:
    chunks = CountingCollection(kb._chunks)
    monkeypatch.setattr(kb, "_chunks", chunks)
    return chunks


# --- the settings --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad,message",
    [
        ({"k": 0}, "k must be between 1 and 10"),
        ({"k": 11}, "k must be between 1 and 10"),
        ({"k": 2.5}, "k must be a whole number"),
        ({"k": True}, "k must be a whole number"),
        ({"threshold": 1.5}, "threshold must be between -1 and 1"),
        ({"threshold": -1.01}, "threshold must be between"),
        ({"candidates": 0}, "candidates must be between 1 and 1,000"),
        ({"rrf_k": 0}, "rrf_k must be between 1 and 1,000"),
        ({"hybrid": "yes"}, "hybrid must be True or False"),
    ],
)
def test_config_rejects_values_outside_their_range(bad, message):
    with pytest.raises(ValueError, match=message):
        RetrievalConfig(**bad)


def test_config_fields_carry_default_help_and_range():
    cfg = RetrievalConfig()
    assert (cfg.k, cfg.threshold, cfg.hybrid, cfg.candidates, cfg.rrf_k) == (
        4,
        0.25,
        False,
        None,
        60,
    )
    for f in fields(RetrievalConfig):
        k = spec(RetrievalConfig, f.name)
        assert k.default == getattr(cfg, f.name) and k.help
        if k.lo is not None:
            assert k.lo < k.hi
    assert RetrievalConfig(threshold=None).threshold is None  # no threshold at all
    with pytest.raises((KeyError, ValueError)):
        spec(RetrievalConfig, "temperature")


@pytest.mark.parametrize(
    "config,depth",
    [
        (RetrievalConfig(k=4), 4),
        (RetrievalConfig(k=4, candidates=9), 9),
        (RetrievalConfig(k=4, hybrid=True), 20),
        (RetrievalConfig(k=8, hybrid=True), 32),
        (RetrievalConfig(k=8, hybrid=True, candidates=3), 8),
    ],
)
def test_depth_of_each_ranking(config, depth):
    assert config.depth == depth


# --- one retrieval per turn ----------------------------------------------------------------------
def test_a_turn_searches_the_store_once_and_every_answerer_uses_its_hits(kb, counted):
    retrieval = kb.retrieve(QUESTION, RetrievalConfig(hybrid=True, threshold=0.2))
    ext = answer_from_hits(retrieval, model="extractive", embedding=kb.embedding)
    gen = answer_from_hits(retrieval, model="tiny-gpt", embedding=kb.embedding)
    blind = answer_from_hits(retrieval, model="tiny-gpt", embedding=kb.embedding, retrieve=False)
    assert counted.queries == 1
    assert retrieval.hits and ext.hits == gen.hits == retrieval.hits
    assert blind.hits == () and not blind.retrieval and blind.question == QUESTION
    assert ext.question == gen.question == QUESTION


def test_answer_from_a_given_retrieval_searches_nothing(kb, counted):
    retrieval = kb.retrieve(QUESTION, RetrievalConfig(k=2))
    assert counted.queries == 1
    ans = answer(kb, QUESTION, retrieval=retrieval)
    assert counted.queries == 1 and ans.hits == retrieval.hits
    answer(kb, QUESTION, model="extractive", retrieve=False)
    assert counted.queries == 1  # no chunks asked for: no search
    answer(kb, QUESTION, config=RetrievalConfig(k=2))
    assert counted.queries == 2


@pytest.mark.parametrize("k", [1, 4, 7])
def test_the_hybrid_table_ranks_are_the_answerers_hits(kb, k):
    """The vector ranking drawn beside the fused one is the vector search alone, and the fused
    hits carry the ranks and scores the fusion combined."""
    config = RetrievalConfig(k=k, hybrid=True, threshold=None)
    retrieval = kb.retrieve(QUESTION, config)
    alone = kb.retrieve(QUESTION, RetrievalConfig(k=k, threshold=None))
    assert [h.chunk_id for h in retrieval.vector_hits] == [h.chunk_id for h in alone.hits]
    assert [h.rank for h in retrieval.vector_hits] == list(range(1, k + 1))
    assert retrieval.hits == tuple(kb.query(QUESTION, k, hybrid=True))
    assert [h.rank for h in retrieval.hits] == list(range(1, len(retrieval.hits) + 1))
    vector_ids = [h.chunk_id for h in kb.retrieve(QUESTION, RetrievalConfig(k=10)).hits]
    for h in retrieval.hits:
        if h.chunk_id in vector_ids:
            assert h.vector_rank == vector_ids.index(h.chunk_id) + 1
        assert h.fused_score is not None and h.fused_score > 0
        assert (h.keyword_rank is None) == (h.keyword_score is None)
        ranks = [r for r in (h.vector_rank, h.keyword_rank) if r is not None]
        assert h.fused_score == pytest.approx(sum(1 / (60 + r) for r in ranks))
    fused = [h.fused_score for h in retrieval.hits]
    assert fused == sorted(fused, reverse=True)


def test_without_hybrid_the_vector_ranking_is_the_hits(kb):
    retrieval = kb.retrieve(QUESTION, RetrievalConfig(k=3, threshold=None))
    assert retrieval.vector_hits == retrieval.hits
    assert all(h.keyword_rank is None and h.fused_score is None for h in retrieval.hits)
    assert [h.vector_rank for h in retrieval.hits] == [1, 2, 3]


@pytest.mark.parametrize("hybrid", [False, True])
@pytest.mark.parametrize("threshold", [None, 0.3, 0.5, 0.99])
def test_a_threshold_filters_the_one_retrieval_like_a_search_at_it(kb, counted, hybrid, threshold):
    unfiltered = kb.retrieve(QUESTION, RetrievalConfig(k=6, hybrid=hybrid, threshold=None))
    direct = kb.retrieve(QUESTION, RetrievalConfig(k=6, hybrid=hybrid, threshold=threshold))
    assert counted.queries == 2
    filtered = unfiltered.at_threshold(threshold)
    assert filtered.hits == direct.hits and filtered.vector_hits == direct.vector_hits
    assert filtered.config == direct.config
    assert filtered.at_threshold(None).hits == unfiltered.hits  # nothing lost by filtering
    assert all(threshold is None or h.score >= threshold for h in filtered.hits)


def test_an_empty_store_and_an_empty_question(tmp_path):
    empty = KnowledgeBase(tmp_path, collection="empty")
    got = empty.retrieve(QUESTION, RetrievalConfig(hybrid=True))
    assert got.hits == got.vector_hits == () and got.question == QUESTION
    with pytest.raises(ValueError, match="Type a question"):
        empty.retrieve("   ")
    assert Retrieval.none(" Why? ").question == "Why?"


def test_rrf_constant_is_a_setting(kb):
    ids = [h.chunk_id for h in kb.retrieve(QUESTION, RetrievalConfig(k=10)).hits]
    config = RetrievalConfig(k=4, hybrid=True, rrf_k=1, threshold=None)
    hits = kb.retrieve(QUESTION, config).hits
    for h in hits:
        ranks = [r for r in (h.vector_rank, h.keyword_rank) if r is not None]
        assert h.fused_score == pytest.approx(sum(1 / (1 + r) for r in ranks))
    assert rrf([ids], k=1)[0][1] == pytest.approx(0.5)


def test_hybrid_hits_carry_both_ranks(kb):
    hits = kb.query("QLoRA", 4, hybrid=True)
    top_kw = next(h for h in hits if h.keyword_rank == 1)
    assert top_kw.source == "lora.md" and "QLoRA" in top_kw.text and top_kw.rank <= 2
    assert all(h.fused_score is not None for h in hits)
    fused = [h.fused_score for h in hits]
    assert fused == sorted(fused, reverse=True)
