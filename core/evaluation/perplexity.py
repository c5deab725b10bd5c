"""Perplexity of a causal LM over token windows: exp of the mean next-token loss (nats).

The held-out texts are joined by the end-of-text token and cut into equal windows of
``seq_len + 1`` tokens; each window feeds its first ``seq_len`` tokens and is scored on the
next token at every position, so every window weighs the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_NLL = 50.0  # exp(50) ~ 5e21: a broken scheme's perplexity stays a finite number


@dataclass(frozen=True)
class PerplexityResult:
    """The loss behind a perplexity, window by window.

    Args:
        window_nll: mean next-token loss of each window (nats), for paired comparisons.
        nll: mean loss over every scored token.
        n_tokens: tokens scored.

    >>> r = PerplexityResult((1.0, 3.0), 2.0, 8)
    >>> round(r.perplexity, 4)
    7.3891
    """

    window_nll: tuple[float, ...]
    nll: float
    n_tokens: int

    @property
    def perplexity(self) -> float:
        """``exp(nll)``, capped at ``exp(MAX_NLL)``."""
        return math.exp(min(self.nll, MAX_NLL))


def token_windows(
    tokenizer: Any, texts: Sequence[str], seq_len: int, *, max_windows: int | None = None
) -> Any:
    """Token windows (N, seq_len + 1) cut from the texts joined by the end-of-text token.

    Consecutive windows share one token (the last target of one is the first input of the
    next). Text shorter than one window gives one shorter window.

    Args:
        tokenizer: a transformers tokenizer.
        texts: documents.
        seq_len: predictions per window.
        max_windows: keep at most this many windows; None: all.

    Raises:
        ValueError: fewer than two tokens in all.
    """
    import torch

    eos = tokenizer.eos_token or ""
    ids = tokenizer(eos.join(texts) + eos, add_special_tokens=False)["input_ids"]
    n = (len(ids) - 1) // seq_len
    n = max(1, n if max_windows is None else min(max_windows, n))
    if len(ids) < seq_len + 1:
        seq_len = len(ids) - 1
    if seq_len < 1:
        raise ValueError("the evaluation text is too short: it needs at least two tokens")
    rows = [ids[i * seq_len : i * seq_len + seq_len + 1] for i in range(n)]
    return torch.tensor(rows, dtype=torch.long)  # (N, seq_len + 1)


def causal_logits(model: Any, windows: Any, *, batch_size: int = 8) -> Any:
    """Float32 logits (N, T, V) of ``model`` on each window's inputs ``windows[:, :-1]``."""
    import torch

    outs = []
    with torch.no_grad():
        for i in range(0, len(windows), batch_size):
            x = windows[i : i + batch_size, :-1]  # (B, T)
            outs.append(model(input_ids=x).logits.float())  # (B, T, V)
    return torch.cat(outs)  # (N, T, V)


def token_nll(logits: Any, targets: Any) -> Any:
    """Next-token loss (nats) at every position: (N, T, V), (N, T) -> (N, T).

    Computed on the flattened (N * T, V) rows, as transformers computes a causal LM's own
    loss (over the vocabulary axis kept last, which float32 sums more exactly).

    >>> import torch
    >>> round(float(token_nll(torch.zeros(1, 2, 4), torch.tensor([[0, 3]]))[0, 1]), 4)
    1.3863
    """
    import torch

    n, t, v = logits.shape
    flat = torch.nn.functional.cross_entropy(
        logits.float().reshape(n * t, v), targets.reshape(n * t), reduction="none"
    )  # (N * T,)
    return flat.reshape(n, t)  # (N, T)


def perplexity_from_logits(logits: Any, windows: Any) -> PerplexityResult:
    """Score logits (N, T, V) computed on ``windows[:, :-1]`` against ``windows[:, 1:]``."""
    nll = token_nll(logits, windows[:, 1:])  # (N, T)
    return PerplexityResult(tuple(nll.mean(-1).tolist()), float(nll.mean()), int(nll.numel()))


def perplexity(
    model: Any, windows: Any, *, batch_size: int = 8, score_last: bool = True
) -> PerplexityResult:
    """Perplexity of ``model`` on token windows (N, T + 1), a batch at a time.

    Args:
        model: a causal LM.
        windows: from :func:`token_windows`.
        batch_size: windows per forward pass (memory: B x T x vocabulary floats).
        score_last: False leaves out each window's last prediction (scores T - 1 tokens).

    Returns:
        A :class:`PerplexityResult`.
    """
    import torch

    rows, total, count = [], 0.0, 0
    with torch.no_grad():
        for i in range(0, len(windows), batch_size):
            w = windows[i : i + batch_size]  # (B, T + 1)
            logits = model(input_ids=w[:, :-1]).logits  # (B, T, V)
            targets = w[:, 1:]  # (B, T)
            if not score_last:
                logits, targets = logits[:, :-1], targets[:, :-1]
            nll = token_nll(logits, targets)  # (B, T)
            rows += nll.mean(-1).tolist()
            total += float(nll.sum())
            count += int(nll.numel())
    return PerplexityResult(tuple(rows), total / max(1, count), count)
