"""Zero-, one- and few-shot prompts built from one task, scored by the log-probability of choices.

A :class:`Task` holds an instruction, a prompt format (input prefix, output prefix, separator),
a pool of solved examples (the shots) and held-out items, each with its answer choices.
:func:`build_prompt` writes the k-shot prompt for one item; :func:`evaluate_shots` scores every
held-out item for several k and several shot draws (seeds) and returns every figure the page
shows. Scoring compares the summed log-probabilities of the choices after the prompt, in the
style of lm-evaluation-harness' multiple-choice tasks; the shared prefix of a (k, seed) prompt is
run once and its KV cache reused for every item and choice.

>>> task = parse_custom_task("hot => cold\\nup => down\\nbig => small").task
>>> build_prompt(task, 1, 0, instruction=False).text
'up => down\\nhot =>'
"""

from __future__ import annotations

import difflib
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.settings import get_settings

SHIPPED_TASKS = ("sentiment", "qa", "translation")
SWEEP_KS = (0, 1, 2, 4, 8)
MAX_CUSTOM_LINES = 200
SegmentKind = Literal["bos", "instruction", "shot", "separator", "query"]


@dataclass(frozen=True)
class Example:
    """One solved example or held-out item: ``input``, gold ``output``, optional own ``choices``."""

    input: str
    output: str
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Task:
    """A labelled task in a fixed prompt format.

    Args:
        name: short id (``sentiment``, ``custom``...).
        title: one line for the page.
        instruction: the sentence put first when the instruction is on.
        input_prefix: written before each input (``"Review: "``).
        output_prefix: written between input and answer (``"\\nSentiment: "``); trailing spaces
            are dropped at the end of a prompt and the choice is scored with a leading space.
        separator: between two examples.
        labels: the answer set shared by every item (classification), or ``None`` when each item
            carries its own ``choices``.
        examples: the pool the shots are drawn from.
        items: the held-out items that are scored.
    """

    name: str
    title: str
    instruction: str
    input_prefix: str
    output_prefix: str
    separator: str
    labels: tuple[str, ...] | None
    examples: tuple[Example, ...]
    items: tuple[Example, ...]

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError("a task needs at least one held-out item to score")
        if self.labels is not None and len(set(self.labels)) < 2:
            raise ValueError("a task needs at least two different labels")
        for i, item in enumerate(self.items):
            choices = self.choices_for(item)
            if len(set(choices)) < 2:
                raise ValueError(f"item {i + 1} needs at least two different choices")
            if item.output not in choices:
                raise ValueError(f"item {i + 1}: the gold answer {item.output!r} is not a choice")

    def choices_for(self, item: Example) -> tuple[str, ...]:
        """The answers an item is scored over."""
        return tuple(self.labels) if self.labels is not None else tuple(item.choices or ())

    def shot_text(self, ex: Example) -> str:
        return f"{self.input_prefix}{ex.input}{self.output_prefix}{ex.output}"

    def query_text(self, item: Example) -> str:
        return f"{self.input_prefix}{item.input}{self.output_prefix}".rstrip(" ")

    def to_json(self) -> str:
        """A canonical JSON form (a cache key, and what :func:`task_from_dict` reads back)."""
        return json.dumps(_task_dict(self), sort_keys=True, ensure_ascii=False)


def _task_dict(task: Task) -> dict[str, Any]:
    def ex(e: Example) -> dict[str, Any]:
        d: dict[str, Any] = {"input": e.input, "output": e.output}
        if e.choices is not None:
            d["choices"] = list(e.choices)
        return d

    return {
        "name": task.name, "title": task.title, "instruction": task.instruction,
        "input_prefix": task.input_prefix, "output_prefix": task.output_prefix,
        "separator": task.separator, "labels": None if task.labels is None else list(task.labels),
        "examples": [ex(e) for e in task.examples], "items": [ex(e) for e in task.items],
    }  # fmt: skip


def task_from_dict(d: dict[str, Any]) -> Task:
    """A :class:`Task` from the JSON layout of ``assets/tasks/*.json``."""

    def ex(e: dict[str, Any]) -> Example:
        ch = e.get("choices")
        return Example(str(e["input"]), str(e["output"]), None if ch is None else tuple(ch))

    labels = d.get("labels")
    in_prefix, out_prefix = d.get("input_prefix", ""), d.get("output_prefix", " => ")
    if in_prefix.endswith(": ") and out_prefix[:1].isalpha():
        # A "Field: " format puts each field on its own line, as the training corpus does
        # ("Review: ...\nSentiment: ..."); a file that glues them would read "...hard.Sentiment:".
        out_prefix = "\n" + out_prefix
    return Task(
        name=d["name"], title=d.get("title", d["name"]), instruction=d.get("instruction", ""),
        input_prefix=in_prefix, output_prefix=out_prefix,
        separator=d.get("separator", "\n"), labels=None if labels is None else tuple(labels),
        examples=tuple(ex(e) for e in d.get("examples", [])),
        items=tuple(ex(e) for e in d["items"]),
    )  # fmt: skip


