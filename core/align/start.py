"""DPO's starting point, measured: the loss and KL of a fresh adapter on real pairs (the
page's predict-then-reveal answer)."""

from __future__ import annotations

from dataclasses import dataclass

from core.align.dpo import DPOConfig, _Objective, build_policy
from core.align.logps import encode_pairs
from core.align.pairs import PreferenceSet


@dataclass(frozen=True)
class StartingPoint:
    """DPO's loss and KL on real pairs before the first step (a fresh adapter: B = 0)."""

    loss: float
    kl: float
    n_pairs: int


def starting_point(config: DPOConfig, pairs: PreferenceSet) -> StartingPoint:
    """Build the policy as a run would and measure the first batch's loss and KL, untrained.

    >>> # starting_point(DPOConfig(), preference_set()).loss -> 0.6931... (log 2)
    """
    import torch

    model, tok = build_policy(config)
    batch = encode_pairs(tok, pairs.train[: config.batch_size], config.max_tokens)
    objective = _Objective.build(model, config.beta)
    with torch.no_grad():
        out = objective(batch)
    return StartingPoint(float(out.loss), objective.last[2], batch.n_pairs)
