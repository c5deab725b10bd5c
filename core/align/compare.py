"""Before/after: the reference and the aligned policy answer the same held-out prompts.

Both answers come from :func:`core.generation.generate_batch` (greedy, batched); a reward model,
if there is one, scores both and judges the win rate; the forgetting cost is the perplexity of
each on the general validation text (tiny-gpt's held-out corpus), through
:mod:`core.evaluation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.align.pairs import Pair

VAL_DOCS = 40  # held-out corpus documents for the perplexity (tiny-gpt's validation text)
SEQ_LEN = 64


@dataclass(frozen=True)
class Answer:
    prompt: str
    kind: str
    reference: str
    policy: str
    reference_reward: float | None = None
    policy_reward: float | None = None


@dataclass(frozen=True)
class BeforeAfter:
    """The same prompts answered by the reference and the policy, and the forgetting cost.

    Attributes:
        win_rate: share of prompts whose policy answer the reward model scores higher (ties
            half); None without a reward model.
        reference_ppl / policy_ppl: perplexity on the general validation text.
        distinct: share of distinct tokens in each side's answers (1: no repeats), a plain
            measure of degeneration.
    """

    answers: tuple[Answer, ...]
    win_rate: float | None
    reference_ppl: float
    policy_ppl: float
    reference_distinct: float
    policy_distinct: float


def distinct_share(token_rows: Sequence[Sequence[int]]) -> float:
    """Mean over rows of distinct tokens / tokens (an empty row counts 1).

    >>> distinct_share([[1, 2, 3], [4, 4, 4, 4]])
    0.625
    """
    if not token_rows:
        return 1.0
    return sum(len(set(r)) / len(r) if r else 1.0 for r in token_rows) / len(token_rows)


def answer_batch(model: Any, tok: Any, prompts: Sequence[str], max_new_tokens: int) -> list[Any]:
    """Greedy continuations (token ids) of each prompt, stopping at a newline or end of text."""
    from core.generation import generate_batch
    from core.models import context_size

    room = context_size(model) - max_new_tokens
    rows = [list(tok(p)["input_ids"])[-room:] for p in prompts]
    stops = {tok.eos_token_id, *tok("\n")["input_ids"]}
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    return generate_batch(
        model, rows, max_new_tokens=max_new_tokens, pad_token_id=pad, stop_token_ids=stops
    )


def validation_perplexity(model: Any, tok: Any) -> float:
    """Perplexity on the general validation text (the forgetting cost's measure)."""
    from core.evaluation import perplexity, token_windows
    from core.quantization.measure import causal_eval_data

    windows = token_windows(tok, causal_eval_data(VAL_DOCS).texts, SEQ_LEN, max_windows=48)
    return perplexity(model, windows).perplexity


def before_after(
    policy: Any,
    tok: Any,
    pairs: Sequence[Pair],
    *,
    reward: tuple[Any, Any] | None = None,
    max_new_tokens: int = 12,
) -> BeforeAfter:
    """Answer each pair's prompt with the reference (adapter off) and the policy, side by side.

    Args:
        policy: a peft causal LM (``disable_adapter()`` gives the reference).
        tok: its tokenizer.
        pairs: held-out pairs (their prompts are asked; their answers are not shown to either).
        reward: ``(reward model, its tokenizer)`` to score answers and judge the win rate.
        max_new_tokens: tokens per answer at most.
    """
    from core.align.logps import preference_accuracy
    from core.align.reward import score_texts

    prompts = [p.prompt for p in pairs]
    policy.eval()
    with policy.disable_adapter():
        ref_ids = answer_batch(policy, tok, prompts, max_new_tokens)
        ref_ppl = validation_perplexity(policy, tok)
    pol_ids = answer_batch(policy, tok, prompts, max_new_tokens)
    pol_ppl = validation_perplexity(policy, tok)

    def text(ids: Sequence[int]) -> str:
        return tok.decode(list(ids), skip_special_tokens=True).rstrip("\n")

    ref_text, pol_text = [text(i) for i in ref_ids], [text(i) for i in pol_ids]
    ref_r: list[float | None] = [None] * len(prompts)
    pol_r: list[float | None] = [None] * len(prompts)
    win = None
    if reward is not None:
        rm, rtok = reward
        ref_s = [score_texts(rm, rtok, p, [a])[0] for p, a in zip(prompts, ref_text, strict=True)]
        pol_s = [score_texts(rm, rtok, p, [a])[0] for p, a in zip(prompts, pol_text, strict=True)]
        win = preference_accuracy(pol_s, ref_s)
        ref_r, pol_r = list(ref_s), list(pol_s)
    answers = tuple(
        Answer(p.prompt, p.kind, a, b, ra, rb)
        for p, a, b, ra, rb in zip(pairs, ref_text, pol_text, ref_r, pol_r, strict=True)
    )
    return BeforeAfter(
        answers, win, ref_ppl, pol_ppl, distinct_share(ref_ids), distinct_share(pol_ids)
    )
