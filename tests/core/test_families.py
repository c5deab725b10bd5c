"""core.families: the same items on every family, accuracy recomputed from the per-item answers,
masks of the right shape over the real tokens and equal to where the real attention weights are
non-zero, answers equal to the libraries' own calls, and a head that never sees a scored item."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import corpus, models
from core import families as fam
from core.evaluation import ChoiceCase, choice_accuracy, exact_match
from core.families import (
    FAMILIES,
    FamiliesConfig,
    causal_mask,
    compare_families,
    head_training_rows,
)
from core.families import head as fam_head
from core.prompting import load_task


@pytest.fixture(scope="module")
def loaded():
    return (
        models.load_embedder("minilm"),
        models.load_causal_lm("tiny-gpt"),
        models.load_seq2seq("tiny-t5"),
    )


@pytest.fixture(scope="module")
def translation(loaded):
    return compare_families(FamiliesConfig(task="translation", n_items=5, k=2), *loaded)


@pytest.fixture(scope="module")
def sentiment(loaded):
    return compare_families(FamiliesConfig(task="sentiment", n_items=6, k=3), *loaded)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_items": 0}, "items must be between 1 and 60, got 0"),
        ({"n_items": 61}, "items must be between 1 and 60, got 61"),
        ({"k": -1}, "shots must be between 0 and 8, got -1"),
        ({"task": "summaries"}, "task must be one of"),
    ],
)
def test_bad_settings_are_refused_with_a_plain_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FamiliesConfig(**kwargs)


@pytest.mark.parametrize("which", ["translation", "sentiment"])
def test_every_family_answers_the_same_items(which, request):
    r = request.getfixturevalue(which)
    task = load_task(which)
    assert r.items == task.items[: r.config.n_items]
    assert [run.family for run in r.runs] == list(FAMILIES)
    for run in r.runs:
        assert len(run.inputs) == len(run.outputs) == len(run.correct) == len(r.items)
        assert len(run.timings.samples_ms) == len(r.items)  # one timed call per item
        assert all(ms > 0 for ms in run.timings.samples_ms)
        for text, item in zip(run.inputs, r.items, strict=True):
            assert item.input in text
    dec, s2s = r.run("decoder"), r.run("encoder-decoder")
    for text, item in zip(dec.inputs, r.items, strict=True):
        assert text.endswith(task.query_text(item))  # the question comes last in the prompt
    source = corpus.translate_source if which == "translation" else corpus.sentiment_source
    kw = {"lang": "French"} if which == "translation" else {}
    assert s2s.inputs == tuple(source(it.input, **kw) for it in r.items)


@pytest.mark.parametrize("which", ["translation", "sentiment"])
def test_accuracy_is_the_share_of_exact_matches_in_the_item_table(which, request):
    r = request.getfixturevalue(which)
    for run in r.runs:
        again = [exact_match(o, it.output) for o, it in zip(run.outputs, r.items, strict=True)]
        assert list(run.correct) == again
        assert run.accuracy == pytest.approx(sum(again) / len(again))
        assert run.n_correct == sum(again)
    top = max(x.accuracy for x in r.runs)
    assert r.best() == tuple(x.family for x in r.runs if x.accuracy == top)


def test_the_encoder_only_picks_among_the_candidates(translation):
    enc = translation.run("encoder")
    assert not enc.generates
    assert all(o in c for o, c in zip(enc.outputs, translation.choices, strict=True))
    assert translation.chance == pytest.approx(1 / 3)


@pytest.mark.parametrize("which", ["translation", "sentiment"])
def test_the_decoder_pick_is_the_choice_engine_s_own_score(which, request, loaded):
    r = request.getfixturevalue(which)
    lm = loaded[1]
    cases = [
        ChoiceCase(text, choices, it.output)
        for text, choices, it in zip(r.run("decoder").inputs, r.choices, r.items, strict=True)
    ]
    n_ctx = models.context_size(lm.model, lm.tokenizer)
    want = choice_accuracy(lm.model, lm.tokenizer, cases, max_tokens=n_ctx)
    assert r.decoder_pick_accuracy == pytest.approx(want)


def test_the_answers_are_what_the_libraries_generate(translation, loaded):
    _, lm, t5 = loaded
    dec = translation.run("decoder")
    for text, out in zip(dec.inputs[:3], dec.outputs[:3], strict=False):
        ids = lm.tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            gen = lm.model.generate(ids, max_new_tokens=fam.MAX_NEW_TOKENS, do_sample=False)
        text_out = lm.tokenizer.decode(gen[0, ids.shape[1] :], skip_special_tokens=True)
        assert out == text_out.strip().split("\n")[0].strip()
    s2s = translation.run("encoder-decoder")
    for src, out in zip(s2s.inputs[:3], s2s.outputs[:3], strict=False):
        ids = t5.tokenizer(src, return_tensors="pt")["input_ids"]
        with torch.no_grad():
            gen = t5.model.generate(ids, max_new_tokens=32, do_sample=False)
        assert out == t5.tokenizer.decode(gen[0], skip_special_tokens=True).strip()


def test_parameter_counts_are_the_models_own(loaded, sentiment, translation):
    enc, lm, t5 = loaded
    assert translation.run("encoder").n_params == enc.loaded.n_params  # cosine: no head
    assert sentiment.run("encoder").n_params == enc.loaded.n_params + sentiment.head.n_params
    assert sentiment.head.n_params == enc.dimension * 2 + 2
    assert translation.run("decoder").n_params == lm.n_params
    assert translation.run("encoder-decoder").n_params == t5.n_params


# --- masks ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["translation", "sentiment"])
def test_mask_shapes_and_triangles_follow_the_real_tokens(which, request, loaded):
    r = request.getfixturevalue(which)
    enc, lm, t5 = loaded
    (m,) = r.run("encoder").masks
    n = len(enc.tokenizer(r.run("encoder").inputs[0])["input_ids"])
    assert m.shape == (n, n) and m.kind == "bidirectional" and m.mask.all()

    (m,) = r.run("decoder").masks
    n = len(lm.tokenizer(r.run("decoder").inputs[0], add_special_tokens=False)["input_ids"])
    shown = min(n, fam.MAX_MASK_TOKENS)
    assert (m.n_rows_total, m.shape) == (n, (shown, shown))
    assert m.kind == "causal"
    assert np.array_equal(m.mask, np.tril(np.ones((shown, shown), dtype=bool)))
    assert not np.triu(m.mask, 1).any() and np.diag(m.mask).all()

    s2s = r.run("encoder-decoder")
    enc_m, dec_m, cross = s2s.masks
    n_src = len(t5.tokenizer(s2s.inputs[0])["input_ids"])
    n_tgt = 1 + len(t5.tokenizer(s2s.outputs[0], add_special_tokens=False)["input_ids"])
    assert enc_m.shape == (n_src, n_src) and enc_m.mask.all()
    assert enc_m.rows[-1] == "</s>"  # T5's tokenizer ends every text with </s>
    assert dec_m.shape == (n_tgt, n_tgt) and dec_m.rows[0] == "<start>"
    assert np.array_equal(dec_m.mask, causal_mask(n_tgt))
    assert cross.shape == (n_tgt, n_src) and cross.mask.all()
    assert cross.rows == dec_m.rows and cross.cols == enc_m.cols


def test_a_long_prompt_s_mask_keeps_its_end_and_stays_triangular(loaded):
    r = compare_families(FamiliesConfig(task="sentiment", n_items=1, k=8), *loaded)
    (m,) = r.run("decoder").masks
    assert m.n_rows_total > fam.MAX_MASK_TOKENS
    assert m.shape == (fam.MAX_MASK_TOKENS, fam.MAX_MASK_TOKENS)
    assert np.array_equal(m.mask, causal_mask(fam.MAX_MASK_TOKENS))
    assert "Sentiment" in "".join(m.rows[-4:])  # the question's end is what is drawn


def test_the_drawn_masks_are_where_the_real_attention_weights_are_non_zero(translation, loaded):
    enc, lm, t5 = loaded
    text = translation.run("encoder").inputs[0]
    with torch.no_grad():
        out = enc.model(**enc.tokenizer(text, return_tensors="pt"), output_attentions=True)
    for layer in out.attentions:  # (1, heads, T, T)
        assert np.array_equal(
            (layer[0] > 0).any(0).numpy(), translation.run("encoder").masks[0].mask
        )

    prompt = translation.run("decoder").inputs[0]
    ids = lm.tokenizer(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        out = lm.model(ids, output_attentions=True)
    for layer in out.attentions:
        assert np.array_equal(
            (layer[0] > 0).any(0).numpy(), translation.run("decoder").masks[0].mask
        )

    s2s = translation.run("encoder-decoder")
    enc_m, dec_m, cross = s2s.masks
    src = t5.tokenizer(s2s.inputs[0], return_tensors="pt")["input_ids"]
    written = t5.tokenizer(s2s.outputs[0], add_special_tokens=False)["input_ids"]
    dec_ids = torch.tensor([[t5.model.config.decoder_start_token_id, *written]])
    with torch.no_grad():
        out = t5.model(input_ids=src, decoder_input_ids=dec_ids, output_attentions=True)
    for got, m in (
        (out.encoder_attentions, enc_m),
        (out.decoder_attentions, dec_m),
        (out.cross_attentions, cross),
    ):
        for layer in got:  # (1, heads, rows, cols)
            assert np.array_equal((layer[0] > 0).any(0).numpy(), m.mask), m.name


# --- the encoder's head --------------------------------------------------------------------------
def test_the_head_s_training_set_holds_no_scored_review():
    task = load_task("sentiment")
    held_out = [it.input for it in task.items]
    rows, removed = head_training_rows(held_out)
    assert not {r["text"] for r in rows} & set(held_out)
    assert len(rows) + removed == len(corpus.review_dataset())


def test_the_head_is_fitted_without_the_scored_items(loaded, monkeypatch):
    enc = loaded[0]
    task = load_task("sentiment")
    scored = task.items[:4]
    leak = [{"text": it.input, "label": it.output} for it in scored]
    rows = leak + corpus.review_dataset()[:40]
    monkeypatch.setattr(fam_head.corpus, "review_dataset", lambda: rows)
    monkeypatch.setattr(fam_head, "_HEADS", fam_head.LRU(max_items=4))
    seen = []
    fit = fam_head.fit_logistic_regression

    def spy(x, y, **kw):
        seen.append(x.clone())
        return fit(x, y, **kw)

    monkeypatch.setattr(fam_head, "fit_logistic_regression", spy)
    r = compare_families(FamiliesConfig(task="sentiment", n_items=4, k=0), *loaded)
    (x,) = seen
    scored_vecs = torch.as_tensor(np.asarray(enc.encode([it.input for it in scored])))
    # no training row is the embedding of a scored review
    assert (torch.cdist(scored_vecs, x).min(dim=1).values > 1e-4).all()
    assert r.head.n_removed >= len(leak) and r.head.n_train == x.shape[0]
