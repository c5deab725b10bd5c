"""Scoring k-shot prompts: log-probability of each answer choice, over k and shot draws."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.prompting.prompts import (
    _bos_ids,
    _choice_ids,
    _encode,
    _prompt_segments,
    context_window,
    shot_order,
)
from core.prompting.tasks import Task

SWEEP_KS = (0, 1, 2, 4, 8)


@dataclass(frozen=True)
class ItemScore:
    """One held-out item under one prompt: each choice's summed log-probability and its share."""

    index: int
    gold: str
    choices: tuple[str, ...]
    logprobs: tuple[float, ...]  # sum over the choice's tokens of log p(token | prompt, ...)
    probs: tuple[float, ...]  # softmax of logprobs over the choices: sums to 1
    n_tokens: int  # prompt tokens, start token included, choice excluded
    generated: str | None = None  # greedy continuation's first line, when asked

    @property
    def prediction(self) -> str:
        return self.choices[max(range(len(self.probs)), key=self.probs.__getitem__)]

    @property
    def confidence(self) -> float:
        return max(self.probs)

    @property
    def correct(self) -> bool:
        return self.prediction == self.gold

    @property
    def exact_match(self) -> bool | None:
        return None if self.generated is None else self.generated.strip() == self.gold


@dataclass(frozen=True)
class ShotRun:
    """Every item scored under one (k, seed) prompt."""

    k: int
    seed: int
    shot_indices: tuple[int, ...]
    items: tuple[ItemScore, ...]
    truncated: int  # items whose prompt was cut to fit the context

    @property
    def accuracy(self) -> float:
        return sum(s.correct for s in self.items) / len(self.items)

    @property
    def exact_match(self) -> float | None:
        em = [s.exact_match for s in self.items]
        return None if None in em else sum(bool(x) for x in em) / len(em)

    @property
    def mean_tokens(self) -> float:
        return sum(s.n_tokens for s in self.items) / len(self.items)

    @property
    def max_tokens(self) -> int:
        return max(s.n_tokens for s in self.items)

    @property
    def mean_gold_prob(self) -> float:
        return sum(s.probs[s.choices.index(s.gold)] for s in self.items) / len(self.items)


@dataclass(frozen=True)
class SweepPoint:
    """Accuracy at one k over the seeds: mean, standard deviation, range, and prompt size."""

    k: int
    n_draws: int
    accuracy_mean: float
    accuracy_std: float
    accuracy_min: float
    accuracy_max: float
    tokens_mean: float
    tokens_max: int
    fits: bool  # every prompt fits the context window untruncated


@dataclass(frozen=True)
class ShotSweepResult:
    """A k-shot sweep: one :class:`ShotRun` per (k, seed), and the summary per k."""

    task: str
    model: str
    instruction: bool
    n_ctx: int
    ks: tuple[int, ...]
    seeds: tuple[int, ...]
    runs: tuple[ShotRun, ...]
    notes: tuple[str, ...] = field(default=())

    def run(self, k: int, seed: int) -> ShotRun:
        """The run at ``k`` and ``seed`` (k = 0 has one run, whatever the seed)."""
        for r in self.runs:
            if r.k == k and (k == 0 or r.seed == seed):
                return r
        raise KeyError(f"no run at k={k}, seed={seed}")

    def points(self) -> list[SweepPoint]:
        out = []
        for k in self.ks:
            runs = [r for r in self.runs if r.k == k]
            accs = [r.accuracy for r in runs]
            mean = sum(accs) / len(accs)
            std = math.sqrt(sum((a - mean) ** 2 for a in accs) / len(accs))
            longest = max(r.max_tokens for r in runs)
            fits = all(r.truncated == 0 for r in runs) and longest <= self.n_ctx
            out.append(SweepPoint(
                k, len(runs), mean, std, min(accs), max(accs),
                sum(r.mean_tokens for r in runs) / len(runs), longest, fits,
            ))  # fmt: skip
        return out


