"""The encoder's sentiment head: a logistic regression over sentence embeddings, trained on a
labelled review set that holds none of the scored reviews."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core import corpus
from core.cache import LRU
from core.evaluation import fit_logistic_regression, probe_logits
from core.prompting import Task


@dataclass(frozen=True)
class HeadInfo:
    """The encoder's sentiment head: what it was trained on."""

    n_train: int  # labelled reviews it was fitted on
    n_removed: int  # training reviews dropped because their text is a held-out item
    train_accuracy: float
    n_params: int


_HEADS: LRU[tuple[Any, Any, HeadInfo]] = LRU(max_items=4)


def head_training_rows(held_out: Sequence[str]) -> tuple[list[dict[str, str]], int]:
    """The labelled reviews the head trains on: :func:`core.corpus.review_dataset` minus every
    review whose text is one of ``held_out`` (the grammar can write the same review twice).

    Returns:
        (rows, how many were removed).

    >>> rows, removed = head_training_rows([corpus.review_dataset()[0]["text"]])
    >>> removed >= 1, len(rows) + removed
    (True, 300)
    """
    banned = set(held_out)
    rows = corpus.review_dataset()
    kept = [r for r in rows if r["text"] not in banned]
    return kept, len(rows) - len(kept)


def sentiment_head(embedder: Any, task: Task) -> tuple[Any, Any, HeadInfo]:
    """A logistic regression over ``embedder``'s sentence embeddings, trained on the review set
    without any of ``task``'s held-out items. Built once per embedder and task.

    Returns:
        (weight (H, C), bias (C,), :class:`HeadInfo`); class i is ``task.labels[i]``.
    """
    import torch

    key = (embedder.name, id(embedder.model), task.to_json())
    cached = _HEADS.get(key)
    if cached is not None:
        return cached
    labels = tuple(task.labels or ())
    rows, removed = head_training_rows([it.input for it in task.items])
    x = torch.as_tensor(np.asarray(embedder.encode([r["text"] for r in rows])))  # (N, H)
    y = torch.tensor([labels.index(r["label"]) for r in rows])  # (N,)
    w, b = fit_logistic_regression(x, y)
    train_acc = float((probe_logits(x, w, b).argmax(-1) == y).float().mean())
    info = HeadInfo(len(rows), removed, train_acc, int(w.numel() + b.numel()))
    _HEADS.put(key, (w, b, info))
    return w, b, info
