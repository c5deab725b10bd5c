"""Prompt-shot tasks: the shipped JSON sets, and the ``input => output`` lines a user types."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import get_settings

SHIPPED_TASKS = ("sentiment", "qa", "translation")
MAX_CUSTOM_LINES = 200


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

    @property
    def chance(self) -> float:
        """The accuracy of guessing: one over the mean number of answer choices per item."""
        return 1 / (sum(len(self.choices_for(i)) for i in self.items) / len(self.items))

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
        "name": task.name,
        "title": task.title,
        "instruction": task.instruction,
        "input_prefix": task.input_prefix,
        "output_prefix": task.output_prefix,
        "separator": task.separator,
        "labels": None if task.labels is None else list(task.labels),
        "examples": [ex(e) for e in task.examples],
        "items": [ex(e) for e in task.items],
    }


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
        name=d["name"],
        title=d.get("title", d["name"]),
        instruction=d.get("instruction", ""),
        input_prefix=in_prefix,
        output_prefix=out_prefix,
        separator=d.get("separator", "\n"),
        labels=None if labels is None else tuple(labels),
        examples=tuple(ex(e) for e in d.get("examples", [])),
        items=tuple(ex(e) for e in d["items"]),
    )


def load_task(name: str) -> Task:
    """A shipped task from ``assets/tasks/<name>.json``.

    Raises:
        ValueError: ``name`` is not a shipped task.
    """
    if name not in SHIPPED_TASKS:
        raise ValueError(f"unknown task {name!r}; shipped tasks: {', '.join(SHIPPED_TASKS)}")
    path = get_settings().assets_dir / "tasks" / f"{name}.json"
    return task_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


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
        name="custom",
        title="Your task (typed examples)",
        instruction=instruction.strip(),
        input_prefix="",
        output_prefix=f" {arrow} ",
        separator="\n",
        labels=labels,
        examples=tuple(Example(a, b) for a, b in rows[:n_ex]),
        items=tuple(Example(a, b) for a, b in rows[n_ex:]),
    )
    return CustomTaskParse(task, tuple(errors), len(rows))
