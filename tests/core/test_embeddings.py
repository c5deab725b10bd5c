"""core.embeddings: one mean-pool + L2-normalise, equal to sentence-transformers for MiniLM."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import models
from core.embeddings import Embedder, embed, mean_pool, sentence_max_length

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
