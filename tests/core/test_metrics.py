"""core.metrics: scores equal rouge_score and sacrebleu exactly; evaluate modules load offline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF

from core import metrics as M
from tests.conftest import ROOT

PREDS = [
    "The cat is sleeping on the sofa.",
    "I would like a cup of coffee, please.",
    "We go to the beach tomorrow morning.\nIt will be sunny.",
    "Paris",
    "running dogs were barking loudly",
]
REFS = [
    ["The cat is asleep on the couch.", "A cat sleeps on the sofa."],
    ["I would like a cup of coffee, please."],
    ["Tomorrow morning we are going to the beach.\nThe sun will shine."],
    ["Paris", "It is Paris."],
    ["the dog runs and barks loudly"],
]


def _streams(refs):
    width = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(width)]


@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"use_stemmer": True},
        {"rouge_types": ("rouge1", "rougeLsum")},
        {"tokenizer": "unicode"},
        {"tokenizer": "char", "rouge_types": ("rouge2", "rougeL")},
    ],
)
def test_rouge_equals_rouge_score(opts):
    r = M.rouge(PREDS, REFS, **opts)
    types = list(opts.get("rouge_types", M.ROUGE_TYPES))
    tok = opts.get("tokenizer", "default")
    scorer = rouge_scorer.RougeScorer(
        types,
        use_stemmer=opts.get("use_stemmer", False),
        tokenizer=None if tok == "default" else M.rouge_tokenizer(tok),
    )
    for pair, pred, refs in zip(r.per_pair, PREDS, REFS, strict=True):
        want = scorer.score_multi(refs, pred)
        for t in types:
            assert (pair[t].precision, pair[t].recall, pair[t].fmeasure) == tuple(want[t])
    for t in types:
        expected = np.mean(
            [scorer.score_multi(g, p)[t].fmeasure for p, g in zip(PREDS, REFS, strict=True)]
        )
        assert r.corpus[t].fmeasure == pytest.approx(expected, abs=1e-12)


def test_sentence_split_feeds_rouge_lsum():
    pred, ref = "The dog ran. The cat sat.", "The cat sat. The dog ran."
    split = M.rouge([pred], [ref], split_sentences=True).corpus
    plain = M.rouge([pred], [ref]).corpus
    assert plain["rougeLsum"] == plain["rougeL"]
    assert split["rougeLsum"].fmeasure == 1.0 > split["rougeL"].fmeasure
    want = rouge_scorer.RougeScorer(["rougeLsum"]).score(
        M.split_sentences(ref), M.split_sentences(pred)
    )
    assert split["rougeLsum"].fmeasure == want["rougeLsum"].fmeasure


def test_stemming_changes_rouge():
    plain = M.rouge(["the dogs were running"], ["the dog runs"]).corpus["rouge1"].fmeasure
    stem = M.rouge(["the dogs were running"], ["the dog runs"], use_stemmer=True)
    assert stem.corpus["rouge1"].fmeasure > plain


@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"tokenize": "intl", "lowercase": True},
        {"smooth_method": "floor", "smooth_value": 0.1},
        {"smooth_method": "add-k"},
        {"smooth_method": "none", "max_ngram_order": 2},
        {"effective_order": True},
        {"tokenize": "char"},
        {"tokenize": "zh"},
    ],
)
def test_bleu_equals_sacrebleu(opts):
    b = M.bleu(PREDS, REFS, **opts)
    metric = BLEU(**opts)
    want = metric.corpus_score(PREDS, _streams(REFS))
    assert b.score == want.score
    assert list(b.counts) == list(want.counts) and list(b.totals) == list(want.totals)
    assert list(b.precisions) == list(want.precisions)
    assert (b.bp, b.sys_len, b.ref_len) == (want.bp, want.sys_len, want.ref_len)
    assert b.signature == str(metric.get_signature())
    sent = BLEU(**{**opts, "effective_order": True})
    for got, p, r in zip(b.sentence_scores, PREDS, REFS, strict=True):
        assert got == sent.sentence_score(p, r).score


def test_bleu_alone_without_effective_order_is_zero_for_short_candidates():
    b = M.bleu(["Paris", "a dog"], [["Paris"], ["a dog"]])
    assert b.per_sentence(effective_order=False) == (0.0, 0.0)
    assert b.sentence_scores == pytest.approx((100.0, 100.0))
    assert (
        b.per_sentence(effective_order=False)[0]
        == BLEU().corpus_score(["Paris"], [["Paris"]]).score
    )


@pytest.mark.parametrize("opts", [{}, {"word_order": 2}, {"lowercase": True, "beta": 1}])
def test_chrf_equals_sacrebleu(opts):
    c = M.chrf(PREDS, REFS, **opts)
    metric = CHRF(**opts)
    assert c.score == metric.corpus_score(PREDS, _streams(REFS)).score
    assert c.signature == str(metric.get_signature())
    for got, p, r in zip(c.sentence_scores, PREDS, REFS, strict=True):
        assert got == pytest.approx(CHRF(**opts).sentence_score(p, r).score, abs=1e-9)


@pytest.mark.parametrize(
    ("preds", "refs", "message"),
    [
        ([], [], "no candidate"),
        (["a", "b"], ["a"], "2 candidate(s) but 1 reference"),
        (["a"], [[]], "no reference"),
        ("a", ["a"], "lists of strings"),
    ],
)
def test_bad_inputs_are_plain_errors(preds, refs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        M.bleu(preds, refs)


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (M.BleuConfig, {"tokenize": "moses"}),
        (M.BleuConfig, {"smooth_method": "magic"}),
        (M.RougeConfig, {"rouge_types": ("rougeX",)}),
        (M.RougeConfig, {"tokenizer": "char", "use_stemmer": True}),
        (M.ChrfConfig, {"word_order": 9}),
    ],
)
def test_configs_validate(cls, kwargs):
    with pytest.raises(ValueError):
        cls(**kwargs)


def test_bootstrap_ci_contains_point_and_is_seeded():
    r, b, c = M.rouge(PREDS, REFS), M.bleu(PREDS, REFS), M.chrf(PREDS, REFS)
    for result in (r, b, c):
        cis = M.bootstrap_ci(result, n_resamples=300, seed=7)
        again = M.bootstrap_ci(result, n_resamples=300, seed=7)
        other = M.bootstrap_ci(result, n_resamples=300, seed=8)
        assert cis == again
        assert cis != other
        for iv in cis.values():
            assert iv.low <= iv.point <= iv.high
            assert iv.low < iv.high


@pytest.mark.parametrize(
    ("n_pairs", "informative"), [(1, False), (2, False), (M.MIN_PAIRS, True), (5, True)]
)
def test_bootstrap_interval_says_when_it_has_too_few_pairs(n_pairs, informative):
    preds, refs = PREDS[:n_pairs], REFS[:n_pairs]
    for result in (M.rouge(preds, refs), M.bleu(preds, refs), M.chrf(preds, refs)):
        for iv in M.bootstrap_ci(result, n_resamples=100).values():
            assert iv.n_pairs == n_pairs
            assert iv.informative is informative


def test_one_pair_bootstrap_is_zero_width():
    """The reason for MIN_PAIRS: one pair resamples to itself, so low == point == high."""
    iv = M.bootstrap_ci(M.bleu(PREDS[:1], REFS[:1]), n_resamples=100)["bleu"]
    assert iv.low == iv.point == iv.high and not iv.informative


def test_bootstrap_matches_sacrebleu_resampling_scheme():
    """Recomputing from resampled summed statistics = scoring the resampled corpus."""
    b = M.bleu(PREDS, REFS)
    idx = [0, 0, 3, 4, 1]
    stats = np.asarray(b.stats)[idx].sum(axis=0)
    direct = BLEU().corpus_score([PREDS[i] for i in idx], _streams([REFS[i] for i in idx]))
    assert M.scores._bleu_from_stats(stats, b.config, effective_order=False) == direct.score


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


def test_rouge_default_tokenizer_drops_non_latin():
    assert M.rouge_tokens("今天天气很好 ok") == ["ok"]
    assert M.rouge_tokens("今天", tokenizer="char") == ["今", "天"]
    r = M.rouge(["今天天气很好"], ["今天天气不错"])
    assert r.corpus["rouge1"].fmeasure == 0.0
    assert (
        M.rouge(["今天天气很好"], ["今天天气不错"], tokenizer="char").corpus["rouge1"].fmeasure
        > 0.5
    )


def test_parse_pairs_and_messages():
    p = M.parse_pairs("a cat\nb dog\n", "the cat ||| a cat\nthe dog")
    assert p.predictions == ("a cat", "b dog") and p.references[0] == ("the cat", "a cat")
    for cands, refs, msg in [
        ("", "x", "candidate box is empty"),
        ("x", "  ", "reference box is empty"),
        ("a\nb", "a", "2 candidate line"),
        ("a\n\nb", "a\nx\nb", "Candidate #2 is empty"),
    ]:
        with pytest.raises(ValueError, match=msg):
            M.parse_pairs(cands, refs)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        (b"\xff\xfe\xfa bad", "not UTF-8"),
        (b"text,label\nhello,positive\n", "Wrong columns"),
        (b"candidate,reference\n", "no data rows"),
        (b"candidate,reference\nhello,\n", "Row 2: no reference"),
        (b"candidate,reference\n,hello\n", "Row 2: the candidate cell is empty"),
        (b"x" * (M.inputs.MAX_UPLOAD_BYTES + 1), "limit"),
    ],
    ids=["empty", "binary", "latin1", "columns", "header-only", "no-ref", "no-cand", "too-big"],
)
def test_read_csv_rejects_clearly(data, message):
    with pytest.raises(ValueError, match=message):
        M.read_csv(data)


def test_read_csv_multiple_references_and_bom():
    data = '\ufeffCandidate,Reference,reference_2\nthe cat,a cat,the cat\n"x, y",x y,\n'
    p = M.read_csv(data.encode())
    assert p.predictions == ("the cat", "x, y")
    assert p.references == (("a cat", "the cat"), ("x y",))


def test_diagnose_flags_short_script_and_single_reference():
    p = M.parse_pairs("今天天气很好\nok", "今天天气不错\nok")
    b = M.bleu(list(p.predictions), [list(g) for g in p.references])
    kinds = [d.kind for d in M.diagnose(p, bleu_lengths=[s[0] for s in b.stats])]
    assert kinds == ["short", "script", "single_reference"]
    accents = M.parse_pairs("le café était très été", "le café ||| été")
    assert [d.kind for d in M.diagnose(accents)] == ["rouge_drops"]


def test_tokenizer_status_offline():
    assert M.bleu_tokenizer_status("13a") is None
    assert M.bleu_tokenizer_status("char") is None
    assert M.bleu_tokenizer_status("flores200") is not None
    assert M.suggest_bleu_tokenizer("CJK") == "zh"
    assert M.bleu_tokenizer_status(M.suggest_bleu_tokenizer("HIRAGANA")) is None


def test_examples_load():
    ex = M.load_examples()
    assert len(ex) >= 4
    for e in ex.values():
        assert len(e.pairs.predictions) == len(e.pairs.references) > 0


@pytest.fixture(scope="module")
def evaluate_modules():
    import evaluate

    base = ROOT / "assets" / "metrics"
    return {n: evaluate.load(str(base / n)) for n in ("rouge", "sacrebleu", "chrf")}


def test_evaluate_modules_load_by_path_offline_and_agree(evaluate_modules, monkeypatch):
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    er = evaluate_modules["rouge"].compute(predictions=PREDS, references=REFS, use_stemmer=True)
    core_r = M.rouge(PREDS, REFS, use_stemmer=True)
    for t in M.ROUGE_TYPES:
        assert er[t] == pytest.approx(core_r.corpus[t].fmeasure, abs=1e-12)
    eb = evaluate_modules["sacrebleu"].compute(
        predictions=PREDS, references=REFS, tokenize="intl", smooth_method="floor"
    )
    b = M.bleu(PREDS, REFS, tokenize="intl", smooth_method="floor")
    assert eb["score"] == b.score and eb["counts"] == list(b.counts)
    assert eb["signature"] == b.signature
    ec = evaluate_modules["chrf"].compute(predictions=PREDS, references=REFS, word_order=2)
    assert ec["score"] == M.chrf(PREDS, REFS, word_order=2).score
