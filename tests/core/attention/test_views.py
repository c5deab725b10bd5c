"""core.attention.views: one head as the page draws it (special tokens hidden, pair filter,
threshold, the causal mask) and one token's focus."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.attention import ViewConfig, head_view, renormalized, token_focus
from tests.core.attention.samples import CASES, PRONOUN, TRANSLATE, row_stochastic, synthetic


@pytest.mark.parametrize(
    "bad", [dict(layer=-1), dict(threshold=1.0), dict(threshold=-0.1), dict(pair_filter="A")]
)
def test_view_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        ViewConfig(**bad)


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


def test_row_and_col_of_a_view_and_the_row_sum_deviation(results):
    r = results[("minilm", "The cat sat.", "It slept.")]
    v = head_view(r, ViewConfig(layer=2, head=3))
    np.testing.assert_array_equal(v.row(4), r.head(2, 3)[4])
    np.testing.assert_array_equal(v.col(4), r.head(2, 3)[:, 4])
    hidden = head_view(r, ViewConfig(layer=2, head=3, hide_special=True, pair_filter="A->B"))
    assert not hidden.row(0).any() and not hidden.col(0).any()  # [CLS] is hidden: zeros
    assert hidden.row(int(hidden.rows[0])).sum() > 0
    assert 0 <= r.row_sum_deviation < 1e-5


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
    r = synthetic(row_stochastic((2, 3, t, t), seed, causal=causal), special, causal=causal)
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
