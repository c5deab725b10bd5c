"""core.metrics.align: clipped n-gram matches and the LCS agree with the scores."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core import metrics as M


def test_matches_are_clipped_and_lcs_has_rouge_l_length():
    m = M.ngram_matches("the the the cat".split(), "the cat".split(), 1)
    assert m.matched == 2 and m.clipped == 2
    assert m.candidate_mask == (True, False, False, True)
    assert m.clipped_mask == (False, True, True, False)
    cand, ref = M.rouge_tokens("the mat is on the cat"), M.rouge_tokens("the cat is on the mat")
    lc = M.lcs(cand, ref)
    assert [ref[i] for i, _ in lc.pairs] == [cand[j] for _, j in lc.pairs]
    r = M.rouge(["the mat is on the cat"], ["the cat is on the mat"]).corpus["rougeL"]
    assert r.recall == lc.length / len(ref)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from("a b c d the cat".split()), max_size=12),
    st.lists(st.sampled_from("a b c d the dog".split()), max_size=12),
    st.integers(1, 3),
)
def test_ngram_matches_agree_with_rouge_n(cand, ref, n):
    m = M.ngram_matches(cand, ref, n)
    if cand and ref:
        r = M.rouge([" ".join(cand)], [" ".join(ref)], rouge_types=[f"rouge{n}"])
        assert r.corpus[f"rouge{n}"].precision == m.matched / max(m.candidate_total, 1)
    assert M.lcs(cand, ref).length <= min(len(cand), len(ref))
