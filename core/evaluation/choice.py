"""Downstream accuracy: multiple choice scored by the summed log-probability of each
continuation (the lm-evaluation-harness way), and exact match of a generated answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChoiceCase:
    """One multiple-choice item.

    Args:
        prompt: the text before the answer.
        choices: candidate continuations (each scored after a space).
        gold: the right one.
    """

    prompt: str
    choices: tuple[str, ...]
    gold: str

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError("a choice case needs at least one choice")


def choice_scores(model: Any, tokenizer: Any, case: ChoiceCase, *, max_tokens: int) -> list[float]:
    """Summed log-probability (nats) of each choice as the continuation of ``case.prompt``.

    The prompt is cut from the left so that prompt + choice fit ``max_tokens``.
    """
    import torch

    scores = []
    for c in case.choices:
        c_ids = tokenizer(" " + c)["input_ids"]
        p_ids = tokenizer(case.prompt)["input_ids"][-(max_tokens - len(c_ids)) :]  # keep the end
        ids = torch.tensor([p_ids + c_ids])  # (1, T)
        with torch.no_grad():
            logp = torch.log_softmax(model(ids).logits[0, :-1].float(), -1)  # (T-1, V)
        tgt = ids[0, 1:]  # (T-1,)
        scores.append(logp[len(p_ids) - 1 :].gather(1, tgt[len(p_ids) - 1 :, None]).sum().item())
    return scores


def choice_accuracy(
    model: Any, tokenizer: Any, cases: Sequence[ChoiceCase], *, max_tokens: int
) -> float:
    """Share of cases whose gold choice has the highest summed log-probability (first wins ties).

    Args:
        model: a causal LM.
        tokenizer: its tokenizer.
        cases: the items.
        max_tokens: the model's context length.
    """
    right = 0
    for case in cases:
        scores = choice_scores(model, tokenizer, case, max_tokens=max_tokens)
        right += case.choices[max(range(len(scores)), key=scores.__getitem__)] == case.gold
    return right / max(1, len(cases))


def normalize_answer(text: str) -> str:
    """Whitespace collapsed, lower case.

    >>> normalize_answer("  Oslo\\n IS  ")
    'oslo is'
    """
    return " ".join(text.split()).lower()


def exact_match(output: str, target: str) -> bool:
    """Exact match after whitespace and case folding; a one-line target is compared with the
    output's first line (what follows is the model carrying on, not its answer).

    >>> exact_match("Oslo\\nQuestion: next", "oslo"), exact_match("Oslo, Norway", "Oslo")
    (True, False)
    """
    if "\n" not in target.strip():
        output = output.strip().split("\n", 1)[0] if output.strip() else ""
    return normalize_answer(output) == normalize_answer(target)


def accuracy(hits: Sequence[bool | float]) -> float:
    """Share of hits (0.0 for none).

    >>> accuracy([True, False, True, True]), accuracy([])
    (0.75, 0.0)
    """
    return sum(hits) / max(1, len(hits))
