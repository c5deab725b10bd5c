"""ReAct: Thought -> Action -> Observation, repeated, until an answer or a step limit.

The model writes a thought and an action (``Action: calculator[3 + 4]``); the loop stops it
there, runs the tool, appends ``Observation: 7`` and lets the model go on. One
:func:`react_step` is one Thought/Action/Observation (the page's step mode, where a learner may
rewrite an observation before the next step); :func:`run_react` repeats it.

>>> parse_action("Action: calculator[3 + 4]")
('calculator', '3 + 4')
>>> parse_action("Action: calculator 3 + 4")
Traceback (most recent call last):
...
ValueError: an action looks like tool[input], got 'calculator 3 + 4'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.agents.tools import Toolbox, ToolCall

_ACTION = re.compile(r"^\s*([A-Za-z_]\w*)\s*\[(.*)\]\s*$", re.S)


@dataclass(frozen=True)
class Generated:
    """What one generation call wrote: its text, its token count, its seconds."""

    text: str
    tokens: int
    seconds: float


# prompt text, stop rule (the text so far -> where to cut it, or None to go on) -> Generated
Generate = Callable[[str, Callable[[str], int | None]], Generated]


def parse_action(line: str) -> tuple[str, str]:
    """``(tool, input)`` of an ``Action: tool[input]`` line.

    Raises:
        ValueError: the line is not ``tool[input]`` (the message quotes it).
    """
    body = line.strip().removeprefix("Action:").strip()
    m = _ACTION.match(body)
    if not m:
        raise ValueError(f"an action looks like tool[input], got {body[:60]!r}")
    return m.group(1), m.group(2).strip()


def step_end(text: str) -> int | None:
    """Where a ReAct step's text ends: after its first complete ``Action:`` or ``Answer:`` line,
    or at an ``Observation:`` the model started writing itself (None: not yet).

    >>> t = "Thought: add.\\nAction: calculator[1 + 2]\\nObserv"
    >>> t[: step_end(t)]
    'Thought: add.\\nAction: calculator[1 + 2]\\n'
    """
    pos = 0
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            break
        pos += len(line)
        if line.startswith(("Action:", "Answer:")):
            return pos
    return None


@dataclass(frozen=True)
class ReactStep:
    """One Thought/Action/Observation (or the final answer).

    Attributes:
        generated: exactly what the model wrote in this step.
        thought: its ``Thought:`` lines' text.
        action: the action line's ``tool[input]`` text ("" when there is none).
        call: the tool call and its real output (None: no valid action).
        observation: what the model reads next (the tool's output, an error, or an edit).
        answer: the final answer, when the step gave one.
        problem: why the step is malformed (no action and no answer, an unreadable action).
        edited: the observation was rewritten by the learner.
    """

    generated: str
    thought: str
    action: str
    call: ToolCall | None
    observation: str
    answer: str | None
    problem: str | None
    tokens: int
    seconds: float
    edited: bool = False

    @property
    def text(self) -> str:
        """The step as the next prompt carries it."""
        obs = f"Observation: {self.observation}\n" if self.answer is None else ""
        return self.generated + obs

    def with_observation(self, observation: str) -> ReactStep:
        """This step with its observation rewritten (the step mode's edit)."""
        return replace(self, observation=" ".join(observation.split())[:300], edited=True)


@dataclass(frozen=True)
class ReactRun:
    """A ReAct transcript: the prompt, its steps, and how it ended.

    Attributes:
        status: ``answered``, ``gave up`` (the step limit) or ``stopped`` (the model wrote
            neither an action nor an answer).
    """

    question: str
    prompt: str
    steps: tuple[ReactStep, ...]
    status: str
    answer: str | None
    transcript: str = ""  # the whole exchange as the model read it, observations included

    @property
    def tool_calls(self) -> tuple[ToolCall, ...]:
        return tuple(s.call for s in self.steps if s.call is not None)

    @property
    def n_actions(self) -> int:
        """Action lines written, readable or not."""
        return sum(1 for s in self.steps if s.action)

    @property
    def valid_actions(self) -> int:
        """Actions that parsed and that their tool answered."""
        return sum(1 for c in self.tool_calls if c.ok)

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.steps)

    @property
    def seconds(self) -> float:
        return sum(s.seconds + (s.call.seconds if s.call else 0.0) for s in self.steps)


def react_prompt(question: str) -> str:
    """The ReAct prompt of a question (the format the corpus taught)."""
    return f"Question: {' '.join(question.split())}\n"


def _thoughts(text: str) -> str:
    return " ".join(
        line.removeprefix("Thought:").strip()
        for line in text.splitlines()
        if line.startswith("Thought:")
    )


@dataclass(frozen=True)
class Parsed:
    """What one step's text says: a thought, then an action or an answer (or neither).

    Attributes:
        text: the step's text, cut where the step ends.
        action: the action as written (``calculator[3 + 4]``); "" when there is none.
        tool / argument: the parsed action (None when there is none or it cannot be read).
        error: why the action cannot be read.
    """

    text: str
    thought: str
    action: str = ""
    tool: str | None = None
    argument: str = ""
    error: str | None = None
    answer: str | None = None


class TextFormat:
    """The corpus's format: ``Thought:`` / ``Action: tool[input]`` / ``Observation:`` lines.

    Every prompt ends with ``Thought:`` (as LangChain's ReAct prompt does): after a question
    the corpus has four formats, and the cue picks this one; the model writes the rest of the
    thought and its action.
    """

    name = "text"
    cue = "Thought:"

    def transcript(self, question: str, history: Sequence[ReactStep]) -> str:
        return react_prompt(question) + "".join(s.text for s in history)

    def prompt(self, question: str, history: Sequence[ReactStep]) -> str:
        return self.transcript(question, history) + self.cue

    def stop(self, text: str) -> int | None:
        return step_end(text)

    def parse(self, text: str) -> Parsed:
        text = self.cue + text  # the step as written: the cue, then the model's words
        cut = step_end(text)
        text = text[:cut] if cut is not None else text
        if cut is None and text and not text.endswith("\n"):
            text += "\n"
        lines = text.splitlines()
        last = lines[-1] if lines else ""
        thought = _thoughts(text)
        if last.startswith("Answer:"):
            return Parsed(text, thought, answer=last.removeprefix("Answer:").strip())
        if not last.startswith("Action:"):
            return Parsed(text, thought)
        action = last.removeprefix("Action:").strip()
        try:
            tool, argument = parse_action(last)
        except ValueError as e:
            return Parsed(text, thought, action, error=f"{e}; write Action: tool[input]")
        return Parsed(text, thought, action, tool, argument)


TEXT = TextFormat()


def react_step(
    generate: Generate,
    toolbox: Toolbox,
    question: str,
    history: Sequence[ReactStep] = (),
    fmt: Any = TEXT,
) -> ReactStep:
    """The next Thought/Action/Observation after ``history`` (whose observations may be edits).

    Args:
        fmt: how steps are written and read: :data:`TEXT` (tiny-gpt's corpus format) or a
            :class:`core.agents.chat.ChatFormat` (an instruct model's chat template).

    Never raises for what the model writes: a malformed action becomes an ``error: ...``
    observation the model reads next; no action and no answer is a step with a ``problem``.
    """
    g = generate(fmt.prompt(question, history), fmt.stop)
    p = fmt.parse(g.text)
    if p.answer is not None:
        return ReactStep(p.text, p.thought, "", None, "", p.answer, None, g.tokens, g.seconds)
    if not p.action:
        problem = "the model wrote no action and no answer"
        return ReactStep(p.text, p.thought, "", None, "", None, problem, g.tokens, g.seconds)
    if p.tool is None:
        obs = f"error: {p.error}"
        return ReactStep(p.text, p.thought, p.action, None, obs, None, p.error, g.tokens, g.seconds)
    call = toolbox.call(p.tool, p.argument)
    return ReactStep(
        p.text, p.thought, p.action, call, call.observation, None, None, g.tokens, g.seconds
    )


def finish(question: str, steps: Sequence[ReactStep], max_steps: int, fmt: Any = TEXT) -> ReactRun:
    """The run these steps make: answered, stopped, gave up, or (``running``) still going."""
    prompt, transcript = fmt.prompt(question, ()), fmt.transcript(question, steps)
    last = steps[-1] if steps else None
    status, answer = "running", None
    if last is not None and last.answer is not None:
        status, answer = "answered", last.answer
    elif last is not None and last.problem and not last.action:
        status = "stopped"
    elif len(steps) >= max_steps:
        status = "gave up"
    return ReactRun(question, prompt, tuple(steps), status, answer, transcript)


def run_react(
    generate: Generate,
    toolbox: Toolbox,
    question: str,
    *,
    max_steps: int = 6,
    fmt: Any = TEXT,
) -> ReactRun:
    """Steps until an answer, a step with neither action nor answer, or ``max_steps``."""
    steps: list[ReactStep] = []
    while True:
        run = finish(question, steps, max_steps, fmt)
        if run.status != "running":
            return run
        steps.append(react_step(generate, toolbox, question, steps, fmt))
