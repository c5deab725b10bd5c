"""The run's settings (:class:`LoraConfigSpec`) and the memory estimate.

Run names are :func:`core.training.runs.validate_run_name`'s, shared by every kind of run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.knobs import check, knob
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

    The ranges live on the fields (:mod:`core.knobs`); the LoRA page's form and link read them.
    """

    model: str = "minilm"
    task: Task = knob("classification", choices=TASKS)
    r: int = knob(  # 8 is peft's default: a tiny share of the weights, enough for one task
        8, lo=1, hi=256, label="rank r", help="Width of the bottleneck B @ A"
    )
    alpha: int = knob(  # alpha = 2r keeps the update's scale at 2 whatever r is
        16, lo=1, hi=1024, help="The update is scaled by alpha/r"
    )
    dropout: float = knob(0.05, lo=0, hi=0.5, step=0.05)
    target_modules: tuple[str, ...] = ("query", "value")  # the LoRA paper's choice
    lr: float = knob(1e-3, lo=1e-5, hi=100, label="learning rate")  # ~10x full fine-tuning's
    epochs: int = knob(5, lo=1, hi=20)  # on 200 reviews one epoch is too little to show the jump
    batch_size: int = knob(16, lo=1, hi=64, label="batch size")
    max_length: int = knob(64, lo=16, hi=256, label="max length")  # in tokens
    # the benchmark holds out 5%; the page offers from 10% (ui.lora_view.MIN_VAL_SHARE)
    val_fraction: float = knob(0.33, lo=0.05, hi=0.5, step=0.01, label="validation share")
    seed: int = knob(0, lo=0, hi=2**31 - 1)
    eval_every: int = knob(0, lo=0)

    def __post_init__(self) -> None:
        check(self)
        if not self.model or not self.model.strip():
            raise ValueError("pick a base model")
        if not self.target_modules:
            raise ValueError("pick at least one target module for the adapter")

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
