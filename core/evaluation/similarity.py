"""Embedding similarity: cosine between two models' sentence embeddings of the same texts, and
top-1 retrieval (is each query's nearest passage its own?)."""

from __future__ import annotations

from typing import Any


def paired_cosine(a: Any, b: Any) -> Any:
    """Cosine of each row of ``a`` with the same row of ``b``: (N, H), (N, H) -> (N,).

    Rows must be unit length already (what :func:`core.embeddings.embed` returns), so the
    cosine is the dot product.

    >>> import torch
    >>> a = torch.tensor([[1.0, 0.0], [0.6, 0.8]])
    >>> paired_cosine(a, torch.tensor([[0.0, 1.0], [0.6, 0.8]])).tolist()
    [0.0, 1.0]
    """
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"embeddings of shapes {tuple(a.shape)} and {tuple(b.shape)} differ")
    return (a * b).sum(-1)  # (N,)


def mean_cosine(a: Any, b: Any) -> float:
    """Mean of :func:`paired_cosine`: 1.0 when the two models embed every text alike."""
    return float(paired_cosine(a, b).mean())


def top1_retrieval(queries: Any, passages: Any) -> list[float]:
    """1.0 for each query whose most similar passage is its own (row i <-> row i), else 0.0.

    >>> import torch
    >>> top1_retrieval(torch.eye(3), torch.tensor([[1.0, 0, 0], [0, 0, 1.0], [0, 0, 2.0]]))
    [1.0, 0.0, 1.0]
    """
    import torch

    sims = queries @ passages.T  # (N, N) cosine similarity, query x passage
    return (sims.argmax(-1) == torch.arange(len(queries))).float().tolist()  # (N,)
