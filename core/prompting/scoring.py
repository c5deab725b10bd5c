"""Scoring k-shot prompts: log-probability of each answer choice, over k and shot draws."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.generation import greedy_ids, is_encoder_decoder
from core.prompting.cache import ScoreCache
from core.prompting.prompts import (
    _answer_ids,
    _bos_ids,
    _choice_ids,
    _encode,
    _prompt_segments,
    _source_ids,
    context_window,
    shot_order,
)
from core.prompting.tasks import Task
from core.serving import backend as be

ALPHA = 0.05  # McNemar p below this: a difference between two prompts is more than noise

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

    @property
    def spread(self) -> float:
        """How far re-drawing the shots moved accuracy at this k: its range over the draws."""
        return self.accuracy_max - self.accuracy_min


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
    backend: str = "in-process"  # who scored: "in-process", "served" or "mixed" (a fallback)

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
            out.append(
                SweepPoint(
                    k,
                    len(runs),
                    mean,
                    std,
                    min(accs),
                    max(accs),
                    sum(r.mean_tokens for r in runs) / len(runs),
                    longest,
                    fits,
                )
            )
        return out


def _common_prefix(prompts: list[list[int]]) -> int:
    """Length of the token prefix all prompts share, leaving each one token of its own."""
    p, shortest = 0, min(len(x) for x in prompts)
    while p < shortest - 1 and all(x[p] == prompts[0][p] for x in prompts):
        p += 1
    return p


def _score_groups(
    model: Any,
    groups: Sequence[tuple[list[list[int]], list[list[list[int]]]]],
    *,
    chunk: int = 256,
    token_budget: int = 65_536,
    on_chunk: Callable[[int, int], None] | None = None,
) -> list[list[list[float]]]:
    """Summed log-probabilities of continuations after prompts, for many prompt groups at once.

    Each group (the items of one k-shot prompt) shares a token prefix (instruction and shots).
    All groups' prefixes run in one padded forward; every (rest of prompt + continuation) row of
    every group then runs in a few batches on a copy of its group's KV cache. An attention mask
    hides the padding after each shorter prefix, position ids continue each prefix, and rows are
    right-padded (causal attention: a pad never influences an earlier token, and is never read).
    Fewer, larger forwards are what keeps this fast on a busy CPU.

    Args:
        model: a causal LM taking ``attention_mask``, ``position_ids`` and ``past_key_values``.
        groups: per group, the prompts' token ids (each non-empty) and, per prompt, the token ids
            of each continuation (each non-empty).
        chunk: most rows per forward.
        token_budget: most (rows x attended length) per forward.
        on_chunk: called as ``on_chunk(done, total)`` after each batch of rows.

    Returns:
        ``scores[g][i][j]`` = sum of log p(continuation j | prompt i of group g).
    """
    import copy

    import torch

    device = next(model.parameters()).device
    cuts = [_common_prefix(prompts) for prompts, _ in groups]
    width_p = max(cuts)
    rows = [
        (g, i, j, x[cuts[g] :] + c)
        for g, (prompts, conts) in enumerate(groups)
        for i, x in enumerate(prompts)
        for j, c in enumerate(conts[i])
    ]
    scores = [[[0.0] * len(c) for c in conts] for _, conts in groups]
    with torch.no_grad():
        cache = None
        if width_p:
            ids = torch.zeros((len(groups), width_p), dtype=torch.long, device=device)  # (G, P)
            mask = torch.zeros_like(ids)
            for g, (prompts, _) in enumerate(groups):
                ids[g, : cuts[g]] = torch.tensor(prompts[0][: cuts[g]])
                mask[g, : cuts[g]] = 1
            cache = model(ids, attention_mask=mask, use_cache=True).past_key_values
        start, total = 0, len(rows)
        while start < total:
            n, width = 0, 0
            while start + n < total and n < chunk:
                w = max(width, len(rows[start + n][3]))
                if n and (n + 1) * (width_p + w) > token_budget:
                    break
                n, width = n + 1, w
            part = rows[start : start + n]
            ids = torch.zeros((n, width), dtype=torch.long, device=device)  # (B, S)
            mask = torch.ones((n, width_p + width), dtype=torch.long, device=device)  # (B, P+S)
            pos = torch.zeros((n, width), dtype=torch.long, device=device)  # (B, S)
            for b, (g, _, _, seq) in enumerate(part):
                ids[b, : len(seq)] = torch.tensor(seq)
                mask[b, cuts[g] : width_p] = 0  # the padding after this group's prefix
                pos[b] = torch.arange(cuts[g], cuts[g] + width)
            kwargs: dict[str, Any] = {"attention_mask": mask, "position_ids": pos}
            if cache is not None:
                past = copy.deepcopy(cache)
                past.batch_select_indices(torch.tensor([r[0] for r in part], device=device))
                kwargs |= {"past_key_values": past, "use_cache": True}
            else:
                kwargs["attention_mask"] = mask[:, width_p:]
            logp = torch.log_softmax(model(ids, **kwargs).logits.float(), -1)  # (B, S, V)
            for b, (g, i, j, seq) in enumerate(part):
                first = len(seq) - len(groups[g][1][i][j])  # read from position first - 1
                tgt = torch.tensor(seq[first:], device=device)
                scores[g][i][j] = (
                    logp[b, first - 1 : len(seq) - 1].gather(1, tgt[:, None]).sum().item()
                )
            start += n
            if on_chunk is not None:
                on_chunk(start, total)
    return scores


def _score_groups_seq2seq(
    model: Any,
    groups: Sequence[tuple[list[list[int]], list[list[list[int]]]]],
    *,
    on_chunk: Callable[[int, int], None] | None = None,
) -> list[list[list[float]]]:
    """:func:`_score_groups` for an encoder-decoder: each prompt is a source, each continuation
    the decoder's answer (:func:`core.evaluation.choice.seq2seq_logprobs`, encoder run once per
    source)."""
    from core.evaluation.choice import seq2seq_logprobs

    flat = seq2seq_logprobs(
        model,
        [p for prompts, _ in groups for p in prompts],
        [c for _, conts in groups for c in conts],
        on_chunk=on_chunk,
    )
    out, at = [], 0
    for prompts, _ in groups:
        out.append(flat[at : at + len(prompts)])
        at += len(prompts)
    return out


def _score_group(
    model: Any, prompts: list[list[int]], conts: list[list[list[int]]], *, chunk: int = 256
) -> list[list[float]]:
    """:func:`_score_groups` for a single group: ``scores[i][j]`` for continuation j of prompt i."""
    return _score_groups(model, [(prompts, conts)], chunk=chunk)[0]


def _softmax(xs: Sequence[float]) -> tuple[float, ...]:
    m = max(xs)
    e = [math.exp(x - m) for x in xs]
    z = sum(e)
    return tuple(v / z for v in e)


def _greedy(model: Any, tokenizer: Any, ids: list[int], max_new: int) -> str:
    text = tokenizer.decode(
        list(greedy_ids(model, ids, max_new_tokens=max_new)), skip_special_tokens=True
    )
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
    cache: ScoreCache | None = None,
    on_partial: Callable[[ShotSweepResult], None] | None = None,
    backend: be.Backend | None = None,
) -> ShotSweepResult:
    """Score every held-out item under the k-shot prompt for each k in ``ks`` and each seed.

    With a ``cache``, an item whose exact prompt and choices were scored before on this model
    is read back instead of rescored: changing k, the seeds or the task rescores only the
    prompts that changed. The (k, seed) runs are scored one k at a time, in ``ks`` order.

    Args:
        task: the task.
        model: a :class:`core.models.LoadedModel` (``.model``, ``.tokenizer``, ``.name``).
        ks: shot counts; values above the example pool are dropped with a note.
        seeds: shot draws per k (k = 0 has a single run).
        instruction: put the task's instruction first.
        generate: also generate greedily and record the exact match with the gold answer.
        max_new_tokens: generation length.
        add_bos: start each prompt with the tokenizer's start token.
        on_step: called as ``on_step(done, total)`` as the prompt + choice rows that are not
            cached are scored (``total`` counts only those).
        cache: where per-item scores are looked up and stored (see :class:`ScoreCache`).
        on_partial: called with the runs finished so far each time a k had to be scored, for
            showing results as they arrive.
        backend: where the choices are scored (:mod:`core.serving.backend`): served, by the
            generation server's ``prompt_logprobs`` when it serves ``model.name``; in-process
            by default and whenever the server fails (the result's notes then say why). Served
            and in-process scores are cached apart. Greedy generation stays in-process.

    An encoder-decoder (T5) reads each whole prompt, shots included, as its encoder's source,
    and scores each choice as its decoder's complete answer (the choice's tokens and the end
    token); its source is cut to the context on the left too (the question stays).

    Returns:
        A :class:`ShotSweepResult`.
    """
    if not ks:
        raise ValueError("give at least one k")
    if not seeds:
        raise ValueError("give at least one seed")
    tok, lm = model.tokenizer, model.model
    backend = backend or be.Backend()
    name = getattr(model, "name", "model")
    model_key = f"{name}@{id(lm)}"
    # the server's scores agree to ~1e-5 but are not the same: cached apart, per server
    served_key = f"{name}@{backend.server.url if backend.server else 'served'}"
    used: set[str] = set()
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
    enc_dec = is_encoder_decoder(lm)
    bos = _bos_ids(tok) if add_bos else []
    answer = _answer_ids if enc_dec else _choice_ids
    choice_ids = {c: answer(tok, c) for it in task.items for c in task.choices_for(it)}
    plan = [(k, s) for k in kept for s in (seeds[:1] if k == 0 else seeds)]
    groups: list[tuple[list[list[int]], list[list[list[int]]]]] = []
    built = []
    for k, seed in plan:
        shots = shot_order(pool, seed)[:k]
        prompts, conts, truncated = [], [], 0
        for it in task.items:
            text = "".join(s.text for s in _prompt_segments(task, shots, it, instruction))
            ids = bos + (_source_ids if enc_dec else _encode)(tok, text)
            cs = [choice_ids[c] for c in task.choices_for(it)]
            room = n_ctx if enc_dec else n_ctx - max(len(c) for c in cs)
            if len(ids) > room:
                truncated += 1
                ids = ids[len(ids) - room :]  # keep the end: the question must stay
            prompts.append(ids)
            conts.append(cs)
        groups.append((prompts, conts))
        built.append((k, seed, tuple(shots), truncated))

    store = cache if cache is not None else ScoreCache()
    score_key = served_key if backend.serves(name) and not enc_dec else model_key
    keys = [
        [store.key(score_key, p, c) for p, c in zip(prompts, conts, strict=True)]
        for prompts, conts in groups
    ]
    scores: list[list[tuple[float, ...] | None]] = [[store.get(x) for x in row] for row in keys]
    gen_kind = f"gen:{max_new_tokens}"
    todo = sum(
        len(conts[i])
        for (_, conts), row in zip(groups, scores, strict=True)
        for i, v in enumerate(row)
        if v is None
    )
    done_before = 0

    def progress(done: int, _total: int) -> None:
        if on_step is not None:
            on_step(done_before + done, todo)

    def run_of(g: int) -> ShotRun:
        k, seed, shots, truncated = built[g]
        prompts = groups[g][0]
        items = []
        for i, it in enumerate(task.items):
            sc = scores[g][i]
            assert sc is not None
            gen = None
            if generate:  # a seq2seq decoder has its own room: the source stays whole
                ids = prompts[i] if enc_dec else prompts[i][-(n_ctx - max_new_tokens) :]
                gkey = store.key(model_key, ids, [], gen_kind)
                gen = store.get(gkey)
                if gen is None:
                    gen = _greedy(lm, tok, ids, max_new_tokens)
                    store.put(gkey, gen)
            items.append(
                ItemScore(
                    i,
                    it.output,
                    task.choices_for(it),
                    sc,
                    _softmax(sc),
                    len(prompts[i]),
                    gen,
                )
            )
        return ShotRun(k, seed, shots, tuple(items), truncated)

    def result(runs: list[ShotRun]) -> ShotSweepResult:
        out_notes = list(notes)
        if any(r.truncated for r in runs):
            out_notes.append(
                f"Some prompts were longer than the {n_ctx}-token context: the model read their "
                "end."
            )
        out_notes.extend(n for n in fallbacks if n not in out_notes)
        if len(used) > 1:  # one k from the server, another from the fallback
            scored_by = "mixed"
        elif used:
            scored_by = next(iter(used))
        else:  # every score came from the cache, which keeps served and in-process apart
            scored_by = be.SERVED if score_key == served_key else be.IN_PROCESS
        return ShotSweepResult(
            task=task.name,
            model=name,
            instruction=instruction,
            n_ctx=n_ctx,
            ks=tuple(sorted({r.k for r in runs})),
            seeds=tuple(seeds),
            runs=tuple(runs),
            notes=tuple(out_notes),
            backend=scored_by,
        )

    runs: list[ShotRun] = []
    fallbacks: list[str] = []
    for k in kept:
        wave = [g for g, (kk, _, _, _) in enumerate(built) if kk == k]
        missing = [(g, [i for i, v in enumerate(scores[g]) if v is None]) for g in wave]
        missing = [(g, idx) for g, idx in missing if idx]
        if missing:
            sub = [
                ([groups[g][0][i] for i in idx], [groups[g][1][i] for i in idx])
                for g, idx in missing
            ]
            scorer = _score_groups_seq2seq if enc_dec else _score_groups
            scored = be.score_continuations(
                lm,
                sub,
                model_name=name,
                backend=backend,
                in_process=functools.partial(scorer, lm, on_chunk=progress),
            )
            got = scored.value
            used.add(scored.backend)
            if scored.backend != be.IN_PROCESS:  # the server answered the rows all at once
                progress(sum(len(c) for _, conts in sub for c in conts), 0)
            if scored.note:
                fallbacks.append(scored.note)
            keep = scored.note is None  # a fallback from a failed server is never cached
            for (g, idx), vals in zip(missing, got, strict=True):
                for i, v in zip(idx, vals, strict=True):
                    scores[g][i] = tuple(v)
                    if keep:
                        store.put(keys[g][i], tuple(v))
            done_before += sum(len(c) for _, conts in sub for c in conts)
        runs.extend(run_of(g) for g in wave)
        if missing and on_partial is not None and k != kept[-1]:
            on_partial(result(runs))
    return result(runs)


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

    @property
    def points(self) -> int:
        """Run ``b``'s accuracy minus run ``a``'s, in whole percentage points."""
        return round((self.accuracy_b - self.accuracy_a) * 100)

    def real(self, alpha: float = ALPHA) -> bool:
        """Whether the gap is more than noise: a nonzero gap and McNemar's p below ``alpha``.

        >>> PairedDifference(0.5, 0.9, 0, 8, 0.008).real()
        True
        >>> PairedDifference(0.5, 0.6, 0, 2, 0.5).real()  # p too high
        False
        """
        return self.p_value < alpha and self.points != 0


def disagreements(runs: Sequence[ShotRun]) -> tuple[int, ...]:
    """The positions of the items on which ``runs`` (over the same items) predict differently.

    >>> from core.prompting import ItemScore
    >>> a = ShotRun(0, 0, (), (ItemScore(0, "a", ("a", "b"), (0.0, -1.0), (0.7, 0.3), 3),), 0)
    >>> b = ShotRun(1, 0, (), (ItemScore(0, "a", ("a", "b"), (-1.0, 0.0), (0.3, 0.7), 3),), 0)
    >>> disagreements([a, a]), disagreements([a, b])
    ((), (0,))
    """
    if len({len(r.items) for r in runs}) > 1:
        raise ValueError("the runs scored different numbers of items")
    scores = zip(*(r.items for r in runs), strict=True)
    return tuple(i for i, row in enumerate(scores) if len({s.prediction for s in row}) > 1)


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
