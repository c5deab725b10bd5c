"""The LoRA training loop: AdamW on the adapter's parameters, reporting every step.

The loop is the one from peft's examples (forward, loss, backward, step) plus what a learner
needs to watch it: a callback per step, a stop flag, validation loss during the run, and a
stop on a diverging loss. It knows nothing of what happens after (base vs adapter, saving,
the forgetting check): :mod:`core.lora.job` composes those steps. Heavy imports stay inside.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.lora.batches import Encoded, collate, encode, epoch_batches, mean_loss
from core.lora.data import LoraDataset, split_dataset
from core.lora.evaluate import Comparison
from core.lora.model import ParamCount, build_peft_model
from core.lora.spec import LoraConfigSpec
from core.models import context_size

LIVE_VAL_ROWS = 64  # validation rows scored during the run (all of them at the end)
DIVERGE_FACTOR = 10.0  # a loss 10x the untrained model's has left any useful region


def diverged_loss(loss: float, reference: float) -> bool:
    """Whether a training loss says the run diverged: NaN, infinite, or exploded far above the
    untrained model's ``reference`` loss (Adam with a huge learning rate often stays finite).

    >>> diverged_loss(float("nan"), 0.7), diverged_loss(0.3, 0.7), diverged_loss(770.0, 0.7)
    (True, False, True)
    """
    if not math.isfinite(loss):
        return True
    return loss > DIVERGE_FACTOR * reference and loss > reference + 5.0


@dataclass(frozen=True)
class StepInfo:
    """What :func:`fit` reports after each optimiser step."""

    step: int  # 1-based
    total_steps: int
    epoch: int  # 1-based
    train_loss: float
    val_loss: float | None  # set on the steps where validation ran
    elapsed: float  # seconds since training started
    steps_per_s: float


@dataclass(frozen=True)
class LoraRunResult:
    """Everything one run measured, and the trained peft model.

    ``train_losses[i]`` is the loss of step ``i + 1``; ``val_losses`` holds ``(step, loss)``
    points, step 0 being the base model before any update. ``comparison`` and
    ``adapter_path`` are filled by the steps after training (see :func:`core.lora.train_lora`).
    """

    spec: LoraConfigSpec
    dataset_name: str
    labels: tuple[str, ...]
    n_train: int
    n_val: int
    params: ParamCount
    train_losses: tuple[float, ...]
    val_losses: tuple[tuple[int, float], ...]
    total_steps: int
    steps_done: int
    stopped: bool
    diverged: bool
    message: str
    seconds: float  # wall time of the run, evaluation included
    train_seconds: float  # time in optimiser steps only
    comparison: Comparison | None
    adapter_path: str | None = None
    max_length: int = 0  # the length rows were cut to (the spec's, capped by the model's)
    val_rows: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    model: Any = field(default=None, repr=False, compare=False)  # the trained PeftModel
    tokenizer: Any = field(default=None, repr=False, compare=False)

    @property
    def steps_per_s(self) -> float:
        return self.steps_done / self.train_seconds if self.train_seconds > 0 else 0.0

    @property
    def n_trainable(self) -> int:
        return self.params.trainable

    @property
    def val_rose(self) -> bool:
        """Validation loss ended higher than it started (too high a learning rate, or too few
        steps to get past the first bumps)."""
        v = self.val_losses
        return not self.diverged and len(v) > 1 and v[-1][1] > v[0][1]


def fit(
    spec: LoraConfigSpec,
    dataset: LoraDataset,
    *,
    on_step: Callable[[StepInfo], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    num_threads: int | None = None,
) -> LoraRunResult:
    """Train a LoRA adapter on a fresh copy of ``spec.model``: the loop and nothing after it.

    Args:
        spec: the run's settings (model, task, LoRA shape, optimisation, split, seed).
        dataset: validated rows whose ``task`` matches ``spec.task``.
        on_step: called with a :class:`StepInfo` after every optimiser step.
        should_stop: polled before every step; ``True`` ends the run cleanly and keeps what
            was learned so far.
        num_threads: torch CPU threads while training; None: unchanged.

    Returns:
        A :class:`LoraRunResult` without comparison. A diverging loss stops the run with
        ``diverged=True``.

    Raises:
        ValueError: the dataset's shape does not match the task, or bad target modules.
        core.models.ModelUnavailableError: the base model cannot be loaded here.
    """
    import torch

    if dataset.task != spec.task:
        raise ValueError(
            f"this dataset has {dataset.task} rows but the run is set up for {spec.task}"
        )
    t0 = time.perf_counter()
    old_threads = torch.get_num_threads()
    if num_threads:
        torch.set_num_threads(num_threads)
    try:
        train, val = split_dataset(dataset, spec.val_fraction, spec.seed)
        labels = dataset.labels
        model, tok = build_peft_model(spec, labels)
        max_len = min(spec.max_length, context_size(model))
        pad = tok.pad_token_id
        enc_train = encode(train.rows, tok, spec.task, max_len, labels)
        enc_val = encode(val.rows, tok, spec.task, max_len, labels)
        live_val = Encoded(enc_val.ids[:LIVE_VAL_ROWS], enc_val.labels[:LIVE_VAL_ROWS])
        trainable, total = model.get_nb_trainable_parameters()

        plan = epoch_batches(len(train), spec.batch_size, spec.epochs, spec.seed)
        n_steps = len(plan)
        every = spec.eval_every or max(1, math.ceil(n_steps / 12))
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=spec.lr)
        val_losses = [(0, mean_loss(model, live_val, pad, spec.task))]
        losses: list[float] = []
        stopped = diverged = False
        train_s = 0.0
        t_start = time.perf_counter()
        model.train()
        for step, (epoch, idx) in enumerate(plan, 1):
            if should_stop is not None and should_stop():
                stopped = True
                break
            ts = time.perf_counter()
            out = model(**collate(enc_train, idx, pad, spec.task))
            loss = out.loss.item()
            if diverged_loss(loss, val_losses[0][1]):
                losses.append(loss)
                diverged = True
                break
            opt.zero_grad(set_to_none=True)
            out.loss.backward()
            opt.step()
            train_s += time.perf_counter() - ts
            losses.append(loss)
            v_loss = None
            if step % every == 0 or step == n_steps:
                v_loss = mean_loss(model, live_val, pad, spec.task)
                val_losses.append((step, v_loss))
                diverged = diverged_loss(v_loss, val_losses[0][1])
            if on_step is not None:
                elapsed = time.perf_counter() - t_start
                on_step(StepInfo(step, n_steps, epoch, loss, v_loss, elapsed, step / elapsed))
            if diverged:
                break
        model.eval()
        return LoraRunResult(
            spec=spec,
            dataset_name=dataset.name,
            labels=labels,
            n_train=len(train),
            n_val=len(val),
            params=ParamCount(int(trainable), int(total)),
            train_losses=tuple(losses),
            val_losses=tuple(val_losses),
            total_steps=n_steps,
            steps_done=len(losses),
            stopped=stopped,
            diverged=diverged,
            message=_message(spec, losses, val_losses[0][1], n_steps, stopped, diverged),
            seconds=time.perf_counter() - t0,
            train_seconds=train_s,
            comparison=None,
            max_length=max_len,
            val_rows=val.rows,
            model=model,
            tokenizer=tok,
        )
    finally:
        if num_threads:
            torch.set_num_threads(old_threads)


def _message(spec, losses, start_loss, n_steps, stopped, diverged) -> str:
    done = len(losses)
    if diverged:
        what = (
            "became NaN or infinite"
            if not math.isfinite(losses[-1])
            else f"exploded from {start_loss:.2f} to {losses[-1]:.1f}"
        )
        return (
            f"Training diverged at step {done}: the loss {what}, so the run stopped. The "
            f"learning rate {spec.lr:g} is too high: lower it (try {spec.lr / 100:g})."
        )
    if stopped:
        return f"Stopped after {done} of {n_steps} steps; the adapter keeps what it learned."
    return f"Finished {done} steps ({spec.epochs} epochs)."
