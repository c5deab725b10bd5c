"""core.attention: shapes, rows summing to 1, the causal mask, equality with a raw transformers
call, the page's filters and summaries, and hostile input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core import attention, models
from core.attention import (
    HEAD_METRICS,
    AttentionConfig,
    AttentionResult,
    ViewConfig,
    attention_maps,
    default_token,
    head_summary,
    head_view,
    is_decoder,
    is_seq2seq,
    model_kind,
    pool,
    renormalized,
    seq2seq_attention,
    source_word_attention,
    thumbnails,
    token_focus,
    word_attention,
    word_tokens,
)

PRONOUN = "The animal didn't cross the street because it was too tired."

CASES = [  # (model, text, pair, layers, heads)
    ("minilm", PRONOUN, None, 6, 12),
    ("minilm", "The cat sat.", "It slept.", 6, 12),
    ("minilm", "naïve café — 東京 🙂", None, 6, 12),
    ("tiny-gpt", "Once upon a time there was a cat.", None, 4, 4),
    ("tiny-gpt", "Q: What is the capital of France?\nA: Paris", None, 4, 4),
]


class _Lazy(dict):
    """Each case's result computed on first use, once per module."""

    def __missing__(self, key):
        model, text, pair = key
        self[key] = attention_maps(text, model, text_pair=pair)
        return self[key]


@pytest.fixture(scope="module")
def results():
    return _Lazy()


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


@pytest.mark.parametrize(
    "bad", [dict(layer=-1), dict(threshold=1.0), dict(threshold=-0.1), dict(pair_filter="A")]
)
def test_view_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        ViewConfig(**bad)


def test_config_needs_a_model_name():
    with pytest.raises(ValueError, match="model"):
        AttentionConfig(model=" ")


def test_view_rejects_a_layer_the_model_lacks(results):
    r = results[("minilm", PRONOUN, None)]
    with pytest.raises(ValueError, match="6 layers"):
        head_view(r, ViewConfig(layer=6))


def test_hide_special_drops_them_and_renormalizes(results):
    r = results[("minilm", PRONOUN, None)]
    v = head_view(r, ViewConfig(3, 5, hide_special=True))
    assert v.renormalized and not r.special[v.rows].any() and not r.special[v.cols].any()
    np.testing.assert_allclose(v.matrix.sum(-1), 1.0, atol=1e-5)
    raw = r.weights[3, 5][np.ix_(v.rows, v.cols)]
    np.testing.assert_allclose(v.matrix, raw / raw.sum(-1, keepdims=True), atol=1e-6)
    w, idx = renormalized(r, True)
    np.testing.assert_allclose(w[3, 5], v.matrix, atol=1e-6)
    assert (idx == v.rows).all()


def test_threshold_blanks_small_weights_only(results):
    r = results[("minilm", PRONOUN, None)]
    plain = head_view(r, ViewConfig(1, 1))
    cut = head_view(r, ViewConfig(1, 1, threshold=0.1))
    assert cut.below_threshold == int((plain.matrix < 0.1).sum()) > 0
    assert (cut.matrix[plain.matrix >= 0.1] == plain.matrix[plain.matrix >= 0.1]).all()


@pytest.mark.parametrize(("filt", "rows", "cols"), [("A->B", 0, 1), ("B->A", 1, 0), ("B->B", 1, 1)])
def test_pair_filter_keeps_one_block(results, filt, rows, cols):
    r = results[("minilm", "The cat sat.", "It slept.")]
    v = head_view(r, ViewConfig(0, 0, pair_filter=filt))
    assert (r.segment[v.rows] == rows).all() and (r.segment[v.cols] == cols).all()
    assert v.matrix.shape == (len(v.rows), len(v.cols))


def test_decoder_view_marks_the_causal_mask(results):
    r = results[("tiny-gpt", CASES[3][1], None)]
    v = head_view(r, ViewConfig(0, 0))
    assert (v.masked == np.triu(np.ones_like(v.masked), 1)).all()
    assert (v.matrix[v.masked] == 0).all()