def _score_group(
    model: Any, prompts: list[list[int]], conts: list[list[list[int]]], *, chunk: int = 64
) -> list[list[float]]:
    """Summed log-probabilities of each continuation after its prompt, sharing the common prefix.

    The token prefix common to every prompt runs once; its KV cache is copied for each batch of
    (rest of prompt + continuation) rows, right-padded (causal attention: a pad never influences
    an earlier token, and pads are never read).

    Args:
        model: a causal LM.
        prompts: token ids per prompt (each non-empty).
        conts: for each prompt, the token ids of each continuation (each non-empty).

    Returns:
        ``scores[i][j]`` = sum of log p(conts[i][j] | prompts[i]).
    """
    import copy

    import torch

    p = 0
    shortest = min(len(x) for x in prompts)
    while p < shortest - 1 and all(x[p] == prompts[0][p] for x in prompts):
        p += 1  # keep at least one prompt token outside the prefix
    prefix = prompts[0][:p]
    rows = [(i, j, x[p:] + c) for i, x in enumerate(prompts) for j, c in enumerate(conts[i])]
    scores = [[0.0] * len(c) for c in conts]
    device = next(model.parameters()).device
    with torch.no_grad():
        cache = None
        if p:
            out = model(torch.tensor([prefix], device=device), use_cache=True)
            cache = out.past_key_values
        for s in range(0, len(rows), chunk):
            part = rows[s : s + chunk]
            width = max(len(r[2]) for r in part)
            ids = torch.zeros((len(part), width), dtype=torch.long, device=device)  # (B, S)
            for b, (_, _, seq) in enumerate(part):
                ids[b, : len(seq)] = torch.tensor(seq)
            kwargs: dict[str, Any] = {}
            if cache is not None:
                past = copy.deepcopy(cache)
                past.batch_repeat_interleave(len(part))
                kwargs = {"past_key_values": past, "use_cache": True}
            logp = torch.log_softmax(model(ids, **kwargs).logits.float(), -1)  # (B, S, V)
            for b, (i, j, seq) in enumerate(part):
                n_c = len(conts[i][j])
                start = len(seq) - n_c  # first continuation token, read from position start-1
                tgt = torch.tensor(seq[start:], device=device)
                scores[i][j] = (
                    logp[b, start - 1 : len(seq) - 1].gather(1, tgt[:, None]).sum().item()
                )
    return scores


def _softmax(xs: Sequence[float]) -> tuple[float, ...]:
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    z = sum(e)
    return tuple(v / z for v in e)


def _greedy(model: Any, tokenizer: Any, ids: list[int], max_new: int) -> str:
    import torch

    device = next(model.parameters()).device
    x = torch.tensor([ids], device=device)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    with torch.no_grad():
        out = model.generate(
            x, attention_mask=torch.ones_like(x), max_new_tokens=max_new, do_sample=False,
            pad_token_id=pad,
        )  # fmt: skip
    text = tokenizer.decode(out[0, len(ids) :], skip_special_tokens=True)
    return text.strip().split("\n")[0].strip()


