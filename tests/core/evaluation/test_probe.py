"""core.evaluation.probe: the logistic-regression probe behind an encoder's accuracy."""

from __future__ import annotations

import pytest
import torch

from core.evaluation import fit_logistic_regression, probe_accuracy, probe_logits


@pytest.fixture(scope="module")
def blobs():
    """Three well separated classes in 4 dimensions, 30 points each."""
    g = torch.Generator().manual_seed(0)
    centers = 4 * torch.eye(3, 4)  # (3, 4)
    y = torch.arange(3).repeat_interleave(30)  # (90,)
    x = centers[y] + 0.3 * torch.randn(90, 4, generator=g)  # (90, 4)
    return x, y


def test_separable_classes_are_learned(blobs):
    x, y = blobs
    w, b = fit_logistic_regression(x, y)
    assert w.shape == (4, 3) and b.shape == (3,)
    assert probe_accuracy(x, y, w, b) == 1.0
    assert probe_logits(x, w, b).shape == (90, 3)


def test_the_fit_is_deterministic(blobs):
    x, y = blobs
    (w1, b1), (w2, b2) = fit_logistic_regression(x, y), fit_logistic_regression(x, y)
    assert torch.equal(w1, w2) and torch.equal(b1, b2)


def test_an_unknown_label_never_counts_as_right(blobs):
    x, y = blobs
    w, b = fit_logistic_regression(x, y)
    y_unknown = y.clone()
    y_unknown[:30] = -1
    assert probe_accuracy(x, y_unknown, w, b) == pytest.approx(60 / 90)
