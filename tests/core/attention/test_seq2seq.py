"""core.attention.seq2seq: an encoder-decoder's encoder, decoder and cross-attention equal
transformers', with their shapes, masks, greedy targets and hostile input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import attention, models
from core.attention import seq2seq_attention
from tests.core.attention.samples import TRANSLATE

SEQ2SEQ_CASES = [  # (model, source, target): None = the model's own greedy output
    ("tiny-t5", TRANSLATE, None),
    ("tiny-t5", TRANSLATE, "chat chien"),
    ("tiny-t5", "question: Where is Tom? context: Tom is in the garden.", "in the garden"),
    ("random-t5", "summarize: Tom saw a big dog in the park.", None),
    ("random-t5", TRANSLATE, "le chat et le chien"),
]


def _raw(lm, r):
    with torch.no_grad():
        return lm.model(
            input_ids=torch.tensor([r.encoder.token_ids]),
            decoder_input_ids=torch.tensor([r.decoder.token_ids]),
            output_attentions=True,
        )


@pytest.mark.parametrize(("model", "source", "target"), SEQ2SEQ_CASES)
def test_seq2seq_weights_equal_transformers(s2s, model, source, target):
    lm, r = s2s.model(model), s2s[(model, source, target)]
    tok = lm.tokenizer
    assert r.encoder.token_ids == tuple(tok(source)["input_ids"])
    start = lm.model.config.decoder_start_token_id
    if target is not None:  # teacher forcing: the start token, then the target's tokens
        assert r.target == target
        assert r.decoder.token_ids == (start, *tok(target, add_special_tokens=False)["input_ids"])
    assert r.decoder.token_ids[0] == start
    assert r.cross.token_ids == r.decoder.token_ids
    assert r.cross.key_token_ids == r.encoder.token_ids
    out = _raw(lm, r)
    for kind, raw in (
        ("encoder", out.encoder_attentions),
        ("decoder", out.decoder_attentions),
        ("cross", out.cross_attentions),
    ):
        np.testing.assert_array_equal(r.part(kind).weights, torch.stack(raw)[:, 0].numpy())


@pytest.mark.parametrize(("model", "source", "target"), SEQ2SEQ_CASES)
def test_seq2seq_shapes_masks_and_rows(s2s, model, source, target):
    r = s2s[(model, source, target)]
    cfg = s2s.model(model).model.config
    S, T = len(r.encoder.token_ids), len(r.decoder.token_ids)
    heads = cfg.num_heads
    assert r.encoder.weights.shape == (cfg.num_layers, heads, S, S)
    assert r.decoder.weights.shape == (cfg.num_decoder_layers, heads, T, T)
    assert r.cross.weights.shape == (cfg.num_decoder_layers, heads, T, S)  # decoder x encoder
    assert (r.encoder.kind, r.decoder.kind, r.cross.kind) == ("encoder", "decoder", "cross")
    assert not r.encoder.causal and r.decoder.causal and not r.cross.causal
    assert r.cross.cross and not r.decoder.cross and r.cross.n_keys == S
    for kind in ("encoder", "decoder", "cross"):
        w = r.part(kind).weights
        np.testing.assert_allclose(w.sum(-1), 1.0, atol=1e-5)  # every row, cross rows too
        assert (w >= 0).all() and not w.flags.writeable
    upper = np.triu(np.ones((T, T), dtype=bool), 1)
    assert (r.decoder.weights[..., upper] == 0).all()  # causal: nothing on later tokens
    if S > 1:  # bidirectional: the encoder's tokens look ahead
        assert (r.encoder.weights[..., np.triu(np.ones((S, S), dtype=bool), 1)] > 0).any()
    assert r.decoder.tokens[0] == "<pad>" and r.decoder.special[0]  # T5's start token
    assert r.encoder.tokens[-1] == "</s>" and r.encoder.special[-1]
    assert r.cross.key_tokens == r.encoder.tokens
    # each decoder row is labelled with the token it writes (teacher forcing)
    assert r.decoder.writes[:-1] == r.decoder.tokens[1:] and r.cross.writes == r.decoder.writes
    if target is not None:
        assert r.decoder.writes[-1] == "</s>"
    with pytest.raises(ValueError, match="kind"):
        r.part("self")


@pytest.mark.parametrize("model", ["tiny-t5", "random-t5"])
@pytest.mark.parametrize("source", [TRANSLATE, "translate English to German: red house"])
def test_default_target_is_the_models_greedy_output(s2s, model, source):
    from core.tinyt5 import MAX_TARGET, translate

    lm = s2s.model(model)
    r = s2s[(model, source, None)]
    assert r.target_from_model and r.generate_seconds > 0
    assert r.target.strip() == translate(lm.model, lm.tokenizer, [source])[0]
    ids = torch.tensor([r.encoder.token_ids])
    with torch.no_grad():
        gen = lm.model.generate(ids, max_new_tokens=MAX_TARGET, do_sample=False)[0].tolist()
    eos = lm.tokenizer.eos_token_id
    wrote = list(r.decoder.token_ids)
    assert gen[: len(wrote)] == wrote  # start token + what the model wrote
    assert gen[len(wrote) :] in ([eos], [])  # then its end token, or it ran out of room
    stopped = gen[len(wrote) :] == [eos]
    assert (r.decoder.writes[-1] == "</s>") is stopped
    assert any("stopped at" in n for n in r.notes) is (not stopped)


def test_seq2seq_long_inputs_are_cut_with_a_note(s2s):
    lm = s2s.model("tiny-t5")
    r = seq2seq_attention("the cat sat on the mat. " * 200, lm, target="le chat " * 200)
    limit = min(attention.model_context(lm), attention.MAX_TOKENS)
    assert r.encoder.n_tokens == limit and r.decoder.n_tokens == limit
    assert r.encoder.truncated and r.decoder.truncated
    assert any("source was cut" in n for n in r.notes)
    assert any("target was cut" in n for n in r.notes)
    assert r.decoder.writes[-1] == "…"  # the next token is past the cut
    small = seq2seq_attention(TRANSLATE, lm, target="chat chien", max_tokens=4)
    assert small.encoder.n_tokens == 4 and small.decoder.n_tokens == 3
    np.testing.assert_allclose(small.cross.weights.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    ("source", "target", "note"),
    [
        ("translate English to French: cat\ud800", None, "surrogate"),
        (TRANSLATE, "ch\ud800at", "surrogate"),
        ("naïve café — 東京 🙂", "été", None),
    ],
)
def test_seq2seq_odd_unicode_runs(s2s, source, target, note):
    r = seq2seq_attention(source, s2s.model("tiny-t5"), target=target)
    for kind in ("encoder", "decoder", "cross"):
        np.testing.assert_allclose(r.part(kind).weights.sum(-1), 1.0, atol=1e-5)
    if note:
        assert any(note in n for n in r.notes)
    else:
        assert not r.notes


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"source": ""}, ValueError, "source text is empty"),
        ({"source": " \n\t "}, ValueError, "source text is empty"),
        ({"source": "hi", "target": "  "}, ValueError, "target text is empty"),
        ({"source": "hi", "model": "minilm"}, ValueError, "not an encoder-decoder"),
        ({"source": "hi", "model": "tiny-gpt"}, ValueError, "not an encoder-decoder"),
        ({"source": "hi", "model": "flan-t5-small"}, models.ModelUnavailableError, "tiny-t5"),
        ({"source": "hi", "model": "cl100k_base"}, ValueError, "tokenizer only"),
        ({"source": "hi", "max_new_tokens": 0}, ValueError, "max_new_tokens"),
        ({"source": "hi", "max_tokens": 1}, ValueError, "max_tokens"),
    ],
)
def test_seq2seq_hostile_input_raises_a_plain_message(kwargs, error, match):
    with pytest.raises(error, match=match):
        seq2seq_attention(**kwargs)