def test_summary_matches_a_direct_computation(results):
    r = results[("minilm", PRONOUN, None)]
    s = head_summary(r)
    assert s.entropy.shape == s.to_self.shape == (6, 12)
    rows = np.flatnonzero(~r.special)
    w = r.weights[2, 7].astype(np.float64)
    assert s.to_self[2, 7] == pytest.approx(w[rows, rows].mean())
    assert s.to_previous[2, 7] == pytest.approx(w[rows, rows - 1].mean())
    assert s.to_special[2, 7] == pytest.approx(w[rows][:, r.special].sum(-1).mean())
    p = w[rows]
    ent = -(p * np.log2(np.where(p > 0, p, 1))).sum(-1).mean()
    assert s.entropy[2, 7] == pytest.approx(ent)
    assert len(s.rows()) == 72 and {"layer", "head", "pattern", "entropy"} <= set(s.rows()[0])


def test_summary_finds_a_previous_token_head_in_minilm(results):
    s = head_summary(results[("minilm", PRONOUN, None)])
    assert (s.pattern == "previous token").any()  # layer 0 head 2 of all-MiniLM-L6-v2


def test_word_attention_sums_the_word_tokens(results):
    r = results[("minilm", PRONOUN, None)]
    src = word_tokens(r, "it")
    assert [r.tokens[i] for i in src] == ["it"]
    got = word_attention(r, "it", ["animal", "street", "nowhere"], layer=5)
    row = r.weights[5, :, src[0]].mean(0)
    assert got["animal"] == pytest.approx(row[word_tokens(r, "animal")].sum())
    assert got["nowhere"] == 0.0
    with pytest.raises(ValueError, match="not in the text"):
        word_attention(r, "zebra", ["animal"], layer=0)


def test_decoder_it_cannot_attend_to_a_later_word(results):
    r = attention_maps(PRONOUN, "tiny-gpt")
    got = word_attention(r, "it", ["animal", "tired"], layer=r.n_layers - 1)
    assert got["tired"] == 0.0 and got["animal"] > 0.0


def _synthetic(
    weights: np.ndarray, special: list[bool], *, causal: bool = False
) -> AttentionResult:
    T = weights.shape[-1]
    return AttentionResult(
        model="synthetic",
        causal=causal,
        tokens=tuple(f"t{i}" for i in range(T)),
        token_ids=tuple(range(T)),
        offsets=tuple((i, i + 1) for i in range(T)),
        special=np.array(special),
        segment=np.zeros(T, dtype=np.int8),
        layers=tuple(weights),
        chars_left=0,
        context=512,
        text="x" * T,
    )


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 9).flatmap(
        lambda t: st.tuples(
            st.lists(st.floats(0.01, 10), min_size=2 * 3 * t * t, max_size=2 * 3 * t * t),
            st.lists(st.booleans(), min_size=t, max_size=t),
        )
    )
)
def test_invariants_on_random_row_stochastic_weights(data):
    flat, special = data
    t = len(special)
    w = np.array(flat, dtype=np.float32).reshape(2, 3, t, t)
    w /= w.sum(-1, keepdims=True)
    r = _synthetic(w, special)
    s = head_summary(r)
    for arr in (s.to_self, s.to_previous, s.to_special, s.to_first):
        assert ((arr >= -1e-9) & (arr <= 1 + 1e-6)).all()
    assert ((s.entropy >= 0) & (s.entropy <= np.log2(t) + 1e-6)).all()
    rw, idx = renormalized(r, True)
    np.testing.assert_allclose(rw.sum(-1), 1.0, atol=1e-5)
    assert len(idx) == (t - sum(special) if not all(special) else t)


@pytest.mark.parametrize(
    ("shape", "size", "out"),
    [((4, 4), 2, (2, 2)), ((10, 7), 3, (3, 3)), ((5, 5), 8, (5, 5)), ((512, 512), 48, (48, 48))],
)
def test_pool_block_averages(shape, size, out):
    m = np.random.default_rng(0).random(shape)
    p, starts = pool(m, size)
    assert p.shape == out and starts[0] == 0 and len(starts) == out[0]
    if p.shape == m.shape:
        assert p is m
    assert p.min() >= m.min() - 1e-12 and p.max() <= m.max() + 1e-12
    if shape[0] % out[0] == 0 and shape[1] % out[1] == 0:
        assert p.mean() == pytest.approx(m.mean())


