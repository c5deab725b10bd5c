"""core.metrics.generated: a seq2seq model's own outputs on held-out items, as an example set."""

from __future__ import annotations

import pytest

from core import metrics as M
from core import models
from core.corpus import heldout_seq2seq
from core.metrics.generated import SEQ2SEQ_SETS, seq2seq_set, seq2seq_set_names, set_name
from core.tinyt5 import translate


@pytest.fixture(scope="module")
def t5():
    return models.load_seq2seq("tiny-t5")


@pytest.mark.parametrize("task", sorted(SEQ2SEQ_SETS))
def test_the_set_pairs_the_models_outputs_with_the_held_out_references(t5, task):
    g = seq2seq_set(t5.model, t5.tokenizer, task, n_items=8)
    items = heldout_seq2seq(n_items=8)[task][:8]
    outs = translate(t5.model, t5.tokenizer, [it["source"] for it in items])
    assert g.pairs.predictions == tuple(o or "∅" for o in outs)
    assert g.pairs.references == tuple((it["target"],) for it in items)
    assert g.sources == tuple(it["source"] for it in items)
    assert g.exact_match == sum(o == it["target"] for o, it in zip(outs, items, strict=True)) / 8
    assert g.example.name == set_name("tiny-t5", task) and "8 held-out items" in g.example.about
    assert g.seconds > 0
    # scored with the page's machinery: sacrebleu's and rouge_score's own numbers
    report = M.score_pairs(g.pairs, M.MetricsConfig())
    refs = [list(r) for r in g.pairs.references]
    assert report.bleu.score == M.bleu(list(g.pairs.predictions), refs).score


def test_names_and_bad_arguments(t5):
    assert seq2seq_set_names("m") == {
        "m translations (generated now)": ("m", "translation"),
        "m summaries (generated now)": ("m", "summarization"),
    }
    with pytest.raises(ValueError, match="task must be one of"):
        seq2seq_set(t5.model, t5.tokenizer, "poetry")
    with pytest.raises(ValueError, match="n_items must be positive"):
        seq2seq_set(t5.model, t5.tokenizer, n_items=0)


@pytest.mark.parametrize("task", sorted(SEQ2SEQ_SETS))
def test_the_pages_scores_reproduce_the_model_cards_figures(t5, task):
    """The page's BLEU of tiny-t5's outputs is the card's own (both are sacrebleu's corpus BLEU
    over the same 60 held-out items), and so is the exact match."""
    import json

    report = json.loads((models.tiny_t5_path() / "training_report.json").read_text())
    card = report["scores"][task]
    g = seq2seq_set(t5.model, t5.tokenizer, task, n_items=card["n_items"])
    assert round(g.exact_match, 3) == card["exact_match"]
    assert round(M.score_pairs(g.pairs, M.MetricsConfig()).bleu.score, 1) == card["bleu"]
