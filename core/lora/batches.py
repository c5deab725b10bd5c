"""Batches for a LoRA run: tokenised rows, padded tensors, the seeded step plan, mean loss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.lora.spec import Task


@dataclass(frozen=True)
class Encoded:
    """Tokenised rows, unpadded: ``ids[i]`` and ``labels[i]`` (a class id or per-token ids)."""

    ids: tuple[tuple[int, ...], ...]
    labels: tuple[Any, ...]


def encode(
    rows: Sequence[tuple[str, str]], tok, task: Task, max_length: int, labels: Sequence[str] = ()
) -> Encoded:
    """Tokenise rows for ``task``; causal rows are prompt + completion + EOS, and only the
    completion tokens are scored (the prompt's labels are -100)."""
    if task == "classification":
        index = {y: i for i, y in enumerate(labels)}
        enc = tok([x for x, _ in rows], truncation=True, max_length=max_length)["input_ids"]
        return Encoded(tuple(map(tuple, enc)), tuple(index[y] for _, y in rows))
    ids_out, lab_out = [], []
    prompts = tok([p for p, _ in rows], add_special_tokens=False)["input_ids"]
    comps = tok([c for _, c in rows], add_special_tokens=False)["input_ids"]
    for p, c in zip(prompts, comps, strict=True):
        c = (list(c) + [tok.eos_token_id])[: max_length - 1]
        p = list(p)[-(max_length - len(c)) :]  # keep the prompt's end, next to the answer
        ids_out.append(tuple(p + c))
        lab_out.append(tuple([-100] * len(p) + c))
    return Encoded(tuple(ids_out), tuple(lab_out))


def collate(enc: Encoded, idx: Sequence[int], pad_id: int, task: Task) -> dict:
    """Right-padded tensors for the rows ``idx``: input_ids, attention_mask (B, T), labels."""
    import torch

    T = max(len(enc.ids[i]) for i in idx)
    ids = torch.full((len(idx), T), pad_id, dtype=torch.long)  # (B, T)
    mask = torch.zeros((len(idx), T), dtype=torch.long)  # (B, T)
    labels = (
        torch.tensor([enc.labels[i] for i in idx], dtype=torch.long)  # (B,)
        if task == "classification"
        else torch.full((len(idx), T), -100, dtype=torch.long)  # (B, T)
    )
    for row, i in enumerate(idx):
        n = len(enc.ids[i])
        ids[row, :n] = torch.tensor(enc.ids[i])
        mask[row, :n] = 1
        if task != "classification":
            labels[row, :n] = torch.tensor(enc.labels[i])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def epoch_batches(n: int, batch_size: int, epochs: int, seed: int) -> list[tuple[int, list[int]]]:
    """``(epoch, row indices)`` for every step: a seeded shuffle per epoch, last batch kept."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = []
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(n, generator=gen).tolist()
        out += [(epoch, perm[i : i + batch_size]) for i in range(0, n, batch_size)]
    return out


def mean_loss(model, enc: Encoded, pad_id: int, task: Task, *, batch_size: int = 32) -> float:
    """Loss over rows, weighted by examples (classification) or scored tokens (causal LM)."""
    import torch

    total, weight = 0.0, 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for i in range(0, len(enc.ids), batch_size):
            idx = list(range(i, min(i + batch_size, len(enc.ids))))
            batch = collate(enc, idx, pad_id, task)
            loss = model(**batch).loss.item()
            w = (
                len(idx)
                if task == "classification"
                else int((batch["labels"][:, 1:] != -100).sum())
            )
            total, weight = total + loss * w, weight + w
    model.train(was_training)
    return total / max(1, weight)
