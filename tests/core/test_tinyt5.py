"""tiny-t5: a short run trains and saves a loadable encoder-decoder with a card; the committed
model loads offline and its card's figures are re-measured from the model itself."""

from __future__ import annotations

import json

import pytest

from core import models
from core.corpus import SEQ2SEQ_TASKS, CorpusConfig, heldout_seq2seq, seq2seq_pairs
from core.tinyt5 import TinyT5Config, score_tasks, train_tiny_t5, translate

SHORT = TinyT5Config(
    n_layer=1,
    n_head=2,
    d_model=32,
    d_ff=64,
    vocab_size=400,
    n_pairs=300,
    steps=40,
    batch_size=8,
    lr=1e-2,
    warmup=5,
    eval_items=3,
)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("t5")
    return out, train_tiny_t5(SHORT, out)


def test_loss_goes_down(short_run):
    _, r = short_run
    assert sum(r.losses[-5:]) / 5 < sum(r.losses[:5]) / 5 - 1.0


def test_saved_model_reloads_ends_texts_with_eos_and_matches_its_count(short_run):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    out, r = short_run
    model = AutoModelForSeq2SeqLM.from_pretrained(out).eval()
    tok = AutoTokenizer.from_pretrained(out)
    ids = tok("summarize: Tom found a red ball.")["input_ids"]
    assert ids[-1] == tok.eos_token_id == 1 and tok.pad_token_id == 0
    assert tok.decode(ids, skip_special_tokens=True) == "summarize: Tom found a red ball."
    assert model.config.is_encoder_decoder and model.config.decoder_start_token_id == 0
    assert sum(p.numel() for p in model.parameters()) == r.n_params


def test_card_and_report_quote_the_run(short_run):
    out, r = short_run
    card = (out / "README.md").read_text()
    report = json.loads((out / "training_report.json").read_text())
    assert report["n_params"] == r.n_params and f"{r.n_params:,}" in card
    assert set(r.scores) == {*SEQ2SEQ_TASKS, "heldout_word"}
    for s in r.scores.values():
        bleu = "n/a" if s["bleu"] is None else f"{s['bleu']:.1f}"
        assert f"{s['exact_match']:.2f} | {bleu} |" in card
    assert r.scores["sentiment"]["bleu"] is None  # one-word answers: no BLEU
    assert r.scores["summarization"]["bleu"] is not None


def test_config_validation():
    with pytest.raises(ValueError, match="divisible"):
        TinyT5Config(d_model=130, n_head=4)
    for name in ("n_layer", "n_head", "steps", "batch_size"):
        with pytest.raises(ValueError, match=f"{name} must be at least 1"):
            TinyT5Config(**{name: 0})


def test_pairs_are_reproducible_and_held_out_words_stay_out_of_the_format():
    a = seq2seq_pairs(CorpusConfig(n_docs=2000, seed=7))
    assert a == seq2seq_pairs(CorpusConfig(n_docs=2000, seed=7))
    assert {t for t, _, _ in a} == set(SEQ2SEQ_TASKS)
    heldout = {"moon", "milk", "door", "horse", "flower", "cheese"}
    for _, src, _ in a:
        if src.startswith("translate English to"):
            assert not heldout & set(src.split(": ", 1)[1].split())
    # the held-out words are taught, outside the format
    assert any(src.startswith("The") and src.split()[-2] in heldout for _, src, _ in a)
    items = heldout_seq2seq()
    train_sources = {src for _, src, _ in seq2seq_pairs(CorpusConfig(n_docs=5000))}
    for task in ("context_qa", "summarization"):
        fresh = [it for it in items[task] if it["source"] not in train_sources]
        assert len(fresh) >= 0.9 * len(items[task])


# --- the committed model --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def committed():
    return models.load_seq2seq("tiny-t5")


def test_committed_tiny_t5_loads_offline_as_the_seq2seq_default(committed):
    assert models.OFFLINE_DEFAULT["seq2seq"] == "tiny-t5"
    assert models.resolve("flan-t5-small").offline_alternative == "tiny-t5"
    assert committed.model.config.is_encoder_decoder
    assert committed.model is models.load_model("tiny-t5").model  # one object in memory


def test_committed_card_is_re_measured_by_eval_only(committed):
    """What ``scripts/train_tiny_t5.py --eval-only`` computes equals the committed report."""
    report = json.loads((models.tiny_t5_path() / "training_report.json").read_text())
    n = report["config"]["eval_items"]
    again = score_tasks(committed.model, committed.tokenizer, n)
    for task, s in again.items():
        assert (s.exact_match, s.bleu) == (
            report["scores"][task]["exact_match"],
            report["scores"][task]["bleu"],
        ), task
    card = (models.tiny_t5_path() / "README.md").read_text()
    assert f"{report['n_params']:,} parameters" in card


def test_committed_tiny_t5_translates_trained_words(committed):
    out = translate(committed.model, committed.tokenizer, ["translate English to French: cat dog"])
    assert out == ["chat chien"]
