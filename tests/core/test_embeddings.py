"""core.embeddings: one mean-pool + L2-normalise, equal to sentence-transformers for MiniLM."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import models
from core.embeddings import (
    Embedder,
    cosine_matrix,
    embed,
    mean_pool,
    nearest,
    pca,
    position_table,
    sentence_max_length,
    sinusoidal_positions,
    token_table,
)

TEXTS = ["What is attention?", "Quantization stores weights with fewer bits.", "é 東京", "a"]


@pytest.fixture(scope="module")
def mini() -> Embedder:
    return models.load_embedder("minilm")


def test_mean_pool_averages_only_the_unmasked_tokens():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(2, 5, 3, generator=g)  # (B, T, H)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    out = mean_pool(h, mask)  # (2, 3)
    expected = torch.stack([h[0, :3].mean(0), h[1].mean(0)])
    assert torch.allclose(out, torch.nn.functional.normalize(expected, dim=-1), atol=1e-6)
    h2 = h.clone()
    h2[0, 3:] = 1e6  # what padding holds does not matter
    assert torch.equal(mean_pool(h2, mask), out)
    assert torch.allclose(out.norm(dim=-1), torch.ones(2), atol=1e-6)


def test_mean_pool_works_in_float32_for_half_encoders():
    h = torch.randn(1, 4, 8).to(torch.bfloat16)
    out = mean_pool(h, torch.ones(1, 4, dtype=torch.long))
    assert out.dtype == torch.float32


def test_minilm_embeddings_equal_sentence_transformers(mini):
    from sentence_transformers import SentenceTransformer

    ref = SentenceTransformer(models.model_path("minilm"), device="cpu")
    ours = mini.encode(TEXTS).numpy()
    assert ours.shape == (len(TEXTS), 384) and mini.dimension == 384
    np.testing.assert_allclose(ours, ref.encode(TEXTS, normalize_embeddings=True), atol=1e-5)
    assert mini.max_seq_length == ref.max_seq_length == 256


@pytest.mark.parametrize(("batch_size", "sort"), [(1, False), (2, True), (None, False), (32, True)])
def test_batching_and_length_sorting_keep_the_order(mini, batch_size, sort):
    one_by_one = torch.cat(
        [embed(mini.model, mini.tokenizer, [t], max_length=64) for t in TEXTS]
    )  # (N, H)
    out = embed(
        mini.model, mini.tokenizer, TEXTS, max_length=64, batch_size=batch_size, sort_by_length=sort
    )
    assert torch.allclose(out, one_by_one, atol=1e-5)


def test_max_length_truncates(mini):
    long = "word " * 400
    a = embed(mini.model, mini.tokenizer, [long], max_length=8)
    b = embed(mini.model, mini.tokenizer, ["word " * 6], max_length=8)  # CLS + 6 + SEP
    assert torch.allclose(a, b, atol=1e-6)


def test_bad_settings_are_value_errors(mini):
    with pytest.raises(ValueError, match="batch_size"):
        mini.encode(["x"], batch_size=0)
    with pytest.raises(ValueError, match="max_seq_length"):
        Embedder(mini.loaded, 0)


def test_the_max_length_is_read_from_the_sentence_config(tmp_path):
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    assert sentence_max_length(tmp_path) == 128
    assert sentence_max_length(tmp_path / "missing") == 256


# --- embedding space -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tiny-gpt", "minilm"])
def test_token_table_rows_are_the_models_own_embeddings(name):
    lm = models.load_model(name)
    table = token_table(lm.model)
    ids = lm.tokenizer("the cat", add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        rows = lm.model.get_input_embeddings()(torch.tensor(ids)).numpy()  # (T, d)
    assert table.shape == (lm.model.get_input_embeddings().num_embeddings, rows.shape[1])
    assert np.array_equal(table[ids], rows)
    table[0] += 1.0  # a copy: the cached model is never mutated
    assert not np.array_equal(token_table(lm.model)[0], table[0])


@pytest.mark.parametrize(("name", "positions"), [("tiny-gpt", 256), ("minilm", 512)])
def test_position_table_is_the_learned_position_embedding(name, positions):
    model = models.load_model(name).model
    table = position_table(model)
    assert table is not None and table.shape[0] == positions == models.context_size(model)
    assert table.shape[1] == token_table(model).shape[1]


@pytest.mark.parametrize(("n", "d"), [(1, 1), (3, 4), (50, 16), (7, 5)])
def test_sinusoidal_table_is_the_papers_formula(n, d):
    pe = sinusoidal_positions(n, d)
    assert pe.shape == (n, d)
    for pos in range(n):
        for i in range(d):
            angle = pos / 10000 ** ((i - i % 2) / d)
            want = np.sin(angle) if i % 2 == 0 else np.cos(angle)
            assert pe[pos, i] == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize(("n", "d", "k"), [(20, 5, 2), (40, 8, 3), (6, 3, 3)])
def test_pca_equals_scikit_learns(n, d, k):
    from sklearn.decomposition import PCA

    x = np.random.default_rng(n).normal(size=(n, d)) * np.arange(1, d + 1)  # (N, d)
    ours, ref = pca(x, k), PCA(n_components=k, svd_solver="full").fit(x)
    signs = np.sign((ours.components * ref.components_).sum(axis=1))  # sign conventions aside
    assert np.allclose(ours.components * signs[:, None], ref.components_, atol=1e-8)
    assert np.allclose(ours.coords * signs, ref.transform(x), atol=1e-8)
    assert np.allclose(ours.explained, ref.explained_variance_ratio_, atol=1e-10)


@pytest.mark.parametrize(
    ("points", "k", "message"),
    [
        ([[1.0, 2.0]], 1, "at least two"),
        ([[1.0], [np.nan]], 1, "NaN"),
        ([[1, 2], [3, 4]], 3, "n_c"),
    ],
)
def test_pca_refuses_what_it_cannot_project(points, k, message):
    with pytest.raises(ValueError, match=message):
        pca(points, k)


def test_cosine_matrix_and_nearest_agree(mini):
    v = mini.encode(["a cat", "a kitten", "the stock market", "a dog"])  # (4, H)
    sims = cosine_matrix(v)
    assert np.allclose(np.diag(sims), 1.0, atol=1e-5) and np.allclose(sims, sims.T, atol=1e-6)
    best = nearest(v, v[0], k=3, exclude=[0])
    assert [i for i, _ in best] == sorted(range(1, 4), key=lambda j: -sims[0, j])
    assert all(c == pytest.approx(float(sims[0, i]), abs=1e-4) for i, c in best)
    assert nearest(v, v[0], k=1)[0][0] == 0  # without exclusion a point is its own nearest


@pytest.mark.parametrize(("n", "d"), [(64, 128), (9, 6)])
def test_sinusoidal_positions_equal_a_loop_over_the_paper(n, d):
    import math

    pe = sinusoidal_positions(n, d)
    for pos in range(n):
        for i in range(d // 2):
            w = 1 / 10000 ** (2 * i / d)
            assert pe[pos, 2 * i] == pytest.approx(math.sin(pos * w), abs=1e-6)
            assert pe[pos, 2 * i + 1] == pytest.approx(math.cos(pos * w), abs=1e-6)
