"""How closely a model follows a reference model on the same windows: KL divergence of the
next-token distributions and top-1 (argmax) agreement, position by position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AgreementResult:
    """A model against its reference, over the same positions.

    Args:
        kl: mean KL(reference || model) in nats per position (0: the same distributions).
        top1: share of positions where both predict the same next token.
        n_positions: positions compared.
    """

    kl: float
    top1: float
    n_positions: int


def agreement(ref_logits: Any, logits: Any) -> AgreementResult:
    """Compare logits (..., V) with reference logits of the same shape.

    >>> import torch; x = torch.randn(2, 3, 5)
    >>> agreement(x, x)
    AgreementResult(kl=0.0, top1=1.0, n_positions=6)

    Raises:
        ValueError: the shapes differ.
    """
    import torch

    if tuple(ref_logits.shape) != tuple(logits.shape):
        raise ValueError(
            f"logits of shape {tuple(logits.shape)} cannot be compared with reference logits "
            f"of shape {tuple(ref_logits.shape)}"
        )
    logp = torch.log_softmax(ref_logits.float(), -1)  # (N, T, V)
    logq = torch.log_softmax(logits.float(), -1)
    kl = (logp.exp() * (logp - logq)).sum(-1).clamp(min=0)  # (N, T)
    agree = (ref_logits.argmax(-1) == logits.argmax(-1)).float().mean()
    return AgreementResult(float(kl.mean()), float(agree), int(kl.numel()))


def kl_top1(ref_logits: Any, logits: Any) -> tuple[float, float]:
    """Mean KL(ref || other) in nats per position, and the share of equal argmaxes.

    >>> import torch; x = torch.randn(2, 3, 5)
    >>> kl_top1(x, x)
    (0.0, 1.0)
    """
    r = agreement(ref_logits, logits)
    return r.kl, r.top1
