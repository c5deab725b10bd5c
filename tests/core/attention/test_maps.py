"""core.attention.maps: shapes, rows summing to 1, the causal mask, equality with a raw
transformers call, the model's kind, and hostile input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import models
from core.attention import attention_maps, is_decoder, model_kind
from tests.core.attention.samples import CASES


@pytest.mark.parametrize(("model", "text", "pair", "layers", "heads"), CASES)
def test_shape_rows_and_tokens(results, model, text, pair, layers, heads):
    r = results[(model, text, pair)]
    tok = models.load_model(model).tokenizer
    ids = tok(text, pair)["input_ids"]
    assert r.token_ids == tuple(ids)
    assert r.weights.shape == (layers, heads, len(ids), len(ids))
    assert len(r.tokens) == len(r.special) == len(r.segment) == len(ids)
    np.testing.assert_allclose(r.weights.sum(-1), 1.0, atol=1e-5)
    assert (r.weights >= 0).all()
    assert not r.weights.flags.writeable  # results are shared by every session
    assert not any(a.flags.writeable for a in r.layers)
    assert r.head(1, 2) is not None and np.shares_memory(r.head(1, 2), r.layers[1])


@pytest.mark.parametrize(("model", "text", "pair", "layers", "heads"), CASES)
def test_equals_a_raw_transformers_call(results, model, text, pair, layers, heads):
    lm = models.load_model(model)
    enc = lm.tokenizer(text, pair, return_tensors="pt")
    with torch.no_grad():
        raw = lm.model(**enc, output_attentions=True).attentions  # layers x (1, H, T, T)
    expected = torch.stack(raw)[:, 0].numpy()  # (layers, heads, T, T)
    np.testing.assert_allclose(results[(model, text, pair)].weights, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("model", "causal"), [("minilm", False), ("tiny-gpt", True)])
def test_causal_upper_triangle_is_zero_only_for_decoders(results, model, causal):
    r = results[next((m, t, p) for m, t, p, *_ in CASES if m == model)]
    upper = np.triu(np.ones((r.n_tokens, r.n_tokens), dtype=bool), 1)
    assert r.causal is causal
    if causal:
        assert (r.weights[..., upper] == 0).all()
        np.testing.assert_allclose(r.weights[:, :, 0, 0], 1.0, atol=1e-6)  # token 0 sees itself
    else:
        assert (r.weights[..., upper] > 0).any()


def test_pair_segments_and_special_tokens(results):
    r = results[("minilm", "The cat sat.", "It slept.")]
    assert r.tokens[0] == "[CLS]" and r.tokens.count("[SEP]") == 2
    assert r.special.tolist() == [t in ("[CLS]", "[SEP]") for t in r.tokens]
    assert r.segment.tolist() == [0] * 6 + [1] * 4  # the closing [SEP] is sentence B's
    assert r.has_pair


@pytest.mark.parametrize(
    ("model", "max_tokens", "expected"), [("minilm", 64, 64), ("tiny-gpt", None, 256)]
)
def test_long_text_is_truncated_with_a_note(model, max_tokens, expected):
    r = attention_maps("the cat sat on the mat. " * 400, model, max_tokens=max_tokens)
    assert r.n_tokens == expected and r.truncated and r.chars_left > 1000
    assert any("the text was cut after token" in n for n in r.notes)
    np.testing.assert_allclose(r.weights.sum(-1), 1.0, atol=1e-5)


def test_one_megabyte_is_cut_before_tokenizing():
    r = attention_maps("word " * 200_000, "minilm", max_tokens=32)
    assert r.n_tokens == 32 and len(r.text) < 100_000


@pytest.mark.parametrize(
    ("text", "note"),
    [("ab\ud800 cd", "surrogate"), ("bell\x07 and\x00 nul", None), ("tab\tand\nnewline", None)],
)
def test_odd_unicode_runs(text, note):
    r = attention_maps(text, "minilm")
    np.testing.assert_allclose(r.weights.sum(-1), 1.0, atol=1e-5)
    if note:
        assert any(note in n for n in r.notes)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"text": ""}, ValueError, "empty"),
        ({"text": " \n\t "}, ValueError, "empty"),
        ({"text": "hi", "model": "tiny-gpt", "text_pair": "there"}, ValueError, "encoders"),
        ({"text": "hi", "model": "tiny-t5"}, ValueError, "seq2seq_attention"),
        ({"text": "hi", "model": "cl100k_base"}, ValueError, "tokenizer only"),
        ({"text": "hi", "model": "someone/not-a-model"}, models.ModelUnavailableError, "offline"),
        ({"text": "hi", "model": "bert-base-uncased"}, models.ModelUnavailableError, "minilm"),
        ({"text": "hi", "model": "../etc"}, models.ModelUnavailableError, "not a model name"),
        ({"text": "hi", "max_tokens": 1}, ValueError, "max_tokens"),
    ],
)
def test_hostile_input_raises_a_plain_message(kwargs, error, match):
    with pytest.raises(error, match=match):
        attention_maps(**kwargs)


# --- the model's kind -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kind", "decoder"),
    [
        ("minilm", "encoder", False),
        ("tiny-gpt", "causal-lm", True),
        ("flan-t5-small", "seq2seq", False),
        ("tiny-t5", "seq2seq", False),
        ("cl100k_base", "tokenizer", False),
    ],
)
def test_model_kind_and_is_decoder(name, kind, decoder):
    assert model_kind(name) == kind
    assert is_decoder(name) is decoder


def test_is_decoder_says_no_for_a_name_that_cannot_be_a_model():
    assert is_decoder("../etc") is False
    with pytest.raises(models.ModelUnavailableError):
        model_kind("../etc")