def load_task(name: str) -> Task:
    """A shipped task from ``assets/tasks/<name>.json``.

    Raises:
        ValueError: ``name`` is not a shipped task.
    """
    if name not in SHIPPED_TASKS:
        raise ValueError(f"unknown task {name!r}; shipped tasks: {', '.join(SHIPPED_TASKS)}")
    path = get_settings().assets_dir / "tasks" / f"{name}.json"
    return task_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


# --- a task the user types ---------------------------------------------------------------------
@dataclass(frozen=True)
class CustomTaskParse:
    """What :func:`parse_custom_task` made of the typed lines: a task or ``None``, and why."""

    task: Task | None
    errors: tuple[str, ...]  # lines that could not be used, in plain words
    n_lines: int


def parse_custom_task(
    text: str, *, instruction: str = "", arrow: str = "=>", n_examples: int | None = None
) -> CustomTaskParse:
    """Read ``input => output`` lines into a task: the first lines are shots, the rest items.

    Every distinct output is a label, so each item is scored over all of them. Without
    ``n_examples`` half the lines (at most 8) become the shot pool.

    Args:
        text: one ``input => output`` per line; blank lines and lines starting with ``#`` skipped.
        instruction: optional instruction sentence.
        arrow: the separator between input and output.
        n_examples: how many lines go to the shot pool.

    Returns:
        A :class:`CustomTaskParse`; ``task`` is ``None`` when too little is usable.
    """
    errors: list[str] = []
    rows: list[tuple[str, str]] = []
    lines = (text or "").splitlines()
    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if len(rows) >= MAX_CUSTOM_LINES:
            errors.append(f"Only the first {MAX_CUSTOM_LINES} lines are used.")
            break
        if arrow not in line:
            errors.append(f"Line {no} has no '{arrow}': {line[:60]!r}")
            continue
        left, right = (s.strip() for s in line.split(arrow, 1))
        if not left or not right:
            errors.append(f"Line {no} needs text on both sides of '{arrow}': {line[:60]!r}")
            continue
        rows.append((left, right))
    labels = tuple(dict.fromkeys(r for _, r in rows))
    if len(rows) < 2:
        errors.append(f"Type at least two '{arrow}' lines: some become shots, the rest are scored.")
        return CustomTaskParse(None, tuple(errors), len(rows))
    if len(labels) < 2:
        errors.append("Every line has the same output: a task needs at least two different ones.")
        return CustomTaskParse(None, tuple(errors), len(rows))
    n_ex = min(8, len(rows) // 2) if n_examples is None else n_examples
    n_ex = max(0, min(n_ex, len(rows) - 1))
    task = Task(
        name="custom", title="Your task (typed examples)", instruction=instruction.strip(),
        input_prefix="", output_prefix=f" {arrow} ", separator="\n", labels=labels,
        examples=tuple(Example(a, b) for a, b in rows[:n_ex]),
        items=tuple(Example(a, b) for a, b in rows[n_ex:]),
    )  # fmt: skip
    return CustomTaskParse(task, tuple(errors), len(rows))


# --- prompts -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    """A piece of a prompt: its kind (for highlighting), its text, and the shot's example index."""

    kind: SegmentKind
    text: str
    example: int | None = None


@dataclass(frozen=True)
class Prompt:
    """A k-shot prompt for one item, in pieces, with its token count and what was changed.

    ``text`` is the exact string the model reads (without the tokenizer's start token, which is
    the ``bos`` segment when one is added).
    """

    k_requested: int
    k: int  # shots actually in the prompt
    seed: int
    shot_indices: tuple[int, ...]  # example indices, in prompt order
    segments: tuple[Segment, ...]
    n_tokens: int | None = None  # with the start token, when a tokenizer was given
    max_tokens: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments if s.kind != "bos")

    @property
    def fits(self) -> bool:
        return self.n_tokens is None or self.max_tokens is None or self.n_tokens <= self.max_tokens


def shot_order(n_examples: int, seed: int) -> list[int]:
    """The example indices in the order seed ``seed`` draws them; k shots are the first k.

    Seed 0 keeps the file order; other seeds shuffle. The k-shot set is nested in the
    (k+1)-shot set of the same seed, so a sweep over k adds shots rather than swapping them.
    """
    order = list(range(n_examples))
    if seed != 0:
        random.Random(seed).shuffle(order)
    return order


