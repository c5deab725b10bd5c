"""The tools a ReAct trace may call, and one call of one of them.

``calculator[3 + 4]`` (:mod:`core.agents.calculator`), ``lookup[price of a kite]`` (the toy
world's fact table, :data:`core.word_problems.PRICES` / ``AGES``) and ``search[Tom]`` (the RAG
page's knowledge base, through a function the caller passes in). A call never raises: what a
tool refuses becomes an ``error: ...`` observation, which the model reads like any other.

>>> box = Toolbox()
>>> box.call("calculator", "12 * 7").observation
'84'
>>> box.call("lookup", "price of a kite").observation
'7 coins'
>>> box.call("shell", "rm -rf /").observation
'error: there is no tool shell (tools: calculator, lookup, search)'
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.agents.calculator import ToolError, calculate, show
from core.word_problems import AGES, PRICES

TOOLS = ("calculator", "lookup", "search")
MAX_INPUT_CHARS = 200
MAX_OBSERVATION_CHARS = 300

SearchFn = Callable[[str], Sequence[str]]  # a query -> the texts of the best chunks, best first


@dataclass(frozen=True)
class ToolCall:
    """One call: which tool, its input, what it answered.

    Attributes:
        ok: the tool answered (False: the observation is an ``error: ...`` line).
        source: where a search answer came from (the chunk's text, shortened), else "".
    """

    tool: str
    argument: str
    observation: str
    ok: bool
    seconds: float
    source: str = ""


def facts() -> dict[str, str]:
    """The lookup table: ``price of a kite`` -> ``7 coins``, ``age of Tom`` -> ``9 years``."""
    table = {f"price of a {k}": f"{v} coins" for k, v in PRICES.items()}
    table |= {f"age of {k}": f"{v} years" for k, v in AGES.items()}
    return table


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def lookup(argument: str) -> str:
    """The fact for ``argument`` (case, spacing and a missing "a" forgiven).

    Raises:
        ToolError: no such fact (the message lists a few it knows).
    """
    table = {_norm(k): v for k, v in facts().items()}
    key = _norm(argument)
    if key in table:
        return table[key]
    key = _norm(argument.replace("price of ", "price of a ", 1))
    if key in table:
        return table[key]
    known = ", ".join(list(facts())[:3])
    raise ToolError(f"no fact for {argument[:40]!r} (facts look like: {known}, ...)")


def _sentences(text: str) -> list[str]:
    """Whole sentences of a chunk (a chunk may start or end mid-sentence: those parts go)."""
    parts = re.split(r"(?<=[.!?])\s+|\n+", text.strip())
    return [
        p for p in (x.strip() for x in parts) if p[:1].isupper() and p.endswith((".", "!", "?"))
    ]


def sentences_about(query: str, texts: Sequence[str]) -> str:
    """The sentences of ``texts`` that name every word of ``query``, in order (else the best
    text's first two sentences, as a search engine's snippet), at most
    :data:`MAX_OBSERVATION_CHARS` characters.

    >>> sentences_about("Tom", ["is Tom\\nMia has a cat. Tom lives in Oslo. Tom has a fox.", "x"])
    'Tom lives in Oslo. Tom has a fox.'
    """
    words = [w for w in re.findall(r"\w+", query.lower()) if len(w) > 1]
    picked: list[str] = []
    for text in texts:
        for s in _sentences(text):
            low = set(re.findall(r"\w+", s.lower()))
            if words and all(w in low for w in words) and s not in picked:
                picked.append(s)
    if not picked and texts:
        picked = _sentences(texts[0])[:2] or [texts[0]]
    return _shorten(" ".join(" ".join(picked).split()))


def _shorten(text: str) -> str:
    if len(text) <= MAX_OBSERVATION_CHARS:
        return text
    return text[: MAX_OBSERVATION_CHARS - 3].rsplit(" ", 1)[0] + " ..."


class Toolbox:
    """The tools of one run; ``search`` needs a search function (the RAG knowledge base).

    Args:
        search: ``query -> chunk texts``; None answers search calls with an error observation.
    """

    def __init__(self, search: SearchFn | None = None) -> None:
        self.search = search

    def call(self, tool: str, argument: str) -> ToolCall:
        """Run ``tool[argument]``; never raises."""
        t0 = time.perf_counter()
        source = ""
        try:
            if len(argument) > MAX_INPUT_CHARS:
                raise ToolError(f"the input is longer than {MAX_INPUT_CHARS} characters")
            if tool == "calculator":
                obs = show(calculate(argument))
            elif tool == "lookup":
                obs = lookup(argument)
            elif tool == "search":
                obs, source = self._search(argument)
            else:
                raise ToolError(f"there is no tool {tool[:20]} (tools: {', '.join(TOOLS)})")
            ok = True
        except ToolError as e:
            obs, ok = f"error: {e}", False
        return ToolCall(tool, argument, _shorten(obs), ok, time.perf_counter() - t0, source)

    def _search(self, query: str) -> tuple[str, str]:
        if not query.strip():
            raise ToolError("search needs something to look for")
        if self.search is None:
            raise ToolError("search is not connected to a knowledge base here")
        try:
            texts = list(self.search(query))
        except Exception as e:  # the store is another service: any failure is an observation
            raise ToolError(f"the knowledge base did not answer ({type(e).__name__})") from None
        if not texts:
            raise ToolError(f"nothing found for {query[:40]!r}")
        return sentences_about(query, texts), _shorten(texts[0])
