"""core.attention.summary: per-head summaries, pooling and thumbnails, the token selected
first."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.attention import (
    HEAD_METRICS,
    default_token,
    head_summary,
    pool,
    renormalized,
    thumbnails,
    word_attention,
)
from tests.core.attention.samples import CASES, PRONOUN, TRANSLATE, row_stochastic, synthetic


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
    r = synthetic(w, special)
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


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 12), st.integers(1, 6), st.integers(0, 2**16))
def test_pooling_invariants(t, size, seed):
    head = row_stochastic((t, t), seed)
    same = synthetic(np.broadcast_to(head, (2, 3, t, t)).copy(), [False] * t)
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
