"""Preference data: a :class:`Pair` is a prompt with a preferred and a dispreferred completion.

The shipped set is written by the project's own corpus grammar (:mod:`core.corpus`), seeded,
in three kinds the alignment notes name:

- ``grounded``: a context question answered with the span of the passage (chosen) or with a
  fluent hallucination of the same type that the passage never mentions (rejected);
- ``format``: a review labelled with the one word asked for (chosen) or with a rambling
  sentence around it (rejected);
- ``polite``: a simple question answered politely (chosen) or rudely (rejected).

A learner's own ranking of 3 or 4 completions becomes ``N choose 2`` pairs, better one first
(:func:`pairs_from_ranking`).

>>> ps = preference_set(PreferenceConfig(n_train=6, n_heldout=3))
>>> len(ps.train), len(ps.heldout), ps.train[0].kind
(6, 3, 'grounded')
>>> [(p.chosen, p.rejected) for p in pairs_from_ranking("Q", ["a", "b", "c"])]
[('a', 'b'), ('a', 'c'), ('b', 'c')]
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from core import corpus
from core.knobs import check, knob

Kind = Literal["grounded", "format", "polite", "yours"]
KINDS: tuple[Kind, ...] = ("grounded", "format", "polite")
MAX_TEXT = 2000  # characters of one prompt or completion (tiny-gpt reads 256 tokens)


class PairError(ValueError):
    """A pair (or a file of pairs) that cannot be trained on; the message says why."""


@dataclass(frozen=True)
class Pair:
    """A prompt, the completion preferred for it and the one rejected.

    Raises:
        PairError: an empty prompt or completion, or chosen == rejected (no preference).

    >>> Pair("Q: hi\\nA:", " hello", " hello")
    Traceback (most recent call last):
    ...
    core.align.pairs.PairError: chosen and rejected are the same: no preference to learn
    """

    prompt: str
    chosen: str
    rejected: str
    kind: Kind = "yours"

    def __post_init__(self) -> None:
        for name in ("prompt", "chosen", "rejected"):
            text = getattr(self, name)
            if not isinstance(text, str) or not text.strip():
                raise PairError(f"the {name} is empty: a pair needs a prompt and two completions")
            if len(text) > MAX_TEXT:
                raise PairError(f"the {name} is longer than {MAX_TEXT:,} characters")
        if self.chosen.strip() == self.rejected.strip():
            raise PairError("chosen and rejected are the same: no preference to learn")


@dataclass(frozen=True)
class PreferenceConfig:
    """How many shipped pairs to write, and from which seed."""

    n_train: int = knob(240, lo=1, hi=5000, label="training pairs", help="Pairs trained on.")
    n_heldout: int = knob(60, lo=1, hi=1000, label="held-out pairs", help="Never trained on.")
    seed: int = knob(0, lo=0, hi=2**31 - 1)

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class PreferenceSet:
    """Training and held-out pairs (the kinds take turns, so each split mixes all three)."""

    train: tuple[Pair, ...]
    heldout: tuple[Pair, ...]


def _pool_of(answer: str) -> Sequence[str]:
    """The word list a context answer was drawn from (its hallucinations come from there)."""
    for pool in (corpus.CITIES, corpus.COLORS, corpus.FOODS, corpus.NAMES, corpus.ANIMALS):
        if answer in pool:
            return pool
    raise ValueError(f"no word list holds {answer!r}")


def grounded_pair(r: random.Random) -> Pair:
    """The passage's answer, said to come from it, vs a fluent one of the same type that the
    passage never mentions, said with confidence."""
    passage, question, answer = corpus.context_question(r)
    made_up = r.choice([w for w in _pool_of(answer) if w not in passage])
    prompt = f"Context: {passage}\nQuestion: {question}\nAnswer:"
    return Pair(prompt, f" {answer}, as the passage says.", f" {made_up}, I believe.", "grounded")


def format_pair(r: random.Random) -> Pair:
    """The one label word asked for vs a rambling sentence around it."""
    pos, neg = r.choice(corpus.LABEL_PAIRS)
    positive = r.random() < 0.5
    label = pos if positive else neg
    aside = r.choice(corpus.POS_PHRASES if positive else corpus.NEG_PHRASES)
    prompt = (
        f"Label each review as {pos} or {neg}.\n\nReview: {corpus.review(r, positive)}\nSentiment:"
    )
    return Pair(prompt, f" {label}", f" well, {aside}, so I would say it was {label}", "format")


POLITE = ("happy to help.", "I hope that helps!", "thank you for asking.", "glad you asked.")
RUDE = ("you fool.", "obviously.", "stop asking me.", "what a silly question.")


def polite_pair(r: random.Random) -> Pair:
    """The same right answer, politely vs rudely."""
    question, answer = corpus.qa_pair(r)
    return Pair(
        f"{r.choice(corpus.NAMES)} asks: {question}\nA:",
        f" {answer}, {r.choice(POLITE)}",
        f" {answer}, {r.choice(RUDE)}",
        "polite",
    )


WRITERS: dict[str, Callable[[random.Random], Pair]] = {
    "grounded": grounded_pair,
    "format": format_pair,
    "polite": polite_pair,
}


def preference_set(config: PreferenceConfig | None = None) -> PreferenceSet:
    """The shipped pairs: training from ``config.seed``, held-out from another seed, so no
    held-out prompt is a training prompt (they differ in their drawn names and facts).

    Returns:
        A :class:`PreferenceSet`; kinds in turn: grounded, format, polite, grounded...
    """
    config = config or PreferenceConfig()

    def write(seed: int, n: int, seen: set[str]) -> tuple[Pair, ...]:
        r = random.Random(seed)
        out: list[Pair] = []
        tries = 0
        while len(out) < n and tries < 20 * n:
            pair = WRITERS[KINDS[len(out) % len(KINDS)]](r)
            tries += 1
            if pair.prompt not in seen:
                seen.add(pair.prompt)
                out.append(pair)
        return tuple(out)

    seen: set[str] = set()
    train = write(config.seed, config.n_train, seen)
    heldout = write(config.seed + 1_000_003, config.n_heldout, seen)
    return PreferenceSet(train, heldout)


def pairs_from_ranking(prompt: str, ranked: Sequence[str]) -> list[Pair]:
    """Every pair of a ranking, better one first: ``N choose 2`` pairs from ``N`` completions.

    Args:
        prompt: what the completions answer.
        ranked: completions, best first (duplicates are dropped: they state no preference).

    Raises:
        PairError: fewer than two different completions.
    """
    distinct = list(dict.fromkeys(c for c in ranked if c.strip()))
    if len(distinct) < 2:
        raise PairError("rank at least two different completions to make a pair")
    return [Pair(prompt, a, b) for a, b in itertools.combinations(distinct, 2)]


__all__ = [
    "KINDS",
    "MAX_TEXT",
    "Kind",
    "Pair",
    "PairError",
    "PreferenceConfig",
    "PreferenceSet",
    "format_pair",
    "grounded_pair",
    "pairs_from_ranking",
    "polite_pair",
    "preference_set",
]