def evaluate_shots(
    task: Task,
    model: Any,
    ks: Sequence[int] = SWEEP_KS,
    seeds: Sequence[int] = (0, 1, 2),
    *,
    instruction: bool = True,
    generate: bool = False,
    max_new_tokens: int = 6,
    add_bos: bool = True,
    on_step: Callable[[int, int], None] | None = None,
) -> ShotSweepResult:
    """Score every held-out item under the k-shot prompt for each k in ``ks`` and each seed.

    Args:
        task: the task.
        model: a :class:`core.models.LoadedModel` (``.model``, ``.tokenizer``, ``.name``).
        ks: shot counts; values above the example pool are dropped with a note.
        seeds: shot draws per k (k = 0 has a single run).
        instruction: put the task's instruction first.
        generate: also generate greedily and record the exact match with the gold answer.
        max_new_tokens: generation length.
        add_bos: start each prompt with the tokenizer's start token.
        on_step: called as ``on_step(done, total)`` after each (k, seed) run.

    Returns:
        A :class:`ShotSweepResult`.
    """
    if not ks:
        raise ValueError("give at least one k")
    if not seeds:
        raise ValueError("give at least one seed")
    tok, lm = model.tokenizer, model.model
    n_ctx = context_window(lm, tok)
    notes: list[str] = []
    pool = len(task.examples)
    kept = sorted({k for k in ks if 0 <= k <= pool})
    if len(kept) < len(set(ks)):
        dropped = sorted(set(ks) - set(kept))
        notes.append(
            f"k = {', '.join(map(str, dropped))} skipped: the task has {pool} "
            f"example{'s' if pool != 1 else ''}."
        )
    if not kept:
        kept = [0]
    bos = _bos_ids(tok) if add_bos else []
    choice_ids = {c: _choice_ids(tok, c) for it in task.items for c in task.choices_for(it)}
    plan = [(k, s) for k in kept for s in (seeds[:1] if k == 0 else seeds)]
    runs: list[ShotRun] = []
    for n, (k, seed) in enumerate(plan):
        shots = shot_order(pool, seed)[:k]
        prompts, conts, truncated = [], [], 0
        for it in task.items:
            text = "".join(s.text for s in _prompt_segments(task, shots, it, instruction))
            ids = bos + _encode(tok, text)
            cs = [choice_ids[c] for c in task.choices_for(it)]
            room = n_ctx - max(len(c) for c in cs)
            if len(ids) > room:
                truncated += 1
                ids = ids[len(ids) - room :]  # keep the end: the question must stay
            prompts.append(ids)
            conts.append(cs)
        scores = _score_group(lm, prompts, conts)
        items = []
        for i, it in enumerate(task.items):
            gen = _greedy(lm, tok, prompts[i][-(n_ctx - max_new_tokens) :], max_new_tokens) if (
                generate
            ) else None  # fmt: skip
            items.append(ItemScore(
                i, it.output, task.choices_for(it), tuple(scores[i]), _softmax(scores[i]),
                len(prompts[i]), gen,
            ))  # fmt: skip
        runs.append(ShotRun(k, seed, tuple(shots), tuple(items), truncated))
        if on_step is not None:
            on_step(n + 1, len(plan))
    if any(r.truncated for r in runs):
        notes.append(
            f"Some prompts were longer than the {n_ctx}-token context: the model read their end."
        )
    return ShotSweepResult(
        task=task.name, model=getattr(model, "name", "model"), instruction=instruction,
        n_ctx=n_ctx, ks=tuple(kept), seeds=tuple(seeds), runs=tuple(runs), notes=tuple(notes),
    )  # fmt: skip


@dataclass(frozen=True)
class PairedDifference:
    """Two runs over the same items: who got which item right, and an exact sign test.

    ``only_b`` items are right under run ``b`` only, ``only_a`` under ``a`` only; ``p_value`` is
    McNemar's exact (two-sided binomial) test that both runs are equally accurate.
    """

    accuracy_a: float
    accuracy_b: float
    only_a: int
    only_b: int
    p_value: float


def paired_difference(a: ShotRun, b: ShotRun) -> PairedDifference:
    """Compare two runs item by item (they must score the same items).

    >>> r = ShotRun(0, 0, (), (), 0)
    >>> paired_difference(r, r).p_value
    1.0
    """
    if len(a.items) != len(b.items):
        raise ValueError("the two runs scored different numbers of items")
    only_a = sum(x.correct and not y.correct for x, y in zip(a.items, b.items, strict=True))
    only_b = sum(y.correct and not x.correct for x, y in zip(a.items, b.items, strict=True))
    n, m = only_a + only_b, min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(m + 1)) / 2**n if n else 1.0
    acc = lambda r: sum(s.correct for s in r.items) / len(r.items) if r.items else 0.0
    return PairedDifference(acc(a), acc(b), only_a, only_b, min(1.0, 2 * tail))
