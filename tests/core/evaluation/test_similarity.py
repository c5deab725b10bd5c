"""core.evaluation.similarity: cosine between two models' embeddings, top-1 retrieval."""

from __future__ import annotations

import pytest
import torch

from core import models
from core.embeddings import embed
from core.evaluation import mean_cosine, paired_cosine, top1_retrieval

TEXTS = ["What is attention?", "Quantization stores weights in fewer bits.", "A cat sleeps."]


def unit(x):
    return torch.nn.functional.normalize(torch.tensor(x, dtype=torch.float32), dim=-1)


def test_identical_embeddings_have_cosine_one():
    mini = models.load_embedder("minilm")
    e = embed(mini.model, mini.tokenizer, TEXTS, max_length=64)  # (3, 384)
    assert mean_cosine(e, e) == pytest.approx(1.0, abs=1e-6)
    assert torch.allclose(paired_cosine(e, e), torch.ones(3), atol=1e-6)


@pytest.mark.parametrize(
    ("a", "b", "cos"),
    [
        ([[1, 0]], [[1, 0]], [1.0]),
        ([[1, 0]], [[0, 1]], [0.0]),
        ([[1, 0]], [[-1, 0]], [-1.0]),
        ([[1, 1], [3, 4]], [[1, 0], [4, 3]], [0.70710678, 0.96]),
    ],
)
def test_paired_cosine_case_table(a, b, cos):
    assert paired_cosine(unit(a), unit(b)).tolist() == pytest.approx(cos, abs=1e-6)


def test_cosine_is_symmetric_and_bounded():
    g = torch.Generator().manual_seed(0)
    a = torch.nn.functional.normalize(torch.randn(20, 8, generator=g), dim=-1)
    b = torch.nn.functional.normalize(torch.randn(20, 8, generator=g), dim=-1)
    c = paired_cosine(a, b)
    assert torch.equal(c, paired_cosine(b, a))
    assert bool(((c >= -1 - 1e-6) & (c <= 1 + 1e-6)).all())


def test_shapes_must_match():
    with pytest.raises(ValueError, match="differ"):
        paired_cosine(torch.zeros(2, 4), torch.zeros(3, 4))


@pytest.mark.parametrize(
    ("passages", "hits"),
    [
        ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [1.0, 1.0, 1.0]),
        ([[0, 1, 0], [1, 0, 0], [0, 0, 1]], [0.0, 0.0, 1.0]),
        ([[1, 0, 0], [1, 0, 0], [1, 0, 0]], [1.0, 0.0, 0.0]),
    ],
)
def test_top1_retrieval_case_table(passages, hits):
    assert top1_retrieval(torch.eye(3), unit(passages)) == hits


def test_real_questions_find_their_own_sentences():
    mini = models.load_embedder("minilm")
    q = mini.encode(["What is attention?", "How are weights stored in fewer bits?"])
    p = mini.encode(["Attention lets tokens look at each other.", "Quantization: fewer bits."])
    assert top1_retrieval(q, p) == [1.0, 1.0]
