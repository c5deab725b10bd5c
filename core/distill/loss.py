"""The distillation loss and the teacher's temperature-softened distribution.

A student learns from a frozen teacher's next-token distribution softened by a temperature T
(the "dark knowledge": how much the teacher likes each wrong token) and from the hard labels:
``alpha * T^2 * KL(softmax(t/T) || softmax(s/T)) + (1 - alpha) * CE(s, labels)``. The ``T^2``
keeps the soft term's gradient on the same scale as the hard one's whatever T is (Hinton et al.,
2015: the gradient of the softened KL shrinks as ``1/T^2``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

IGNORE = -100  # the label transformers leaves out of the loss (padding, prompts)


@dataclass(frozen=True)
class DistillLoss:
    """One batch's distillation loss and its parts (scalar tensors; ``total`` carries the graph).

    Args:
        total: ``alpha * T^2 * kl + (1 - alpha) * ce``: what the optimiser minimises.
        kl: mean KL(teacher || student) per scored position at temperature T, in nats, before
            the ``T^2`` factor.
        ce: mean cross-entropy of the student on the hard labels, in nats (temperature 1).
        n_positions: positions scored (shifted labels other than -100).
    """

    total: Any
    kl: Any
    ce: Any
    n_positions: int

    @property
    def loss(self) -> Any:
        """``total``, under the name a transformers output gives its loss."""
        return self.total


def check_mix(temperature: float, alpha: float) -> None:
    """Raise ``ValueError`` unless ``temperature > 0`` and ``0 <= alpha <= 1``.

    >>> check_mix(0, 0.5)
    Traceback (most recent call last):
    ...
    ValueError: the temperature must be above 0 (it divides the logits), got 0
    """
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature)):
        raise ValueError(f"the temperature must be a finite number, got {temperature!r}")
    if temperature <= 0:
        raise ValueError(
            f"the temperature must be above 0 (it divides the logits), got {temperature}"
        )
    if not (isinstance(alpha, (int, float)) and 0 <= alpha <= 1):
        raise ValueError(
            f"alpha (the share of the soft targets) must be between 0 and 1, got {alpha}"
        )


def distillation_loss(
    student_logits: Any, teacher_logits: Any, labels: Any, *, temperature: float, alpha: float
) -> DistillLoss:
    """The distillation loss of a causal LM over the shifted next-token positions.

    Position ``i`` of the logits predicts ``labels[:, i + 1]``, as a transformers causal LM
    scores its own ``labels``; positions whose next label is -100 count in neither part.

    Args:
        student_logits: (B, T, V) logits of the student (with its graph).
        teacher_logits: (B, T, V) logits of the frozen teacher on the same inputs.
        labels: (B, T) token ids, -100 where a position is not scored.
        temperature: T > 0, dividing both models' logits in the KL term.
        alpha: weight of the soft term, in [0, 1]; 0 is plain cross-entropy.

    Returns:
        A :class:`DistillLoss`.

    Raises:
        ValueError: T <= 0, alpha outside [0, 1], shapes that differ, or no scored position.

    >>> import torch
    >>> s, ids = torch.zeros(1, 3, 4), torch.tensor([[0, 1, 2]])
    >>> r = distillation_loss(s, s, ids, temperature=2.0, alpha=0.5)
    >>> round(float(r.kl), 4), round(float(r.ce), 4), round(float(r.total), 4)
    (0.0, 1.3863, 0.6931)
    """
    import torch
    import torch.nn.functional as F

    check_mix(temperature, alpha)
    if tuple(student_logits.shape) != tuple(teacher_logits.shape):
        raise ValueError(
            f"student logits {tuple(student_logits.shape)} and teacher logits "
            f"{tuple(teacher_logits.shape)} must have the same shape (same inputs, same vocabulary)"
        )
    if student_logits.dim() != 3 or tuple(labels.shape) != tuple(student_logits.shape[:2]):
        raise ValueError(
            f"labels {tuple(labels.shape)} must be (batch, positions) of logits "
            f"{tuple(student_logits.shape)} (batch, positions, vocabulary)"
        )
    v = student_logits.shape[-1]
    s = student_logits[:, :-1].reshape(-1, v).float()  # (N, V), N = B * (T - 1)
    t = teacher_logits[:, :-1].reshape(-1, v).float().detach()  # (N, V)
    y = labels[:, 1:].reshape(-1)  # (N,)
    keep = y != IGNORE  # (N,)
    n = int(keep.sum())
    if n == 0:
        raise ValueError("no position is scored: every next-token label is -100")
    # masked means instead of boolean indexing: no copy of the (N, V) rows
    ce = F.cross_entropy(s, y, ignore_index=IGNORE)
    if alpha == 0:
        with torch.no_grad():  # shown on the page, not trained on
            kl = _kl(t, s.detach(), temperature, keep, n)
        return DistillLoss(ce, kl, ce, n)
    kl = _kl(t, s, temperature, keep, n)
    total = alpha * temperature**2 * kl + (1 - alpha) * ce
    return DistillLoss(total, kl, ce, n)


def _kl(t: Any, s: Any, temperature: float, keep: Any, n: int) -> Any:
    """Mean KL(softmax(t/T) || softmax(s/T)) over the kept rows of (N, V), in nats."""
    import torch

    logp = torch.log_softmax(t / temperature, -1)  # (N, V) teacher
    logq = torch.log_softmax(s / temperature, -1)  # (N, V) student
    rows = (logp.exp() * (logp - logq)).sum(-1)  # (N,)
    return (rows * keep).sum() / n


@dataclass(frozen=True)
class SoftenedResult:
    """A teacher's next-token distribution at one position, softened at several temperatures.

    Args:
        temperatures: the temperatures, in the order given.
        token_ids: the ``top`` most likely ids (the same at every temperature: dividing by T
            keeps the order), most likely first.
        probs: per temperature, the probability of each of ``token_ids``.
        rest: per temperature, the probability left to every other token.
        entropy: per temperature, the entropy of the whole distribution (nats).
        vocab_size: tokens in the distribution.
    """

    temperatures: tuple[float, ...]
    token_ids: tuple[int, ...]
    probs: tuple[tuple[float, ...], ...]
    rest: tuple[float, ...]
    entropy: tuple[float, ...]
    vocab_size: int


def softened(
    logits: Any, temperatures: Sequence[float] = (1.0, 2.0, 5.0), *, top: int = 10
) -> SoftenedResult:
    """``softmax(logits / T)`` of one position at each temperature: its ``top`` tokens and the rest.

    Args:
        logits: (V,) logits of one position (a tensor or a sequence of numbers).
        temperatures: each > 0.
        top: how many of the most likely tokens to list (at most V).

    Raises:
        ValueError: not one position's logits, no temperature, a temperature <= 0, top < 1.

    >>> r = softened([2.0, 0.0, 0.0], (1.0, 100.0), top=1)
    >>> r.token_ids, [round(p[0], 3) for p in r.probs], [round(x, 3) for x in r.rest]
    ((0,), [0.787, 0.338], [0.213, 0.662])
    """
    import torch

    x = torch.as_tensor(logits, dtype=torch.float32).detach()
    if x.dim() != 1 or x.numel() < 1:
        raise ValueError(f"softened takes one position's logits (V,), got shape {tuple(x.shape)}")
    if not temperatures:
        raise ValueError("give at least one temperature")
    for temp in temperatures:
        check_mix(temp, 0.0)
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    k = min(top, x.numel())
    ids = torch.topk(x, k).indices  # (k,)
    probs, rest, entropy = [], [], []
    for temp in temperatures:
        logp = torch.log_softmax(x / temp, -1)  # (V,)
        p = logp.exp()
        picked = p[ids]
        probs.append(tuple(float(v) for v in picked))
        rest.append(max(0.0, 1.0 - float(picked.sum())))
        entropy.append(float(-(p * logp).sum()))
    return SoftenedResult(
        tuple(float(t) for t in temperatures),
        tuple(int(i) for i in ids),
        tuple(probs),
        tuple(rest),
        tuple(entropy),
        int(x.numel()),
    )