# --- what the page draws, computed here (issue 10: no engine logic in ui/) ---------------------
@pytest.mark.parametrize(
    ("model", "text", "expected"),
    [
        ("minilm", PRONOUN, "it"),  # the classic question's token
        ("minilm", "The cat sat.", "the"),  # no 'it': the first plain token
        ("tiny-gpt", "Once upon a time there was a cat.", "."),  # a decoder: the last token
    ],
)
def test_default_token(results, model, text, expected):
    r = results[(model, text, None)]
    i = default_token(r)
    assert r.tokens[i].strip("Ġ▁ ") == expected and not r.special[i]


def test_row_and_col_of_a_view_and_the_row_sum_deviation(results):
    r = results[("minilm", "The cat sat.", "It slept.")]
    v = head_view(r, ViewConfig(layer=2, head=3))
    np.testing.assert_array_equal(v.row(4), r.head(2, 3)[4])
    np.testing.assert_array_equal(v.col(4), r.head(2, 3)[:, 4])
    hidden = head_view(r, ViewConfig(layer=2, head=3, hide_special=True, pair_filter="A->B"))
    assert not hidden.row(0).any() and not hidden.col(0).any()  # [CLS] is hidden: zeros
    assert hidden.row(int(hidden.rows[0])).sum() > 0
    assert 0 <= r.row_sum_deviation < 1e-5


@pytest.mark.parametrize(("model", "text"), [("minilm", PRONOUN), ("tiny-gpt", CASES[3][1])])
@pytest.mark.parametrize("size", [4, 48])
def test_thumbnails_pool_scale_and_mask(results, model, text, size):
    r = results[(model, text, None)]
    heads = [(0, 0), (1, 2), (r.n_layers - 1, r.n_heads - 1)]
    th = thumbnails(r, heads, size, hide_special=True)
    n = min(size, len(th.tokens))
    assert th.heads == tuple(heads) and len(th.tokens) == int((~r.special).sum())
    assert th.pooled_blocks == (size < len(th.tokens))
    for (layer, head), pooled, scaled in zip(th.heads, th.pooled, th.scaled, strict=True):
        assert pooled.shape == scaled.shape == (n, n)
        assert np.nanmax(scaled) == pytest.approx(1.0)  # each head scaled to its own maximum
        full = renormalized(r, True)[0][layer, head]
        if not th.pooled_blocks:
            np.testing.assert_allclose(np.nan_to_num(pooled), full, atol=1e-6)
        assert np.isnan(pooled).any() == (r.causal and n > 1)  # whole blocks above the diagonal
    with pytest.raises(ValueError, match="no heads"):
        thumbnails(r, [], size)


# --- the model's kind, masking, the token explorer and pooling, computed in core ----------------
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


def _row_stochastic(shape: tuple[int, ...], seed: int, *, causal: bool = False) -> np.ndarray:
    w = np.random.default_rng(seed).random(shape).astype(np.float32) + np.float32(0.01)
    if causal:
        w = np.tril(w)  # (..., T, T): nothing on later tokens
    return w / w.sum(-1, keepdims=True)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 9).flatmap(
        lambda t: st.tuples(
            st.lists(st.booleans(), min_size=t, max_size=t),
            st.booleans(),
            st.integers(0, 2**16),
            st.floats(0.0, 0.5),
        )
    )
)
def test_masked_and_renormalized_rows_still_sum_to_one(data):
    special, causal, seed, threshold = data
    t = len(special)
    r = _synthetic(_row_stochastic((2, 3, t, t), seed, causal=causal), special, causal=causal)
    for layer, head in ((0, 0), (1, 2)):
        v = head_view(r, ViewConfig(layer, head, hide_special=True))
        np.testing.assert_allclose(v.matrix.sum(-1), 1.0, atol=1e-5)  # renormalized rows
        assert r.special.all() or not r.special[v.rows].any()
        assert (v.matrix[v.masked] == 0).all()  # the causal mask survives renormalizing
        assert (np.isnan(v.drawn) == v.masked).all()
        np.testing.assert_array_equal(v.drawn[~v.masked], v.matrix[~v.masked])
        cut = head_view(r, ViewConfig(layer, head, threshold=threshold, hide_special=True))
        assert ((cut.matrix == 0) | (cut.matrix >= threshold)).all()


