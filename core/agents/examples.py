"""The agents page's example questions: held-out word problems of each size, a question that
needs the fact table, and questions only the RAG knowledge base can answer.

>>> [e.kind for e in examples()][:4]
['arithmetic', 'arithmetic', 'arithmetic', 'lookup']
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass
from pathlib import Path

from core.word_problems import heldout_problems, lookup_problem

TOY_WORLD = Path(__file__).resolve().parents[2] / "assets" / "rag" / "corpus" / "toy_world.md"


@dataclass(frozen=True)
class Example:
    """A question to try, with its right answer and what kind of help it needs."""

    key: str
    label: str
    question: str
    expected: str
    kind: str


def toy_world_questions(path: Path = TOY_WORLD) -> list[tuple[str, str]]:
    """(question, answer) pairs read from the RAG page's toy-world note ("Hugo lives in Tokyo."
    -> "Where does Hugo live?", "Tokyo"): facts tiny-gpt never trained on."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    pairs = [(f"Where does {n} live?", c) for n, c in re.findall(r"(\w+) lives in (\w+)\.", text)]
    pairs += [
        (f"What pet does {n} have?", a) for n, a in re.findall(r"(\w+) has a pet (\w+)\.", text)
    ]
    return pairs


@functools.cache
def examples() -> tuple[Example, ...]:
    """Held-out problems at 1, 2 and 3 digits, a lookup question, and two search questions
    (built once: every rerun of the page lists them)."""
    probs = heldout_problems(1, seed=2027)
    out = [
        Example(f"digits{p.digits}", f"{p.digits}-digit numbers", p.question, p.answer, p.kind)
        for p in probs
    ]
    lk = lookup_problem(random.Random(4))
    out.append(Example("lookup", "needs a price (lookup)", lk.question, lk.answer, "lookup"))
    for i, (q, a) in enumerate(toy_world_questions()[:2]):
        out.append(Example(f"search{i + 1}", "needs the documents (search)", q, a, "search"))
    return tuple(out)
