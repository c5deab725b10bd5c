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


# --- score_pairs: the page's whole report from one config ---------------------------------------
PAIRS = M.Pairs(tuple(PREDS), tuple(tuple(g) for g in REFS))
PAIRED = list(zip(PREDS, REFS, strict=True))


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"use_stemmer": True, "split_sentences": False},
        {"rouge_tokenizer": "unicode", "bleu_tokenizer": "intl", "lowercase": True},
        {"rouge_tokenizer": "char", "bleu_tokenizer": "char"},
        {"smooth_method": "floor", "chrf_word_order": 2},
        {"smooth_method": "none", "seed": 5, "n_resamples": 200, "confidence": 0.9},
    ],
)
def test_score_pairs_equals_the_reference_libraries(options):
    cfg = M.MetricsConfig(**options)
    rep = M.score_pairs(PAIRS, cfg)
    tok = cfg.rouge_tokenizer
    scorer = rouge_scorer.RougeScorer(
        list(M.ROUGE_TYPES),
        use_stemmer=cfg.use_stemmer,
        tokenizer=None if tok == "default" else M.rouge_tokenizer(tok),
    )
    split = M.split_sentences if cfg.split_sentences else (lambda t: t)
    for pair, pred, refs in zip(rep.rouge.per_pair, PREDS, REFS, strict=True):
        want = scorer.score_multi([split(r) for r in refs], split(pred))
        for t in M.ROUGE_TYPES:
            assert tuple(want[t]) == (pair[t].precision, pair[t].recall, pair[t].fmeasure)
    bleu_opts = {
        "tokenize": cfg.bleu_tokenizer,
        "lowercase": cfg.lowercase,
        "smooth_method": cfg.smooth_method,
    }
    corpus = BLEU(**bleu_opts)
    want_b = corpus.corpus_score(PREDS, _streams(REFS))
    assert rep.bleu.score == want_b.score and list(rep.bleu.counts) == list(want_b.counts)
    assert rep.bleu.signature == str(corpus.get_signature())
    chrf = CHRF(word_order=cfg.chrf_word_order, lowercase=cfg.lowercase)
    assert rep.chrf.score == chrf.corpus_score(PREDS, _streams(REFS)).score
    assert rep.chrf_name == ("chrF++" if cfg.chrf_word_order else "chrF")
    sent = BLEU(**{**bleu_opts, "effective_order": True})
    assert rep.bleu_sentence == tuple(sent.sentence_score(p, r).score for p, r in PAIRED)
    alone = BLEU(**bleu_opts)
    assert rep.bleu_alone == tuple(
        alone.corpus_score([p], [[x] for x in r]).score for p, r in PAIRED
    )
    floor = BLEU(**{**bleu_opts, "smooth_method": "floor", "effective_order": True})
    assert rep.bleu_floor == tuple(floor.sentence_score(p, r).score for p, r in PAIRED)
    assert rep.chrf_sentence == pytest.approx(
        [chrf.sentence_score(p, r).score for p, r in PAIRED], abs=1e-9
    )
    assert rep.n_pairs == len(PREDS)


def test_score_pairs_intervals_and_diagnostics_are_the_modules_own():
    cfg = M.MetricsConfig(seed=3, n_resamples=300, confidence=0.9)
    rep = M.score_pairs(PAIRS, cfg)
    boot = {"n_resamples": 300, "confidence": 0.9, "seed": 3}
    want = {
        **M.bootstrap_ci(M.rouge(PREDS, REFS, split_sentences=True), **boot),
        **M.bootstrap_ci(M.bleu(PREDS, REFS), **boot),
        **M.bootstrap_ci(M.chrf(PREDS, REFS), **boot),
    }
    assert rep.intervals == want
    assert set(rep.intervals) == {*M.ROUGE_TYPES, "bleu", "chrf"}
    assert rep.diagnostics == tuple(
        M.diagnose(PAIRS, bleu_lengths=[s[0] for s in M.bleu(PREDS, REFS).stats])
    )
    assert [d.kind for d in rep.diagnostics] == ["short"]  # "Paris"; two pairs have 2 refs
    assert M.score_pairs(PAIRS, cfg) == rep  # seeded: the same report again


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"rouge_tokenizer": "words"}, "rouge_tokenizer"),
        ({"bleu_tokenizer": "moses"}, "bleu_tokenizer"),
        ({"smooth_method": "magic"}, "smooth_method"),
        ({"chrf_word_order": 5}, "chrf_word_order must be between 0 and 4"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**31}, "seed"),
        ({"n_resamples": 5}, "n_resamples"),
        ({"confidence": 1.0}, "confidence"),
        ({"rouge_tokenizer": "unicode", "use_stemmer": True}, "Stemming"),
    ],
)
def test_metrics_config_rejects_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        M.MetricsConfig(**options)


