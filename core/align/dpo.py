"""DPO on a LoRA adapter: the policy is the base model with an adapter, the frozen reference is
the same model with the adapter switched off (as TRL's DPOTrainer does with a ``peft_config``),
so the reference costs no second copy and the KL to it is exactly 0 before the first step.

The loop is :func:`core.training.loop.optimise`; a small module around the policy turns each
batch into :func:`core.align.loss.dpo_loss` and records what the page plots.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.align.logps import PairTensors, completion_logps, encode_pairs, preference_accuracy
from core.align.loss import DPOLoss, dpo_loss
from core.align.pairs import PreferenceSet
from core.knobs import check, knob

PREFERRED_TARGETS = ("c_attn", "q_proj", "v_proj", "query", "value")  # GPT-2, Llama/Qwen, BERT


@dataclass(frozen=True)
class DPOConfig:
    """Everything that decides a DPO run; the same config and pairs give the same run.

    ``beta`` is the leash: DPO's loss is RLHF's objective with a KL penalty of weight beta to
    the reference, solved in closed form, so a small beta lets the policy wander far from it.
    """

    model: str = "tiny-gpt"
    beta: float = knob(  # TRL's default; 0.01 lets the policy drift (the "no leash" run)
        0.1, lo=0.001, hi=5.0, step=0.001, label="beta", help="Weight of the KL leash"
    )
    lr: float = knob(2e-3, lo=1e-5, hi=1.0, label="learning rate")  # LoRA on 2M weights
    epochs: int = knob(3, lo=1, hi=50, help="Passes over the training pairs")
    batch_size: int = knob(16, lo=1, hi=64, label="batch size", help="Pairs per step")
    r: int = knob(8, lo=1, hi=64, label="rank r", help="LoRA rank of the policy's adapter")
    alpha: int = knob(16, lo=1, hi=256, help="The adapter's update is scaled by alpha/r")
    max_tokens: int = knob(96, lo=16, hi=256, label="max tokens", help="Prompt + completion")
    seed: int = knob(0, lo=0, hi=2**31 - 1)
    eval_every: int = knob(0, lo=0, help="Steps between held-out checks; 0: about 10 per run")

    def __post_init__(self) -> None:
        check(self)
        if not self.model.strip():
            raise ValueError("pick a policy model")


@dataclass(frozen=True)
class DPOStep:
    """One optimiser step, as TRL logs it (batch means)."""

    step: int
    total_steps: int
    loss: float
    margin: float  # rewards/margins
    chosen_logp: float  # logps/chosen: summed over the completion
    rejected_logp: float
    accuracy: float  # rewards/accuracies
    kl: float  # KL(policy || reference) per completion token, nats
    elapsed: float


@dataclass(frozen=True)
class DPOEval:
    """The held-out pairs at one step.

    Attributes:
        accuracy: share of pairs where the policy gives the chosen completion the higher
            log-prob (the reference's own share at step 0; ties count half).
        reward_accuracy: share where the chosen implicit reward is higher (0.5 at step 0: all
            rewards are 0, every pair a tie).
        margin: mean implicit reward margin.
        kl: KL(policy || reference) per completion token, nats (0 at step 0).
    """

    step: int
    accuracy: float
    reward_accuracy: float
    margin: float
    kl: float


@dataclass(frozen=True)
class DPOResult:
    """A finished (or stopped) DPO run with its curves and the trained policy."""

    config: DPOConfig
    n_train: int
    n_heldout: int
    steps: tuple[DPOStep, ...]
    evals: tuple[DPOEval, ...]  # step 0 first
    total_steps: int
    stopped: bool
    seconds: float
    train_seconds: float
    model: Any = None  # the peft policy (adapter off: the reference)
    tokenizer: Any = None

    @property
    def before(self) -> DPOEval:
        return self.evals[0]

    @property
    def after(self) -> DPOEval:
        return self.evals[-1]

    @property
    def steps_per_s(self) -> float:
        return len(self.steps) / self.train_seconds if self.train_seconds > 0 else 0.0


def _kl(logits: Any, ref_logits: Any, batch: PairTensors) -> float:
    """KL(policy || reference) per completion token, through the shared agreement measure
    (which computes KL(first || second))."""
    from core.evaluation import agreement

    keep = batch.completion_mask[:, 1:].bool()  # (2B, T-1): positions predicting completion
    return agreement(logits[:, :-1][keep].detach(), ref_logits[:, :-1][keep]).kl


class _Objective:
    """Builds the module :func:`optimise` trains: forward(batch) -> DPOLoss, logging each step."""

    @staticmethod
    def build(policy: Any, beta: float) -> Any:
        import torch

        class Objective(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.policy = policy
                self.last: tuple[DPOLoss, Any, float] | None = None

            def forward(self, batch: PairTensors) -> DPOLoss:
                n = batch.n_pairs
                with torch.no_grad(), self.policy.disable_adapter():
                    ref, ref_logits = completion_logps(self.policy, batch)  # (2B,)
                pi, logits = completion_logps(self.policy, batch)
                out = dpo_loss(pi[:n], pi[n:], ref[:n], ref[n:], beta=beta)
                self.last = (out, pi.detach(), _kl(logits, ref_logits, batch))
                return out

        return Objective()


def evaluate_pairs(policy: Any, batch: PairTensors, beta: float, step: int) -> DPOEval:
    """The policy on held-out pairs against its own reference (adapter off)."""
    import torch

    n = batch.n_pairs
    with torch.no_grad():
        with policy.disable_adapter():
            ref, ref_logits = completion_logps(policy, batch)
        pi, logits = completion_logps(policy, batch)
    rewards = beta * (pi - ref)  # (2B,)
    return DPOEval(
        step,
        preference_accuracy(pi[:n].tolist(), pi[n:].tolist()),
        preference_accuracy(rewards[:n].tolist(), rewards[n:].tolist()),
        float((rewards[:n] - rewards[n:]).mean()),
        _kl(logits, ref_logits, batch),
    )


def policy_spec(config: DPOConfig) -> Any:
    """The :class:`core.lora.LoraConfigSpec` of the policy's adapter (attention projections:
    GPT-2's ``c_attn``, Llama/Qwen's ``q_proj`` and ``v_proj``)."""
    from core.lora import LoraConfigSpec, target_module_choices

    choices = target_module_choices(config.model, "causal-lm")
    targets = tuple(t for t in PREFERRED_TARGETS if t in choices) or tuple(choices[:1])
    return LoraConfigSpec(
        model=config.model,
        task="causal-lm",
        r=config.r,
        alpha=config.alpha,
        dropout=0.0,  # the reference is the same network: no noise between the two passes
        target_modules=targets,
        seed=config.seed,
    )


def build_policy(config: DPOConfig) -> tuple[Any, Any]:
    """A fresh copy of ``config.model`` with a new LoRA adapter (B = 0: policy == reference)."""
    from core.lora.model import build_peft_model

    return build_peft_model(policy_spec(config))


def train_dpo(
    config: DPOConfig,
    data: PreferenceSet,
    *,
    on_step: Callable[[DPOStep, DPOEval | None], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    policy: tuple[Any, Any] | None = None,
) -> DPOResult:
    """Train a LoRA policy with DPO on ``data.train``; check ``data.heldout`` along the way.

    Args:
        config: the run's settings.
        data: training and held-out pairs.
        on_step: hears every step, with the held-out check when one was made at that step.
        should_stop: asked before every step; True ends the run, keeping what was learned.
        policy: ``(peft model, tokenizer)`` to train instead of a fresh :func:`build_policy`.

    Raises:
        ValueError: no training or no held-out pairs.
        core.models.ModelUnavailableError: the model cannot be loaded here.
    """
    import torch

    from core.align.fit import check_data, encode_for, schedule
    from core.training.loop import optimise

    check_data(data, "DPO")
    t0 = time.perf_counter()
    model, tok = policy if policy is not None else build_policy(config)
    train, max_tokens = encode_for(model, tok, data, config.max_tokens)
    heldout = encode_pairs(tok, data.heldout, max_tokens)
    c = config
    plan, lr_at = schedule(len(data.train), c.batch_size, c.epochs, c.seed, c.lr)
    n_steps = len(plan)
    every = config.eval_every or max(1, math.ceil(n_steps / 10))
    evals = [evaluate_pairs(model, heldout, config.beta, 0)]
    objective = _Objective.build(model, config.beta)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    steps: list[DPOStep] = []
    t_start = time.perf_counter()
    eval_s = 0.0

    def heard(i: int, loss: float) -> None:
        nonlocal eval_s
        out, pi, kl = objective.last
        n = out.chosen_rewards.shape[0]
        elapsed = time.perf_counter() - t_start
        steps.append(
            DPOStep(
                i + 1,
                n_steps,
                loss,
                float(out.margins.mean()),
                float(pi[:n].mean()),
                float(pi[n:].mean()),
                out.accuracy,
                kl,
                elapsed - eval_s,
            )
        )
        check_now = None
        if (i + 1) % every == 0 or i + 1 == n_steps:
            te = time.perf_counter()
            check_now = evaluate_pairs(model, heldout, config.beta, i + 1)
            evals.append(check_now)
            model.train()
            eval_s += time.perf_counter() - te
        if on_step is not None:
            on_step(steps[-1], check_now)

    optimise(
        objective,
        opt,
        n_steps,
        lambda step: {"batch": train.take(plan[step][1])},
        lr_at,
        on_step=heard,
        should_stop=should_stop,
    )
    train_s = (time.perf_counter() - t_start) - eval_s if steps else 0.0  # optimiser steps only
    model.eval()
    if steps and evals[-1].step != len(steps):  # stopped between checks: measure where it ended
        evals.append(evaluate_pairs(model, heldout, config.beta, len(steps)))
    return DPOResult(
        config,
        len(data.train),
        len(data.heldout),
        tuple(steps),
        tuple(evals),
        n_steps,
        len(steps) < n_steps,
        time.perf_counter() - t0,
        train_s,
        model,
        tok,
    )
