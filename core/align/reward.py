"""A reward model: a language model with a scalar head, trained on pairs as a binary classifier.

tiny-gpt (or a hub causal LM) gets a one-output sequence-classification head that reads the
last real token of ``prompt + completion``; the loss is the Bradley-Terry one of
:func:`core.align.loss.reward_loss` (``P(chosen better) = sigmoid(r_c - r_r)``), the loop is
:func:`core.training.loop.optimise`. All weights train: tiny-gpt has 2M of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.align.logps import PairTensors, encode_pairs, preference_accuracy
from core.align.loss import reward_loss
from core.align.pairs import Pair, PreferenceSet
from core.knobs import check, knob


@dataclass(frozen=True)
class RewardConfig:
    """Everything that decides a reward-model run."""

    model: str = "tiny-gpt"
    lr: float = knob(3e-4, lo=1e-6, hi=1.0, label="learning rate")  # full fine-tuning's scale
    epochs: int = knob(2, lo=1, hi=50, help="Passes over the training pairs")
    batch_size: int = knob(16, lo=1, hi=64, label="batch size", help="Pairs per step")
    max_tokens: int = knob(96, lo=16, hi=256, label="max tokens", help="Prompt + completion")
    seed: int = knob(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        check(self)
        if not self.model.strip():
            raise ValueError("pick a model for the reward model")


@dataclass(frozen=True)
class RewardScores:
    """The reward model's scores of held-out pairs."""

    chosen: tuple[float, ...]
    rejected: tuple[float, ...]
    kinds: tuple[str, ...]

    @property
    def accuracy(self) -> float:
        """Pairwise accuracy: share of pairs scored chosen > rejected (ties half)."""
        return preference_accuracy(self.chosen, self.rejected)


@dataclass(frozen=True)
class RewardResult:
    """A trained (or stopped) reward model, its loss curve and held-out scores before/after."""

    config: RewardConfig
    losses: tuple[float, ...]
    total_steps: int
    before: RewardScores
    after: RewardScores
    stopped: bool
    seconds: float
    model: Any = None
    tokenizer: Any = None


def build_reward_model(config: RewardConfig) -> tuple[Any, Any]:
    """A fresh ``config.model`` with a new one-output head (seeded), and its tokenizer."""
    import torch

    from core.lora.model import load_base

    torch.manual_seed(config.seed)
    return load_base(config.model, "classification", ("reward",))


def _scores(model: Any, batch: PairTensors) -> Any:
    """One scalar per row: the head's output at each row's last real token. (2B,)"""
    out = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
    return out.logits[:, 0]


def score_batch(model: Any, batch: PairTensors, *, chunk: int = 32) -> tuple[list[float], ...]:
    """Rewards ``(chosen, rejected)`` of every pair in ``batch``, without gradients."""
    import torch

    chosen: list[float] = []
    rejected: list[float] = []
    model.eval()
    with torch.no_grad():
        for i in range(0, batch.n_pairs, chunk):
            part = batch.take(range(i, min(batch.n_pairs, i + chunk)))
            s = _scores(model, part)
            chosen += s[: part.n_pairs].tolist()
            rejected += s[part.n_pairs :].tolist()
    return chosen, rejected


def score_pairs_reward(
    model: Any, tok: Any, pairs: Sequence[Pair], max_tokens: int
) -> RewardScores:
    """The reward model's scores of ``pairs``."""
    c, r = score_batch(model, encode_pairs(tok, pairs, max_tokens))
    return RewardScores(tuple(c), tuple(r), tuple(p.kind for p in pairs))


def score_texts(
    model: Any, tok: Any, prompt: str, completions: Sequence[str], *, max_tokens: int = 96
) -> list[float]:
    """The reward of each completion of ``prompt`` (an empty completion scores the prompt)."""
    import torch

    from core.align.logps import encode_rows

    ids, mask, _ = encode_rows(tok, [(prompt, c) for c in completions], max_tokens)
    model.eval()
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).logits[:, 0].tolist()


def train_reward(
    config: RewardConfig,
    data: PreferenceSet,
    *,
    on_step: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RewardResult:
    """Train a reward model on ``data.train``; score ``data.heldout`` before and after.

    Args:
        on_step: ``on_step(step, total_steps, loss)`` after every optimiser step.
        should_stop: asked before every step; True ends the run, keeping what was learned.

    Raises:
        ValueError: no training or no held-out pairs.
        core.models.ModelUnavailableError: the model cannot be loaded here.
    """
    import torch

    from core.align.fit import check_data, encode_for, schedule
    from core.training.loop import optimise

    check_data(data, "a reward model")
    t0 = time.perf_counter()
    model, tok = build_reward_model(config)
    train, max_tokens = encode_for(model, tok, data, config.max_tokens)
    before = score_pairs_reward(model, tok, data.heldout, max_tokens)
    c = config
    plan, lr_at = schedule(len(data.train), c.batch_size, c.epochs, c.seed, c.lr)

    class Objective(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model

        def forward(self, batch: PairTensors) -> Any:
            s = _scores(self.net, batch)  # (2B,)
            n = batch.n_pairs
            return _Loss(reward_loss(s[:n], s[n:]))

    losses = optimise(
        Objective(),
        torch.optim.AdamW(model.parameters(), lr=config.lr),
        len(plan),
        lambda step: {"batch": train.take(plan[step][1])},
        lr_at,
        on_step=None if on_step is None else lambda i, loss: on_step(i + 1, len(plan), loss),
        should_stop=should_stop,
    )
    model.eval()
    after = score_pairs_reward(model, tok, data.heldout, max_tokens)
    return RewardResult(
        config,
        tuple(losses),
        len(plan),
        before,
        after,
        len(losses) < len(plan),
        time.perf_counter() - t0,
        model,
        tok,
    )


@dataclass(frozen=True)
class _Loss:
    loss: Any