def test_every_option_carries_its_default_help_and_range():
    import dataclasses

    for f in dataclasses.fields(M.MetricsConfig):
        opt = M.MetricsConfig.option(f.name)
        assert opt["default"] == getattr(M.MetricsConfig(), f.name) and opt["help"]
        if "min" in opt:
            M.MetricsConfig(**{f.name: opt["min"]})
            M.MetricsConfig(**{f.name: opt["max"]})
    assert M.MetricsConfig.option("bleu_tokenizer")["choices"] == M.BLEU_TOKENIZERS
    assert M.MetricsConfig.option("rouge_tokenizer")["choices"] == M.ROUGE_TOKENIZERS
    assert M.MetricsConfig.option("smooth_method")["choices"] == M.SMOOTH_METHODS
    with pytest.raises(ValueError, match="no option"):
        M.MetricsConfig.option("temperature")


@pytest.mark.parametrize(
    ("pred", "refs", "limit", "cut"),
    [("abc", ("abc",), 3, 0), ("abcd", ("abc",), 3, 1), ("abcd", ("abcd", "ab", "xyzw"), 3, 3)],
)
def test_cut_pairs_cuts_and_counts(pred, refs, limit, cut):
    pairs, n = M.cut_pairs(M.Pairs((pred,), (refs,)), limit)
    assert n == cut
    assert all(len(t) <= limit for t in (*pairs.predictions, *pairs.references[0]))
    assert pairs.references[0] == tuple(r[:limit] for r in refs)


@pytest.mark.parametrize(
    ("by", "options", "cand", "want"),
    [
        ("ROUGE", {}, "The Cats, sat!", ("the", "cats", "sat")),
        ("ROUGE", {"use_stemmer": True}, "The Cats, sat!", ("the", "cat", "sat")),
        ("BLEU", {}, "The Cats, sat!", ("The", "Cats", ",", "sat", "!")),
        ("BLEU", {"lowercase": True}, "The Cats, sat!", ("the", "cats", ",", "sat", "!")),
    ],
)
def test_align_pair_uses_the_metric_tokenizer(by, options, cand, want):
    a = M.align_pair(cand, "the cat sat", M.MetricsConfig(**options), n=1, by=by)
    assert a.by == by and a.candidate == want
    assert a.ngrams == M.ngram_matches(list(a.candidate), list(a.reference), 1)
    assert a.lcs == M.lcs(list(a.candidate), list(a.reference))
    assert len(M.align_pair("w " * 500, "w", by=by).candidate) == M.MAX_ALIGN_TOKENS
    with pytest.raises(ValueError, match="by must be"):
        M.align_pair("a", "a", by="chrF")


@pytest.mark.parametrize(
    "options", [{}, {"use_stemmer": True, "smooth_method": "floor"}, {"rouge_tokenizer": "char"}]
)
def test_compare_with_evaluate_agrees(evaluate_modules, options):
    rep = M.score_pairs(PAIRS, M.MetricsConfig(**options))
    rows = M.compare_with_evaluate(PAIRS, rep, evaluate_modules)
    names = [a.metric for a in rows]
    rouge_rows = list(M.ROUGE_TYPES) if "rouge_tokenizer" not in options else []
    assert names == [*rouge_rows, "BLEU", "chrF"]
    assert all(a.verdict in ("identical", "equal to 1e-12") for a in rows)
    assert M.Agreement("x", 1.0, 2.0).verdict == "DIFFERENT"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("a cat", ("a cat",)),
        (" a ||| b |||", ("a", "b")),
        ("|||", ()),
        ("x\ny ||| z", ("x\ny", "z")),
    ],
)
def test_split_references(text, want):
    assert M.split_references(text) == want


def test_make_pairs_checks_like_the_typed_input():
    assert M.make_pairs(["a"], [("b",)]) == M.Pairs(("a",), (("b",),))
    with pytest.raises(ValueError, match="Reference #1 is empty"):
        M.make_pairs(["a"], [M.split_references("|||")])
    with pytest.raises(ValueError, match="Candidate #1 is empty"):
        M.make_pairs([" "], [("b",)])
