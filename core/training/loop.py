"""The optimisation loop of the project's own models (tiny-gpt, tiny-t5): one home for the
warm-up + cosine schedule and the clipped AdamW step, so both are trained the same way."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def warmup_cosine(step: int, *, peak: float, warmup: int, steps: int, floor: float) -> float:
    """The learning rate at ``step``: linear warm-up to ``peak`` over ``warmup`` steps, then a
    cosine decay to ``floor * peak`` at the last step.

    >>> [round(warmup_cosine(s, peak=1.0, warmup=2, steps=6, floor=0.1), 3) for s in range(6)]
    [0.5, 1.0, 1.0, 0.868, 0.55, 0.232]
    """
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def optimise(
    model: Any,
    optimizer: Any,
    steps: int,
    batch_at: Callable[[int], dict[str, Any]],
    lr_at: Callable[[int], float],
    *,
    clip: float = 1.0,
    on_step: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[float]:
    """Train ``model`` for ``steps`` steps: each step sets the learning rate ``lr_at(step)``,
    runs ``model(**batch_at(step)).loss`` (a transformers model given ``labels``), clips the
    gradient norm to ``clip`` and steps ``optimizer``.

    ``should_stop()`` is asked before every step; once it says True the loop ends there (a
    learner's Stop), so fewer than ``steps`` losses come back.

    Returns:
        The loss of every step, in order (``on_step(step, loss)`` hears each one as it comes).
    """
    import torch

    losses: list[float] = []
    model.train()
    for step in range(steps):
        if should_stop is not None and should_stop():
            break
        batch = batch_at(step)
        for g in optimizer.param_groups:
            g["lr"] = lr_at(step)
        loss = model(**batch).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step, losses[-1])
    return losses
