"""core.metrics.report: the page's whole report from one config; evaluate modules agree offline."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF

from core import metrics as M
from tests.core.metrics.samples import PAIRED, PAIRS, PREDS, REFS, reference_streams


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
    want_b = corpus.corpus_score(PREDS, reference_streams(REFS))
    assert rep.bleu.score == want_b.score and list(rep.bleu.counts) == list(want_b.counts)
    assert rep.bleu.signature == str(corpus.get_signature())
    chrf = CHRF(word_order=cfg.chrf_word_order, lowercase=cfg.lowercase)
    assert rep.chrf.score == chrf.corpus_score(PREDS, reference_streams(REFS)).score
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

    from core.knobs import knob_fields, spec

    names = [f.name for f in dataclasses.fields(M.MetricsConfig)]
    assert [k.name for k in knob_fields(M.MetricsConfig)] == names  # every option is a knob
    for name in names:
        k = spec(M.MetricsConfig, name)
        assert k.default == getattr(M.MetricsConfig(), name) and k.help
        if k.lo is not None:
            M.MetricsConfig(**{name: k.lo})
            M.MetricsConfig(**{name: k.hi})
    assert spec(M.MetricsConfig, "bleu_tokenizer").choices == M.BLEU_TOKENIZERS
    assert spec(M.MetricsConfig, "rouge_tokenizer").choices == M.ROUGE_TOKENIZERS
    assert spec(M.MetricsConfig, "smooth_method").choices == M.SMOOTH_METHODS
    assert (spec(M.MetricsConfig, "seed").lo, spec(M.MetricsConfig, "seed").hi) == (0, 2**31 - 1)
    with pytest.raises(KeyError, match="no knob field"):
        spec(M.MetricsConfig, "temperature")


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