def _prompt_segments(
    task: Task, shots: Sequence[int], item: Example, instruction: bool
) -> list[Segment]:
    segs: list[Segment] = []
    if instruction and task.instruction:
        segs.append(Segment("instruction", task.instruction + "\n"))
    for i in shots:
        segs.append(Segment("shot", task.shot_text(task.examples[i]), i))
        segs.append(Segment("separator", task.separator))
    segs.append(Segment("query", task.query_text(item)))
    return segs


def build_prompt(
    task: Task,
    k: int,
    seed: int = 0,
    *,
    item: Example | int = 0,
    instruction: bool = True,
    tokenizer: Any = None,
    max_tokens: int | None = None,
    add_bos: bool = True,
) -> Prompt:
    """The k-shot prompt for one item: instruction, k shots drawn by ``seed``, then the query.

    When a tokenizer and ``max_tokens`` are given, shots are dropped from the end until the
    prompt plus its longest choice fits; if the query alone is too long the prompt keeps its
    last tokens. Each change is written in ``notes``.

    Args:
        task: the task.
        k: shots wanted (clamped to the pool, with a note).
        seed: which shots and in which order (see :func:`shot_order`).
        item: the held-out item (or its index) the prompt asks about.
        instruction: put the task's instruction first.
        tokenizer: a transformers tokenizer, to count tokens.
        max_tokens: the context window to fit.
        add_bos: count the tokenizer's start token (tiny-gpt's ``<|endoftext|>``).

    Returns:
        A :class:`Prompt`.
    """
    if k < 0:
        raise ValueError(f"k must be 0 or more, got {k}")
    it = task.items[item] if isinstance(item, int) else item
    notes: list[str] = []
    n_pool = len(task.examples)
    k_eff = min(k, n_pool)
    if k > n_pool:
        notes.append(f"Asked for {k} shots but the task has {n_pool} examples: using {n_pool}.")
    shots = shot_order(n_pool, seed)[:k_eff]
    segs = _prompt_segments(task, shots, it, instruction)
    n_tokens = None
    if tokenizer is not None:
        bos = _bos_ids(tokenizer) if add_bos else []
        longest = max(len(_choice_ids(tokenizer, c)) for c in task.choices_for(it))

        def count(ss: list[Segment]) -> int:
            return len(bos) + len(_encode(tokenizer, "".join(s.text for s in ss))) + longest

        n_tokens = count(segs)
        if max_tokens is not None and n_tokens > max_tokens and shots:
            while shots and count(segs) > max_tokens:
                shots = shots[:-1]
                segs = _prompt_segments(task, shots, it, instruction)
            notes.append(
                f"{k_eff} shots do not fit in the {max_tokens}-token context: "
                f"kept {len(shots)} ({n_tokens} tokens would be needed)."
            )
            n_tokens = count(segs)
        if max_tokens is not None and n_tokens > max_tokens:
            notes.append(
                f"The prompt needs {n_tokens} tokens, more than the {max_tokens}-token context: "
                "the model reads only its last tokens."
            )
        if bos:
            segs = [Segment("bos", tokenizer.decode(bos)), *segs]
    return Prompt(
        k_requested=k, k=len(shots), seed=seed, shot_indices=tuple(shots), segments=tuple(segs),
        n_tokens=n_tokens, max_tokens=max_tokens, notes=tuple(notes),
    )  # fmt: skip


def diff_prompts(a: Prompt, b: Prompt) -> list[tuple[str, str]]:
    """A line diff of two prompts: ``(" ", line)`` shared, ``("-", line)`` only in ``a``,
    ``("+", line)`` only in ``b``."""
    out: list[tuple[str, str]] = []
    for line in difflib.ndiff(a.text.split("\n"), b.text.split("\n")):
        if line[:1] in " -+":
            out.append((line[0], line[2:]))
    return out


# --- tokens --------------------------------------------------------------------------------------
def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def _choice_ids(tokenizer: Any, choice: str) -> list[int]:
    return _encode(tokenizer, " " + choice)


def _bos_ids(tokenizer: Any) -> list[int]:
    bos = getattr(tokenizer, "bos_token_id", None)
    return [] if bos is None else [int(bos)]


def context_window(model: Any, tokenizer: Any = None, cap: int = 4096) -> int:
    """The longest input a model takes (``n_positions`` / ``max_position_embeddings``), capped."""
    cfg = getattr(model, "config", None)
    n = getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings", None) or cap
    return int(min(n, cap))


# --- scoring -------------------------------------------------------------------------------------
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
        notes.append(f"k = {', '.join(map(str, dropped))} skipped: the task has {pool} examples.")
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
