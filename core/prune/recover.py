"""A short recovery fine-tune after pruning, through the project's one optimisation loop
(``core.training.loop.optimise``), with the zeros kept.

An unstructured model keeps ``torch.nn.utils.prune``'s masks while it trains: the forward
pre-hook multiplies ``weight_orig`` by the mask on every call, so a pruned weight stays zero and
only the kept ones move (``weight_orig`` at a pruned position may drift, it is never used). A
structured model is simply a smaller dense model and trains as one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.knobs import check, knob
from core.prune.magnitude import PrunedModel, copy_pruned


@dataclass(frozen=True)
class RecoverConfig:
    """How long and how fast to fine-tune a pruned model.

    Args:
        steps: optimiser steps (0: no fine-tune, the copy comes back as it was).
        lr: AdamW's peak learning rate (warm-up then cosine, as tiny-gpt was trained).
        batch_size: windows per step.
        seq_len: tokens per window.
        seed: which windows each step draws.
    """

    steps: int = knob(30, lo=0, hi=1000, help="Optimiser steps after pruning.")
    lr: float = knob(1e-3, lo=1e-6, hi=1e-1, help="Peak learning rate.")
    batch_size: int = knob(8, lo=1, hi=64)
    seq_len: int = knob(64, lo=8, hi=1024)
    seed: int = knob(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class RecoverResult:
    """The fine-tuned copy and its loss at every step (the mask still on, if it had one)."""

    model: Any
    losses: tuple[float, ...]


def recover(
    pruned: PrunedModel,
    tokenizer: Any,
    texts: Sequence[str],
    config: RecoverConfig | None = None,
    *,
    on_step: Callable[[int, float], None] | None = None,
) -> RecoverResult:
    """Fine-tune a copy of ``pruned.model`` on ``texts`` for a few steps (``pruned`` untouched).

    Args:
        pruned: from :func:`core.prune.prune_model`.
        tokenizer: the model's tokenizer.
        texts: training documents (never the evaluation ones: ``generate_corpus`` without
            ``heldout`` for tiny-gpt).
        config: steps and rates; None: the defaults.
        on_step: hears ``(step, loss)`` after every step.

    Returns:
        A :class:`RecoverResult`; the model is back in eval mode.
    """
    import torch

    from core.evaluation import token_windows
    from core.models import context_size
    from core.training.loop import optimise, warmup_cosine

    cfg = config or RecoverConfig()
    model = copy_pruned(pruned.model)
    if cfg.steps == 0:
        return RecoverResult(model.eval(), ())
    seq_len = min(cfg.seq_len, context_size(model) - 1)  # a whole window is one input
    windows = token_windows(tokenizer, texts, seq_len)  # (N, T + 1)
    gen = torch.Generator().manual_seed(cfg.seed)
    order = torch.randint(0, len(windows), (cfg.steps, cfg.batch_size), generator=gen)

    def batch_at(step: int) -> dict[str, Any]:
        w = windows[order[step]]  # (B, T + 1)
        return {"input_ids": w, "labels": w}  # transformers shifts the labels itself

    def lr_at(step: int) -> float:
        warmup = max(1, cfg.steps // 10)
        return warmup_cosine(step, peak=cfg.lr, warmup=warmup, steps=cfg.steps, floor=0.1)

    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    losses = optimise(model, opt, cfg.steps, batch_at, lr_at, on_step=on_step)
    model.eval()
    return RecoverResult(model, tuple(losses))