def test_drawn_blanks_exactly_the_causal_mask(results):
    r = results[("tiny-gpt", CASES[3][1], None)]
    v = head_view(r, ViewConfig(1, 2))
    assert v.drawn.dtype == np.float32 and v.drawn.flags.c_contiguous
    assert (np.isnan(v.drawn) == np.triu(np.ones_like(v.masked), 1)).all()
    enc = head_view(results[("minilm", PRONOUN, None)], ViewConfig(1, 2))
    assert not np.isnan(enc.drawn).any() and (enc.drawn == enc.matrix).all()


@pytest.mark.parametrize(("model", "text"), [("minilm", PRONOUN), ("tiny-gpt", CASES[3][1])])
def test_max_above_diagonal_is_zero_only_under_the_causal_mask(results, model, text):
    r = results[(model, text, None)]
    got = r.max_above_diagonal(2, 1)
    assert got == float(np.triu(r.weights[2, 1], 1).max())
    assert (got == 0.0) is r.causal


@pytest.mark.parametrize(
    ("config", "index"),
    [
        (ViewConfig(5, 0), 10),  # 'it'
        (ViewConfig(0, 2, hide_special=True), 3),
        (ViewConfig(0, 2, threshold=0.2), 3),
        (ViewConfig(1, 1, hide_special=True), 0),  # [CLS] hidden: nothing to rank
    ],
)
def test_token_focus_ranks_the_row_and_column(results, config, index):
    r = results[("minilm", PRONOUN, None)]
    v = head_view(r, config)
    f = token_focus(r, v, index, top=5)
    row, col = v.row(index), v.col(index)
    np.testing.assert_array_equal(f.attends_to_weights, sorted(row[row > 0], reverse=True)[:5])
    np.testing.assert_array_equal(f.attended_by_weights, sorted(col[col > 0], reverse=True)[:5])
    for j, w in zip(f.attends_to, f.attends_to_weights, strict=True):
        assert row[np.flatnonzero(v.cols == j)[0]] == w
    for i, w in zip(f.attended_by, f.attended_by_weights, strict=True):
        assert col[np.flatnonzero(v.rows == i)[0]] == w
    hidden = np.setdiff1d(np.arange(r.n_tokens), v.cols)
    np.testing.assert_array_equal(f.weights[v.cols], row)
    assert f.weights.shape == (r.n_tokens,) and not f.weights[hidden].any()
    assert f.shade.max() == pytest.approx(1.0 if row.any() else 0.0)
    assert not row.any() or f.shade.argmax() == f.attends_to[0]
    with pytest.raises(ValueError, match="not in"):
        token_focus(r, v, r.n_tokens)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 12), st.integers(1, 6), st.integers(0, 2**16))
