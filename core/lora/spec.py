"""The run's settings (:class:`LoraConfigSpec`) and the memory estimate.

Run names are :func:`core.training.runs.validate_run_name`'s, shared by every kind of run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from core.training.runs import validate_run_name

Task = Literal["classification", "causal-lm"]
TASKS: tuple[Task, ...] = ("classification", "causal-lm")


@dataclass(frozen=True)
class LoraConfigSpec:
    """Everything that decides a LoRA run; the same spec and data give the same run.

    Args:
        model: catalog name or hub id of the base model.
        task: ``classification`` (text -> label, a sequence-classification head) or
            ``causal-lm`` (prompt -> completion, loss on the completion tokens only).
        r: rank of the low-rank update ``B @ A`` added to each target weight.
        alpha: scale numerator; the update is multiplied by ``alpha / r``.
        dropout: dropout on the LoRA branch's input during training.
        target_modules: names of the linear layers that get an adapter (``query``, ``c_attn``...).
        lr: learning rate of AdamW on the trainable parameters.
        epochs: passes over the training split.
        batch_size: examples per optimiser step.
        max_length: longest tokenised example; longer ones are truncated.
        val_fraction: share of the dataset held out for validation and the before/after check.
        seed: seeds the split, the shuffling, the adapter's init and dropout.
        eval_every: steps between validation-loss points; 0 picks about 12 over the run.
    """

    model: str = "minilm"
    task: Task = "classification"
    r: int = 8  # 8 is peft's default: a tiny share of the weights, enough for one task
    alpha: int = 16  # alpha = 2r keeps the update's scale at 2 whatever r is
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("query", "value")  # the LoRA paper's choice
    lr: float = 1e-3  # LoRA tolerates ~10x the full fine-tuning rate
    epochs: int = 5  # on 200 reviews one epoch is too little to show the jump
    batch_size: int = 16
    max_length: int = 64
    val_fraction: float = 0.33
    seed: int = 0
    eval_every: int = 0

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if not self.model or not self.model.strip():
            raise ValueError("pick a base model")
        if not 1 <= self.r <= 256:
            raise ValueError(f"rank r must be between 1 and 256, got {self.r}")
        if not 0 < self.alpha <= 1024:
            raise ValueError(f"alpha must be between 1 and 1024, got {self.alpha}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not self.target_modules:
            raise ValueError("pick at least one target module for the adapter")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 100):
            raise ValueError(f"learning rate must be a positive number up to 100, got {self.lr}")
        if not 1 <= self.epochs <= 100:
            raise ValueError(f"epochs must be between 1 and 100, got {self.epochs}")
        if not 1 <= self.batch_size <= 256:
            raise ValueError(f"batch size must be between 1 and 256, got {self.batch_size}")
        if not 8 <= self.max_length <= 1024:
            raise ValueError(f"max length must be between 8 and 1024 tokens, got {self.max_length}")
        if not 0.05 <= self.val_fraction <= 0.5:
            raise ValueError(
                f"validation share must be between 0.05 and 0.5, got {self.val_fraction}"
            )
        if self.seed < 0:
            raise ValueError(f"seed must be 0 or more, got {self.seed}")
        if self.eval_every < 0:
            raise ValueError(f"eval_every must be 0 (auto) or more, got {self.eval_every}")

    @property
    def scaling(self) -> float:
        """The factor ``alpha / r`` the low-rank update is multiplied by."""
        return self.alpha / self.r


@dataclass(frozen=True)
class MemoryEstimate:
    """Training memory for the weights, their gradients and AdamW's two moment buffers.

    Activations are left out: they depend on batch size and length, not on LoRA vs full.
    """

    n_total: int
    n_trainable: int
    bytes_per_param: int
    lora_weights: int
    lora_grads: int
    lora_optimizer: int
    full_weights: int
    full_grads: int
    full_optimizer: int

    @property
    def lora_total(self) -> int:
        return self.lora_weights + self.lora_grads + self.lora_optimizer

    @property
    def full_total(self) -> int:
        return self.full_weights + self.full_grads + self.full_optimizer

    @property
    def saving(self) -> float:
        """How many times less memory LoRA needs than full fine-tuning."""
        return self.full_total / max(1, self.lora_total)


def memory_estimate(n_total: int, n_trainable: int, *, bytes_per_param: int = 4) -> MemoryEstimate:
    """Bytes for weights, gradients and AdamW state: LoRA vs full fine-tuning of the same model.

    Args:
        n_total: every parameter of the wrapped model (base + adapter + head).
        n_trainable: the parameters that get gradients under LoRA.
        bytes_per_param: 4 for fp32 training.

    Returns:
        A :class:`MemoryEstimate`; AdamW keeps two fp32 moments per trainable parameter.

    >>> memory_estimate(1000, 10).saving > 3
    True
    """
    if n_total < 1 or not 0 <= n_trainable <= n_total:
        raise ValueError(f"need 0 <= trainable ({n_trainable}) <= total ({n_total}), total >= 1")
    b = bytes_per_param
    return MemoryEstimate(
        n_total=n_total,
        n_trainable=n_trainable,
        bytes_per_param=b,
        lora_weights=n_total * b,
        lora_grads=n_trainable * b,
        lora_optimizer=2 * n_trainable * 4,  # AdamW's two fp32 moments
        full_weights=n_total * b,
        full_grads=n_total * b,
        full_optimizer=2 * n_total * 4,
    )


__all__ = [
    "TASKS",
    "LoraConfigSpec",
    "MemoryEstimate",
    "Task",
    "memory_estimate",
    "validate_run_name",
]
