"""core.align.pairs and uploads: the shipped set from the corpus grammar, rankings as pairs,
and the hostile inputs (empty pair, identical chosen/rejected, a 10k-pair upload)."""

from __future__ import annotations

import json

import pytest

from core import corpus
from core.align import (
    MAX_PAIRS,
    Pair,
    PairError,
    PreferenceConfig,
    pairs_from_ranking,
    parse_pairs,
    preference_set,
)


def test_the_shipped_set_is_seeded_and_mixes_the_three_kinds():
    a, b = preference_set(), preference_set()
    assert a == b
    assert preference_set(PreferenceConfig(seed=1)).train != a.train
    assert len(a.train) == 240 and len(a.heldout) == 60
    for split in (a.train, a.heldout):
        kinds = [p.kind for p in split]
        assert {k: kinds.count(k) for k in set(kinds)} == {
            "grounded": len(split) // 3,
            "format": len(split) // 3,
            "polite": len(split) // 3,
        }


def test_no_heldout_prompt_is_a_training_prompt():
    ps = preference_set()
    assert not {p.prompt for p in ps.train} & {p.prompt for p in ps.heldout}


def test_the_kinds_say_what_they_claim():
    ps = preference_set()
    for p in ps.train:
        if p.kind == "grounded":
            passage = p.prompt.split("\n")[0]
            assert p.chosen.split(",")[0].strip() in passage
            assert p.rejected.split(",")[0].strip() not in passage
        elif p.kind == "format":
            label = p.chosen.strip()
            assert any(label in pair for pair in corpus.LABEL_PAIRS)
            assert p.rejected.endswith(label) and len(p.rejected) > 3 * len(p.chosen)
        else:
            assert p.chosen.split(",")[0] == p.rejected.split(",")[0]  # the same answer


@pytest.mark.parametrize(
    ("prompt", "chosen", "rejected", "match"),
    [
        ("", " a", " b", "prompt is empty"),
        ("Q:", "  ", " b", "chosen is empty"),
        ("Q:", " a", "", "rejected is empty"),
        ("Q:", " same", "same ", "the same"),
        ("Q:", "x" * 2001, " b", "longer than"),
    ],
)
def test_a_bad_pair_is_refused_plainly(prompt, chosen, rejected, match):
    with pytest.raises(PairError, match=match):
        Pair(prompt, chosen, rejected)


@pytest.mark.parametrize(("n", "pairs"), [(2, 1), (3, 3), (4, 6)])
def test_a_ranking_of_n_gives_n_choose_2_pairs_better_first(n, pairs):
    ranked = [f" answer {i}" for i in range(n)]
    out = pairs_from_ranking("Q:", ranked)
    assert len(out) == pairs
    for p in out:
        assert ranked.index(p.chosen) < ranked.index(p.rejected)


def test_a_ranking_drops_duplicates_and_needs_two_different():
    assert len(pairs_from_ranking("Q:", [" a", " a", " b"])) == 1
    with pytest.raises(PairError, match="two different"):
        pairs_from_ranking("Q:", [" a", " a", "  "])


def test_an_upload_keeps_good_rows_and_counts_the_bad():
    data = "prompt,chosen,rejected\nQ1:, yes, no\nQ2:, same, same\n,x,y\nQ3:, up, down\n"
    up = parse_pairs(data.encode(), "mine.csv")
    assert [p.prompt for p in up.pairs] == ["Q1:", "Q3:"]
    assert up.skipped == 2 and "row 2" in up.reasons[0]
    rows = [{"prompt": "Q:", "chosen": " a", "rejected": " b"}]
    assert len(parse_pairs("\n".join(map(json.dumps, rows)).encode(), "m.jsonl").pairs) == 1


@pytest.mark.parametrize(
    ("data", "name", "match"),
    [
        (b"", "e.csv", "no rows"),
        (b"prompt,good,bad\nQ,a,b\n", "c.csv", "lacks the column"),
        (b"prompt,chosen,rejected\nQ, a, a\n", "s.csv", "no usable pair"),
        (b"{not json\n", "j.jsonl", "not JSON"),
    ],
)
def test_an_unusable_upload_is_refused_plainly(data, name, match):
    with pytest.raises(PairError, match=match):
        parse_pairs(data, name)


def test_a_10k_pair_upload_is_refused_with_the_limit():
    rows = "".join(f"Q{i}:, yes {i}, no {i}\n" for i in range(10_000))
    with pytest.raises(PairError, match=f"10,000 pairs.*{MAX_PAIRS:,}"):
        parse_pairs(("prompt,chosen,rejected\n" + rows).encode(), "big.csv")