def test_pooling_invariants(t, size, seed):
    head = _row_stochastic((t, t), seed)
    same = _synthetic(np.broadcast_to(head, (2, 3, t, t)).copy(), [False] * t)
    # word_attention's mean over equal heads is that head
    words = dataclasses.replace(
        same,
        text=" ".join(chr(97 + i) for i in range(t)),
        offsets=tuple((2 * i, 2 * i + 1) for i in range(t)),
    )
    got = word_attention(words, "a", [chr(97 + j) for j in range(t)], layer=1)
    np.testing.assert_allclose(list(got.values()), head[0], atol=1e-6)
    # equal heads pool to equal thumbnails, within the head's range
    th = thumbnails(same, [(0, 0), (1, 2)], size)
    np.testing.assert_array_equal(th.pooled[0], th.pooled[1])
    assert head.min() - 1e-6 <= th.pooled[0].min() <= th.pooled[0].max() <= head.max() + 1e-6
    # a constant map pools to the same constant; the blocks tile every token once
    flat, starts = pool(np.full((t, t), 0.25), size)
    assert np.allclose(flat, 0.25) and starts[0] == 0 and (np.diff(starts) > 0).all()
    assert th.ends[-1] == t - 1 and (th.starts <= th.ends).all()
    assert (th.starts[1:] == th.ends[:-1] + 1).all()
    # equal blocks of a row-stochastic map: each pooled row sums to (blocks / t)
    if t % len(starts) == 0:
        np.testing.assert_allclose(pool(head, size)[0].sum(-1), len(starts) / t, atol=1e-5)


# --- encoder-decoders: encoder self, decoder self (causal) and cross-attention -----------------
TRANSLATE = "translate English to French: cat dog"
SEQ2SEQ_CASES = [  # (model, source, target): None = the model's own greedy output
    ("tiny-t5", TRANSLATE, None),
    ("tiny-t5", TRANSLATE, "chat chien"),
    ("tiny-t5", "question: Where is Tom? context: Tom is in the garden.", "in the garden"),
    ("random-t5", "summarize: Tom saw a big dog in the park.", None),
    ("random-t5", TRANSLATE, "le chat et le chien"),
]


def _random_t5() -> models.LoadedModel:
    """A small random T5 with tiny-t5's tokenizer: 3 encoder and 2 decoder layers of 2 heads
    (so each stack's depth is checked apart), eager attention as the loaders ask."""
    from transformers import T5Config, T5ForConditionalGeneration

    tok = models.load_seq2seq("tiny-t5").tokenizer
    torch.manual_seed(0)
    cfg = T5Config(
        vocab_size=len(tok),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=3,
        num_decoder_layers=2,  # fewer than the encoder's (model.generate's cache needs that)
        num_heads=2,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
        dropout_rate=0.0,
        attn_implementation="eager",
    )
    model = T5ForConditionalGeneration(cfg).eval()
    spec = models.ModelSpec("random-t5", "seq2seq", "embedded", "a random T5 for the tests")
    return models.LoadedModel(spec, model, tok)


class _Seq2Seq(dict):
    """Each case's result computed on first use, once per module (and the random T5 once)."""

    def model(self, name: str):
        if name == "random-t5":
            if "_random" not in self:
                self["_random"] = _random_t5()
            return self["_random"]
        return models.load_seq2seq(name)

    def __missing__(self, key):
        name, source, target = key
        self[key] = seq2seq_attention(source, self.model(name), target=target)
        return self[key]


@pytest.fixture(scope="module")
def s2s():
    return _Seq2Seq()


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


def test_seq2seq_views_handle_the_rectangular_cross_map(s2s):
    r = s2s[("tiny-t5", TRANSLATE, "chat chien")].cross
    T, S = r.n_tokens, r.n_keys
    v = head_view(r, ViewConfig(1, 2))
    assert v.matrix.shape == (T, S) and not v.masked.any() and not np.isnan(v.drawn).any()
    np.testing.assert_array_equal(v.matrix, r.head(1, 2))
    hid = head_view(r, ViewConfig(1, 2, hide_special=True))
    assert v.matrix.shape == (T, S) and hid.renormalized
    assert not r.special[hid.rows].any() and not r.col_special[hid.cols].any()
    assert "</s>" not in [r.key_tokens[j] for j in hid.cols]
    raw = r.head(1, 2)[np.ix_(hid.rows, hid.cols)]
    np.testing.assert_allclose(hid.matrix, raw / raw.sum(-1, keepdims=True), atol=1e-6)
    w, rows = renormalized(r, True)
    assert w.shape == (r.n_layers, r.n_heads, len(hid.rows), len(hid.cols))
    np.testing.assert_allclose(w[1, 2], hid.matrix, atol=1e-6)
    assert (rows == hid.rows).all()
    f = token_focus(r, hid, 1)
    assert f.weights.shape == (S,) and len(f.attended_by) == len(f.attended_by_weights) == 0
    np.testing.assert_array_equal(f.weights[hid.cols], hid.row(1))
    assert r.key_labels()[0] == f"0 {r.key_tokens[0]}" and r.labels()[1] == "1 chat → chien"
    with pytest.raises(ValueError, match="no diagonal"):
        r.max_above_diagonal(0, 0)


