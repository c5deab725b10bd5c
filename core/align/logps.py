"""Pairs as token tensors, and the summed log-probability a causal LM gives each completion.

DPO, its live curves and the held-out preference accuracy all read one number per completion:
``log p(completion | prompt)``, the sum over the completion's tokens (as TRL's DPOTrainer sums
them). Chosen and rejected completions of a batch run as one right-padded forward pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.align.pairs import Pair


@dataclass(frozen=True)
class PairTensors:
    """``B`` pairs as ``2B`` rows: the chosen completions first, then the rejected ones.

    Attributes:
        input_ids: (2B, T) prompt + completion, right-padded.
        attention_mask: (2B, T) 1 on real tokens.
        completion_mask: (2B, T) 1 on the completion's tokens (the ones scored).
    """

    input_ids: Any
    attention_mask: Any
    completion_mask: Any

    @property
    def n_pairs(self) -> int:
        return int(self.input_ids.shape[0]) // 2

    def take(self, idx: Sequence[int]) -> PairTensors:
        """The pairs at ``idx`` (chosen and rejected rows kept together), trimmed of the
        padding columns no row of theirs needs."""
        import torch

        n = self.n_pairs
        rows = torch.tensor([*idx, *(i + n for i in idx)], dtype=torch.long)
        width = int(self.attention_mask[rows].sum(-1).max())
        return PairTensors(
            self.input_ids[rows, :width],
            self.attention_mask[rows, :width],
            self.completion_mask[rows, :width],
        )


def encode_rows(
    tokenizer: Any, rows: Sequence[tuple[str, str]], max_tokens: int
) -> tuple[Any, Any, Any]:
    """``(prompt, completion)`` rows as right-padded ``(input_ids, attention_mask,
    completion_mask)``, each (N, T); a long prompt keeps its end so each row fits
    ``max_tokens`` (a completion longer than half of it is cut on the right).

    Raises:
        ValueError: no rows, or ``max_tokens`` under 4.
    """
    import torch

    if not rows:
        raise ValueError("no pairs to encode")
    if max_tokens < 4:
        raise ValueError(f"max_tokens must be at least 4, got {max_tokens}")
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    encoded: list[tuple[list[int], int]] = []  # (ids, number of prompt tokens)
    for prompt, completion in rows:
        c_ids = list(tokenizer(completion)["input_ids"])[: max_tokens // 2]
        p_ids = list(tokenizer(prompt)["input_ids"])[-(max_tokens - len(c_ids)) :]
        encoded.append((p_ids + c_ids, len(p_ids)))
    width = max(len(ids) for ids, _ in encoded)
    ids = torch.full((len(encoded), width), int(pad), dtype=torch.long)  # (N, T)
    attn = torch.zeros((len(encoded), width), dtype=torch.long)
    comp = torch.zeros((len(encoded), width), dtype=torch.long)
    for i, (row, n_prompt) in enumerate(encoded):
        ids[i, : len(row)] = torch.tensor(row)
        attn[i, : len(row)] = 1
        comp[i, n_prompt : len(row)] = 1
    return ids, attn, comp


def encode_pairs(tokenizer: Any, pairs: Sequence[Pair], max_tokens: int) -> PairTensors:
    """Pairs as :class:`PairTensors`: every chosen row, then every rejected row (see
    :func:`encode_rows` for the cutting).

    Raises:
        ValueError: no pairs, or ``max_tokens`` under 4.
    """
    rows = [(p.prompt, p.chosen) for p in pairs] + [(p.prompt, p.rejected) for p in pairs]
    return PairTensors(*encode_rows(tokenizer, rows, max_tokens))


def token_logps(logits: Any, batch: PairTensors) -> Any:
    """Per-position log-probability of each next token, zero off the completion: (2B, T - 1).

    Position ``t`` of the logits predicts token ``t + 1``, so the scored positions are the
    completion mask shifted left by one.
    """
    import torch

    logp = torch.log_softmax(logits[:, :-1].float(), -1)  # (2B, T-1, V)
    target = batch.input_ids[:, 1:]  # (2B, T-1)
    picked = logp.gather(-1, target[..., None])[..., 0]  # (2B, T-1)
    return picked * batch.completion_mask[:, 1:]


def completion_logps(model: Any, batch: PairTensors) -> tuple[Any, Any]:
    """Summed log p(completion | prompt) of every row, and the logits it came from.

    Returns:
        ``(logps (2B,), logits (2B, T, V))``, with the graph when grad is on.
    """
    logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits
    return token_logps(logits, batch).sum(-1), logits


def preference_accuracy(chosen: Sequence[float], rejected: Sequence[float]) -> float:
    """Share of pairs whose chosen score is above the rejected one (a tie counts half).

    >>> preference_accuracy([1.0, 0.0, 2.0], [0.0, 1.0, 2.0])
    0.5
    """
    if len(chosen) != len(rejected) or not chosen:
        raise ValueError("need as many chosen as rejected scores, at least one")
    won = sum(
        1.0 if c > r else 0.5 if c == r else 0.0 for c, r in zip(chosen, rejected, strict=True)
    )
    return won / len(chosen)


def score_pairs(model: Any, batch: PairTensors, *, chunk: int = 32) -> tuple[list[float], ...]:
    """Summed completion log-probs ``(chosen, rejected)`` of every pair, without gradients."""
    import torch

    chosen: list[float] = []
    rejected: list[float] = []
    with torch.no_grad():
        for i in range(0, batch.n_pairs, chunk):
            part = batch.take(range(i, min(batch.n_pairs, i + chunk)))
            logps, _ = completion_logps(model, part)
            half = part.n_pairs
            chosen += logps[:half].tolist()
            rejected += logps[half:].tolist()
    return chosen, rejected
