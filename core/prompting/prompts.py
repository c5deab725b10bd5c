"""k-shot prompts: which examples become shots (by seed), in pieces for highlighting, fitted to
a context window."""

from __future__ import annotations

import difflib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from core.models import context_size
from core.prompting.tasks import Example, Task

SegmentKind = Literal["bos", "instruction", "shot", "separator", "query"]


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
    the ``bos`` segment when one is added). With ``encoder_source`` it is a seq2seq model's
    source: ``n_tokens`` counts it with its end token, and the answer goes to the decoder.
    """

    k_requested: int
    k: int  # shots actually in the prompt
    seed: int
    shot_indices: tuple[int, ...]  # example indices, in prompt order
    segments: tuple[Segment, ...]
    n_tokens: int | None = None  # with the start token, when a tokenizer was given
    max_tokens: int | None = None
    notes: tuple[str, ...] = ()
    encoder_source: bool = False

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
    encoder_source: bool = False,
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
        encoder_source: the prompt is a seq2seq model's source (its encoder's input, ended by
            the tokenizer's end token); the answer is its decoder's, so it takes no room here.

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
        notes.append(
            f"Asked for {k} shots but the task has {n_pool} "
            f"example{'s' if n_pool != 1 else ''}: using {n_pool}."
        )
    shots = shot_order(n_pool, seed)[:k_eff]
    segs = _prompt_segments(task, shots, it, instruction)
    n_tokens = None
    if tokenizer is not None:
        bos = _bos_ids(tokenizer) if add_bos else []
        if encoder_source:  # the source's end token; the answers are the decoder's
            longest = len(_source_ids(tokenizer, ""))
        else:
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
        k_requested=k,
        k=len(shots),
        seed=seed,
        shot_indices=tuple(shots),
        segments=tuple(segs),
        n_tokens=n_tokens,
        max_tokens=max_tokens,
        notes=tuple(notes),
        encoder_source=encoder_source,
    )


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


def _source_ids(tokenizer: Any, text: str) -> list[int]:
    """A seq2seq model's source: the text with the tokenizer's own special tokens (T5's end)."""
    return list(tokenizer(text)["input_ids"])


def _answer_ids(tokenizer: Any, choice: str) -> list[int]:
    """A seq2seq model's answer as its decoder was trained on it: the text alone (no leading
    space) and the end token, so a choice scores as the whole answer."""
    return list(tokenizer(choice)["input_ids"])


def _bos_ids(tokenizer: Any) -> list[int]:
    bos = getattr(tokenizer, "bos_token_id", None)
    return [] if bos is None else [int(bos)]


def context_window(model: Any, tokenizer: Any = None, cap: int = 4096) -> int:
    """The longest input a model takes (:func:`core.models.context_size`; ``cap`` when it
    states none), capped at ``cap``: prompts longer than that are not built here."""
    return min(context_size(model, tokenizer), cap)
