"""The two preference losses: DPO's on a policy against its frozen reference, and the reward
model's pairwise loss on a scalar head.

Both are a few lines written here rather than TRL's trainers, for three reasons: the page must
step, stop and plot a run through the project's one loop (:func:`core.training.loop.optimise`)
and its job queue, which TRL's ``Trainer`` (accelerate, its own loop and callbacks) would
replace; every intermediate the page draws (log-probs, implicit rewards, margins, KL) comes out
of the same forward pass; and tiny-gpt trains in seconds without TRL's dataset pipeline. The
formulas are TRL's own (``DPOTrainer`` with ``loss_type="sigmoid"``, ``RewardTrainer``'s
``-logsigmoid(r_chosen - r_rejected)``); the tests check the DPO loss against TRL's on the same
batch.

- DPO (Rafailov et al., 2023): with ``h = (log pi(y_c) - log ref(y_c)) - (log pi(y_r) -
  log ref(y_r))`` over summed completion log-probs, ``loss = -log sigmoid(beta * h)``; the
  implicit rewards are ``beta * (log pi - log ref)`` per completion.
- Reward model (Bradley-Terry, as InstructGPT trains it): ``P(chosen better) = sigmoid(r_c -
  r_r)``, ``loss = -log sigmoid(r_c - r_r)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DPOLoss:
    """One batch's DPO loss and what TRL logs beside it (tensors; ``loss`` carries the graph).

    Attributes:
        loss: mean ``-log sigmoid(beta * h)`` over the pairs.
        chosen_rewards / rejected_rewards: (B,) ``beta * (log pi - log ref)``, detached.
        margins: (B,) chosen minus rejected reward (TRL's ``rewards/margins``).
        accuracy: share of pairs whose chosen reward is above the rejected one (TRL's
            ``rewards/accuracies``: strictly above, so 0 at step 0 where all rewards are 0).
    """

    loss: Any
    chosen_rewards: Any
    rejected_rewards: Any

    @property
    def margins(self) -> Any:
        return self.chosen_rewards - self.rejected_rewards

    @property
    def accuracy(self) -> float:
        return float((self.chosen_rewards > self.rejected_rewards).float().mean())


def dpo_loss(
    policy_chosen: Any,
    policy_rejected: Any,
    ref_chosen: Any,
    ref_rejected: Any,
    *,
    beta: float,
) -> DPOLoss:
    """The sigmoid DPO loss of a batch of pairs from summed completion log-probs (B,) each.

    Raises:
        ValueError: ``beta`` not above 0 (at 0 every pair's loss is log 2 and nothing trains),
            or shapes that differ.

    >>> import torch
    >>> z = torch.zeros(2)
    >>> round(float(dpo_loss(z, z, z, z, beta=0.1).loss), 4)  # log 2: no preference yet
    0.6931
    >>> r = dpo_loss(torch.tensor([-1.0]), torch.tensor([-3.0]), z[:1], z[:1], beta=0.5)
    >>> round(float(r.loss), 4), float(r.margins[0])  # -log sigmoid(0.5 * 2)
    (0.3133, 1.0)
    """
    import torch.nn.functional as F

    if not beta > 0:
        raise ValueError(
            f"beta must be above 0, got {beta}: at 0 the DPO loss is log 2 for every pair, "
            "so its gradient is zero and nothing trains"
        )
    shapes = {tuple(t.shape) for t in (policy_chosen, policy_rejected, ref_chosen, ref_rejected)}
    if len(shapes) != 1:
        raise ValueError(f"the four log-prob vectors must have one shape, got {sorted(shapes)}")
    chosen_ratio = policy_chosen - ref_chosen  # (B,)
    rejected_ratio = policy_rejected - ref_rejected  # (B,)
    loss = -F.logsigmoid(beta * (chosen_ratio - rejected_ratio)).mean()
    return DPOLoss(loss, beta * chosen_ratio.detach(), beta * rejected_ratio.detach())


def reward_loss(chosen_scores: Any, rejected_scores: Any) -> Any:
    """The pairwise reward-model loss ``mean(-log sigmoid(r_c - r_r))`` (TRL's RewardTrainer).

    >>> import torch
    >>> round(float(reward_loss(torch.tensor([2.0]), torch.tensor([0.0]))), 4)
    0.1269
    """
    import torch.nn.functional as F

    if tuple(chosen_scores.shape) != tuple(rejected_scores.shape):
        raise ValueError("need one rejected score per chosen score")
    return -F.logsigmoid(chosen_scores - rejected_scores).mean()
