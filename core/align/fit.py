"""What the reward model's and DPO's runs share before their loops: the pairs checked and
encoded for the model, the seeded epoch plan and the warm-up + cosine learning rate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.align.logps import PairTensors, encode_pairs
from core.align.pairs import PreferenceSet


def check_data(data: PreferenceSet, what: str) -> None:
    """Raise ``ValueError`` unless there are training and held-out pairs.

    >>> check_data(PreferenceSet((), ()), "DPO")
    Traceback (most recent call last):
    ...
    ValueError: DPO needs training pairs and held-out pairs (at least one of each)
    """
    if not data.train or not data.heldout:
        raise ValueError(f"{what} needs training pairs and held-out pairs (at least one of each)")


def encode_for(model: Any, tok: Any, data: PreferenceSet, max_tokens: int) -> tuple[Any, int]:
    """The training pairs as tensors cut to fit ``model``'s context, and the length used."""
    from core.models import context_size

    max_tokens = min(max_tokens, context_size(model))
    train: PairTensors = encode_pairs(tok, data.train, max_tokens)
    return train, max_tokens


def schedule(
    n_pairs: int, batch_size: int, epochs: int, seed: int, lr: float
) -> tuple[list[tuple[int, list[int]]], Callable[[int], float]]:
    """The seeded ``(epoch, pair indices)`` of every step, and the learning rate at each:
    a warm-up over a tenth of the run (at most 10 steps), then a cosine to a tenth of ``lr``.

    >>> plan, lr_at = schedule(10, 4, 2, 0, 1.0)
    >>> len(plan), [len(idx) for _, idx in plan], lr_at(0)
    (6, [4, 4, 2, 4, 4, 2], 1.0)
    """
    from core.lora.batches import epoch_batches
    from core.training.loop import warmup_cosine

    plan = epoch_batches(n_pairs, batch_size, epochs, seed)
    warmup = max(1, min(10, len(plan) // 10))

    def lr_at(step: int) -> float:
        return warmup_cosine(step, peak=lr, warmup=warmup, steps=len(plan), floor=0.1)

    return plan, lr_at
