"""Arithmetic word problems of the toy world and the four ways of answering them.

One problem ("Lily has 3 kites. Lily buys 4 more and gives 2 to Tom. How many kites does Lily
have now?") is written in four answer formats, which the tiny-gpt corpus teaches and the agents
page prompts for:

- **direct**: ``Answer: 5`` straight after the question;
- **chain of thought**: ``Let's think step by step.`` then one ``Step k: 3 + 4 = 7`` line per
  operation, then the answer -- the model does each operation itself;
- **program-aided (PAL)**: ``Program:`` then a few assignment lines and ``answer = ...``, which an
  interpreter runs -- the model only copies numbers and names the operations;
- **ReAct**: ``Thought:`` / ``Action: calculator[3 + 4]`` / ``Observation: 7`` repeated, then the
  answer; ``lookup[price of a kite]`` reads the toy world's fact table and ``search[Tom]`` the
  RAG page's knowledge base.

Held out from training: the names in :data:`HELDOUT_NAMES` and every operand triple that
:func:`is_heldout_numbers` marks (one in five), so a measurement on :func:`heldout_problems` is on
problems the model never saw, numbers and people both.

>>> import random
>>> p = word_problem(random.Random(3), digits=1)
>>> p.answer == str(p.steps[-1].result)
True
>>> direct_text(p).splitlines()[-1] == f"Answer: {p.answer}"
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

NAMES = ("Tom", "Lily", "Max", "Anna", "Ben", "Sara", "Sam", "Mia", "Leo", "Zoe", "Tim", "Emma")
HELDOUT_NAMES = ("Ivy", "Kai", "Luna", "Rosa")  # never in a training word problem
THINGS = ("ball", "kite", "hat", "book", "cup", "bike", "boat", "drum", "cake", "lamp", "shoe")
FRUITS = ("apples", "pears", "cookies", "carrots", "eggs")
DIGITS = (1, 2, 3)
OPS = {"+": "add", "-": "subtract", "*": "multiply"}

# The toy world's fact table behind ``lookup[...]``: today's prices and ages. Training traces draw
# their observations at random, so the model learns to read the observation, not to recall it.
PRICES = {
    "ball": 4,
    "kite": 7,
    "hat": 9,
    "book": 12,
    "cup": 3,
    "bike": 85,
    "boat": 240,
    "drum": 36,
    "cake": 15,
    "lamp": 22,
    "shoe": 18,
}
AGES = {"Tom": 9, "Lily": 11, "Max": 8, "Anna": 12, "Ben": 10, "Sara": 7, "Mia": 13, "Zoe": 6}


@dataclass(frozen=True)
class Step:
    """One operation of a solution: ``left op right``."""

    op: str
    left: int
    right: int

    @property
    def result(self) -> int:
        return calc(self.op, self.left, self.right)

    @property
    def expression(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True)
class WordProblem:
    """A question, its answer and everything the four formats need.

    Attributes:
        question: the question as the model reads it.
        answer: the right answer, as text (a number, or a word for a search question).
        kind: ``arithmetic`` (all four formats), ``lookup`` or ``search`` (ReAct needs a tool).
        digits: the operands' number of digits (0 for a search question).
        steps: the operations in order; each right operand of a later step is its own number.
        program: the PAL program's lines, the last one ``answer = ...``.
        lookups: (query, observation) pairs a ReAct trace reads before it computes.
        numbers: the operands, for the held-out split.
        search: the ``search[...]`` query a search question needs (a person's name).
    """

    question: str
    answer: str
    kind: str
    digits: int
    steps: tuple[Step, ...]
    program: tuple[str, ...]
    lookups: tuple[tuple[str, str], ...] = ()
    numbers: tuple[int, ...] = ()
    search: str = ""


def calc(op: str, left: int, right: int) -> int:
    """``left op right`` for the three operations of the word problems.

    >>> calc("*", 12, 3)
    36
    """
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    raise ValueError(f"unknown operation {op!r}")


def is_heldout_numbers(numbers: tuple[int, ...]) -> bool:
    """One operand tuple in five is held out of training (a fixed rule, not a seed).

    >>> is_heldout_numbers((3, 4, 2)), is_heldout_numbers((1, 1, 3))
    (True, False)
    """
    return sum((7, 3, 1)[i % 3] * n for i, n in enumerate(numbers)) % 5 == 0


def _number(r: random.Random, digits: int, hi: int | None = None) -> int:
    lo, top = 10 ** (digits - 1), 10**digits - 1
    if hi is not None:
        top = max(lo, min(top, hi))
    return r.randint(lo if digits > 1 else 2, top)


def _plural(thing: str) -> str:
    return thing + ("es" if thing.endswith(("x", "s", "sh")) else "s")


def _two(name: str, friend: str, thing: str, fruit: str, a: int, b: int, c: int | None):
    """The templates: (question, steps, program lines) with one (``c`` None) or two operations."""
    things = _plural(thing)
    yield (
        f"{name} has {a} {things}. {name} buys {b} more"
        + (f" and gives {c} to {friend}." if c is not None else ".")
        + f" How many {things} does {name} have now?",
        [("+", "bought"), ("-", "given")],
        "have",
    )
    yield (
        f"A train has {a} people. At the station {b} people get off"
        + (f" and {c} people get on." if c is not None else ".")
        + " How many people are on the train now?",
        [("-", "left"), ("+", "boarded")],
        "people",
    )
    yield (
        f"{name} has {a} coins. {name} earns {b} coins"
        + (f" and spends {c} coins." if c is not None else ".")
        + f" How many coins does {name} have now?",
        [("+", "earned"), ("-", "spent")],
        "coins",
    )
    yield (
        f"{name} has {a} boxes with {b} {fruit} in each box."
        + (f" {name} eats {c} of them." if c is not None else "")
        + f" How many {fruit} does {name} have?",
        [("*", "each"), ("-", "eaten")],
        "boxes",
    )


def word_problem(
    r: random.Random, digits: int, *, two_steps: bool = True, heldout: bool = False
) -> WordProblem:
    """One arithmetic problem whose operands have ``digits`` digits.

    Args:
        r: the random generator (the caller's seed).
        digits: 1, 2 or 3.
        two_steps: two operations (else one).
        heldout: draw from the held-out names and operand triples instead of the training ones.
    """
    if digits not in DIGITS:
        raise ValueError(f"digits must be one of {DIGITS}, got {digits}")
    names = HELDOUT_NAMES if heldout else NAMES
    while True:
        name, friend = r.sample(names, 2)
        thing, fruit = r.choice(THINGS), r.choice(FRUITS)
        template = r.randrange(4)
        a = _number(r, digits)
        b = _number(r, digits, hi=a if template == 1 else None)
        first = ("+", "-", "+", "*")[template]
        mid = calc(first, a, b)
        second = ("-", "+", "-", "-")[template]
        c = None
        if two_steps:
            c = _number(r, digits, hi=mid if second == "-" else None)
            if second == "-" and c > mid:
                continue
        numbers = (a, b) if c is None else (a, b, c)
        if is_heldout_numbers(numbers) != heldout:
            continue
        question, ops, start = list(_two(name, friend, thing, fruit, a, b, c))[template]
        steps = [Step(first, a, b)]
        program = [f"{start} = {a}", f"{ops[0][1]} = {b}"]
        expr = f"{start} {first} {ops[0][1]}"
        if c is not None:
            steps.append(Step(second, mid, c))
            program.append(f"{ops[1][1]} = {c}")
            expr = f"{expr} {second} {ops[1][1]}"
        program.append(f"answer = {expr}")
        return WordProblem(
            question=question,
            answer=str(steps[-1].result),
            kind="arithmetic",
            digits=digits,
            steps=tuple(steps),
            program=tuple(program),
            numbers=numbers,
        )


def lookup_problem(r: random.Random, *, random_facts: bool = False) -> WordProblem:
    """A question that needs a fact of the toy world first: a price or an age.

    Args:
        random_facts: draw the price or age at random instead of reading :data:`PRICES` /
            :data:`AGES` (training traces do, so the model learns to read the observation).
    """
    if r.random() < 0.6:
        name, thing = r.choice(NAMES), r.choice(THINGS)
        k = r.randint(2, 9)
        price = r.randint(2, 99) if random_facts else PRICES[thing]
        query = f"price of a {thing}"
        question = f"{name} buys {k} {_plural(thing)}. How many coins does {name} pay?"
        step = Step("*", k, price)
        obs = f"{price} coins"
    else:
        name = r.choice(list(AGES))
        k = r.randint(2, 9)
        age = r.randint(5, 15) if random_facts else AGES[name]
        query = f"age of {name}"
        question = f"How old will {name} be in {k} years?"
        step = Step("+", age, k)
        obs = f"{age} years"
    return WordProblem(
        question=question,
        answer=str(step.result),
        kind="lookup",
        digits=len(str(step.right)),
        steps=(step,),
        program=(),
        lookups=((query, obs),),
        numbers=(step.left, step.right),
    )


def direct_text(p: WordProblem) -> str:
    """The direct format: the question, then the answer."""
    return f"Question: {p.question}\nAnswer: {p.answer}"


def cot_text(p: WordProblem) -> str:
    """Chain of thought: one ``Step k: a op b = c`` line per operation, then the answer."""
    lines = [f"Step {i}: {s.expression} = {s.result}" for i, s in enumerate(p.steps, 1)]
    return f"Question: {p.question}\n{COT_CUE}\n" + "\n".join(lines) + f"\nAnswer: {p.answer}"


def pal_text(p: WordProblem) -> str:
    """Program-aided: the program whose ``answer`` an interpreter computes."""
    return f"Question: {p.question}\n{PAL_CUE}\n" + "\n".join(p.program)


def thought(i: int, step: Step) -> str:
    """The thought before the ``i``-th (0-based) calculator call."""
    first = "First" if i == 0 else "Then"
    if step.op == "+":
        return f"{first} I add {step.left} and {step.right}."
    if step.op == "-":
        return f"{first} I subtract {step.right} from {step.left}."
    return f"{first} I multiply {step.left} by {step.right}."


def react_text(p: WordProblem, search_result: str = "") -> str:
    """ReAct: Thought / Action / Observation lines with real tool outputs, then the answer."""
    lines = [f"Question: {p.question}"]
    if p.search:
        lines += [
            f"Thought: I need to search for {p.search}.",
            f"Action: search[{p.search}]",
            f"Observation: {search_result}",
        ]
    for query, obs in p.lookups:
        lines += [
            f"Thought: I need the {query}.",
            f"Action: lookup[{query}]",
            f"Observation: {obs}",
        ]
    for i, s in enumerate(p.steps):
        lines += [
            f"Thought: {thought(i, s)}",
            f"Action: calculator[{s.expression}]",
            f"Observation: {s.result}",
        ]
    lines += ["Thought: I know the answer.", f"Answer: {p.answer}"]
    return "\n".join(lines)


def search_problem(name: str, question: str, answer: str) -> WordProblem:
    """A question about a person whose answer a ``search[name]`` observation holds."""
    return WordProblem(
        question=question, answer=answer, kind="search", digits=0, steps=(), program=(), search=name
    )


COT_CUE = "Let's think step by step."
PAL_CUE = "Program:"


def heldout_problems(n_per_digits: int = 20, seed: int = 9090) -> list[WordProblem]:
    """The held-out evaluation set: two-step problems, ``n_per_digits`` at each of 1-3 digits,
    on held-out names and operand triples (the same list for the same arguments)."""
    r = random.Random(seed)
    return [word_problem(r, d, heldout=True) for d in DIGITS for _ in range(n_per_digits)]