def test_seq2seq_summary_and_thumbnails(s2s):
    res = s2s[("tiny-t5", TRANSLATE, "chat chien")]
    s = head_summary(res.cross)
    assert s.metrics == ("entropy", "to_special", "to_first")
    assert np.isnan(s.to_self).all() and np.isnan(s.to_previous).all()
    with pytest.raises(ValueError, match="does not apply to cross-attention"):
        s.metric("to_self")
    assert set(s.rows()[0]) == {"layer", "head", "pattern", "entropy", "to_special", "to_first"}
    w = res.cross.weights.astype(np.float64)
    rows = np.flatnonzero(~res.cross.special)
    assert s.to_special[2, 1] == pytest.approx(
        w[2, 1][rows][:, res.cross.key_special].sum(-1).mean()
    )
    assert s.to_first[2, 1] == pytest.approx(w[2, 1][rows, 0].mean())
    assert head_summary(res.decoder).metrics == tuple(HEAD_METRICS)
    th = thumbnails(res.cross, [(0, 0), (2, 3)], 4)
    T, S = res.cross.n_tokens, res.cross.n_keys
    assert th.pooled[0].shape == (min(T, 4), min(S, 4)) and not np.isnan(th.pooled[0]).any()
    cols, starts, ends = th.columns
    assert len(cols) == S and ends[-1] == S - 1 and th.pooled_blocks == (S > 4 or T > 4)
    full = thumbnails(res.cross, [(2, 3)], 48, hide_special=True)
    np.testing.assert_allclose(full.pooled[0], renormalized(res.cross, True)[0][2, 3], atol=1e-6)
    dec = thumbnails(res.decoder, [(0, 0)], 48)
    assert np.isnan(dec.pooled[0]).any() == (res.decoder.n_tokens > 1)  # the causal mask


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


def test_cross_attention_result_checks_its_columns(s2s):
    r = s2s[("tiny-t5", TRANSLATE, "chat chien")]
    with pytest.raises(ValueError, match="key_tokens"):
        dataclasses.replace(r.decoder, kind="cross")  # cross-attention without its columns
    with pytest.raises(ValueError, match="tokens but attention maps"):
        dataclasses.replace(r.cross, key_tokens=r.cross.key_tokens[:-1])
    assert is_seq2seq("tiny-t5") and is_seq2seq("flan-t5-small") and not is_seq2seq("minilm")


def test_source_word_attention_reads_the_row_writing_the_word(s2s):
    res = s2s[("tiny-t5", TRANSLATE, "chat chien")]
    got = source_word_attention(res, "chien", ["cat", "dog", "zebra"], layer=2)
    k = word_tokens(res.decoder, "chien")[0]
    assert res.decoder.writes[k - 1] == "chien"  # the row before the word writes it
    row = res.cross.weights[2, :, k - 1].mean(0)
    assert got["dog"] == pytest.approx(row[word_tokens(res.encoder, "dog")].sum())
    assert got["cat"] == pytest.approx(row[word_tokens(res.encoder, "cat")].sum())
    assert got["zebra"] == 0.0
    every = source_word_attention(res, "chien", res.source.replace(":", "").split(), layer=0)
    colon, end = res.encoder.tokens.index(":"), res.encoder.n_tokens - 1  # not words
    rest = res.cross.weights[0, :, k - 1][:, [colon, end]].sum(-1).mean()
    assert sum(every.values()) == pytest.approx(1.0 - rest, abs=1e-5)  # the words hold the rest
    with pytest.raises(ValueError, match="not in the target"):
        source_word_attention(res, "lapin", ["cat"], layer=0)
