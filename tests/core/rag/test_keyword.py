"""core.rag.keyword: BM25 equals rank_bm25, and RRF adds reciprocal ranks."""

from __future__ import annotations

import pytest

from core.rag.keyword import BM25Index, keyword_tokens, rrf


def test_bm25_scores_equal_rank_bm25_and_rrf_adds_reciprocal_ranks():
    from rank_bm25 import BM25Okapi

    texts = ["the cat sat", "dogs bark loudly", "a cat and a dog"]
    idx = BM25Index(["a", "b", "c"], texts)
    ref = BM25Okapi([keyword_tokens(t) for t in texts]).get_scores(["cat"])
    got = dict(idx.search("the cat?", 3))
    assert got == pytest.approx({"a": ref[0], "c": ref[2]})
    assert rrf([["x", "y"], ["y"]]) == [("y", 1 / 62 + 1 / 61), ("x", 1 / 61)]
