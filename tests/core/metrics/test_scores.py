"""core.metrics.scores: ROUGE, BLEU and chrF equal rouge_score and sacrebleu exactly."""

from __future__ import annotations

import numpy as np
import pytest
from rouge_score import rouge_scorer
from sacrebleu.metrics import BLEU, CHRF

from core import metrics as M
from tests.core.metrics.samples import PREDS, REFS, reference_streams


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
    want = metric.corpus_score(PREDS, reference_streams(REFS))
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
    assert c.score == metric.corpus_score(PREDS, reference_streams(REFS)).score
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


def test_rouge_default_tokenizer_drops_non_latin():
    assert M.rouge_tokens("今天天气很好 ok") == ["ok"]
    assert M.rouge_tokens("今天", tokenizer="char") == ["今", "天"]
    r = M.rouge(["今天天气很好"], ["今天天气不错"])
    assert r.corpus["rouge1"].fmeasure == 0.0
    assert (
        M.rouge(["今天天气很好"], ["今天天气不错"], tokenizer="char").corpus["rouge1"].fmeasure
        > 0.5
    )


def test_tokenizer_status_offline():
    assert M.bleu_tokenizer_status("13a") is None
    assert M.bleu_tokenizer_status("char") is None
    assert M.bleu_tokenizer_status("flores200") is not None
    assert M.suggest_bleu_tokenizer("CJK") == "zh"
    assert M.bleu_tokenizer_status(M.suggest_bleu_tokenizer("HIRAGANA")) is None
