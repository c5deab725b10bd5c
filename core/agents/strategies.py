"""Four ways to answer one question, each with its full transcript: direct, chain of thought,
program-aided (PAL) and ReAct.

Every strategy is a prompt in the format the corpus taught (:mod:`core.word_problems`), one or
more generation calls through :mod:`core.generation`, and for PAL and ReAct real tools: the
interpreter (:mod:`core.agents.interpreter`) and the toolbox (:mod:`core.agents.tools`).

>>> same_answer(" 12.", "12"), same_answer("Oslo", "oslo"), same_answer("13", "12")
(True, True, False)
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.agents.interpreter import ProgramResult, run_program
from core.agents.react import TEXT, Generate, Generated, ReactRun, react_prompt, run_react
from core.agents.tools import Toolbox
from core.knobs import check, knob
from core.word_problems import COT_CUE, PAL_CUE

STRATEGIES = ("direct", "cot", "pal", "react")
LABELS = {
    "direct": "Direct answer",
    "cot": "Chain of thought",
    "pal": "Program-aided (PAL)",
    "react": "ReAct (tools)",
}


@dataclass(frozen=True)
class AgentConfig:
    """How the strategies generate.

    >>> AgentConfig(max_steps=0)
    Traceback (most recent call last):
    ...
    ValueError: max steps must be between 1 and 12, got 0
    """

    max_steps: int = knob(
        6, lo=1, hi=12, label="max steps", help="ReAct steps (Thought/Action/Observation) at most."
    )
    max_new_tokens: int = knob(
        64, lo=8, hi=160, step=8, label="tokens per call", help="Tokens one generation writes."
    )
    temperature: float = knob(
        0.0, lo=0, hi=1.5, step=0.05, help="0 = greedy (the same answer every time)."
    )
    seed: int = knob(0, lo=0, hi=2**31 - 1, help="Seed of a sampled run.")

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class StrategyRun:
    """One strategy on one question: what it read, wrote, ran and answered.

    Attributes:
        prompt: the exact prompt.
        generated: everything the model wrote (ReAct: the steps, observations included).
        answer: the final answer (None: it gave none).
        correct: against ``expected`` (None when there is no expected answer).
        tokens: tokens the model wrote.
        seconds: generation and tools.
        program: PAL's interpreter run.
        react: ReAct's transcript.
        problem: why there is no answer.
    """

    strategy: str
    question: str
    prompt: str
    generated: str
    answer: str | None
    expected: str | None
    correct: bool | None
    tokens: int
    seconds: float
    program: ProgramResult | None = None
    react: ReactRun | None = None
    problem: str | None = None

    @property
    def label(self) -> str:
        return LABELS[self.strategy]


def _number(text: str) -> float | None:
    m = re.search(r"-?\d[\d,]*(?:\.\d+)?", text)
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", ""))
    except ValueError:
        return None


def same_answer(got: str | None, expected: str) -> bool:
    """``got`` says ``expected``: the same number, or the same word (case and full stop aside)."""
    if got is None:
        return False
    want = _number(expected)
    if want is not None and re.fullmatch(r"\s*-?[\d,.]+\s*", expected):
        have = _number(got)
        return have is not None and abs(have - want) < 1e-9
    norm = lambda s: " ".join(re.findall(r"\w+", s.lower()))  # noqa: E731
    return norm(got) == norm(expected) and bool(norm(expected))


def line_end(text: str) -> int | None:
    """After the first line (the direct answer's)."""
    i = text.find("\n")
    return None if i < 0 else i + 1


def answer_end(text: str) -> int | None:
    """After the first complete ``Answer:`` line (chain of thought's end)."""
    pos = 0
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            return None
        pos += len(line)
        if line.startswith("Answer:"):
            return pos
    return None


def program_end(text: str) -> int | None:
    """Before a blank line, a new ``Question:`` or an ``Answer:`` line (a program's end)."""
    pos = 0
    for line in text.splitlines(keepends=True):
        if not line.endswith("\n"):
            return None
        if not line.strip() or line.startswith(("Question:", "Answer:")):
            return pos
        pos += len(line)
    return None


def never(text: str) -> int | None:
    """No stop rule: the model's end-of-turn token ends the text."""
    return None


def fence_end(text: str) -> int | None:
    """After a fenced code block's closing fence.

    >>> t = "```python\\nanswer = 1\\n```\\nmore"
    >>> t[: fence_end(t)]
    '```python\\nanswer = 1\\n```'
    """
    first = text.find("```")
    if first < 0:
        return None
    close = text.find("```", first + 3)
    return None if close < 0 else close + 3


def prompt_for(strategy: str, question: str) -> str:
    """The exact prompt of a strategy (ReAct's first one; its later ones add the steps)."""
    q = " ".join(question.split())
    if strategy == "direct":
        return f"Question: {q}\nAnswer:"
    if strategy == "cot":
        return f"Question: {q}\n{COT_CUE}\n"
    if strategy == "pal":
        return f"Question: {q}\n{PAL_CUE}\n"
    if strategy == "react":
        return TEXT.prompt(question, ())
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")


def _cut(g: Generated, end: Callable[[str], int | None]) -> str:
    i = end(g.text)
    return g.text if i is None else g.text[:i]


def run_strategy(
    strategy: str,
    question: str,
    generate: Generate,
    *,
    toolbox: Toolbox | None = None,
    config: AgentConfig | None = None,
    expected: str | None = None,
    chat: Any = None,
) -> StrategyRun:
    """Answer ``question`` one way.

    Args:
        strategy: one of :data:`STRATEGIES`.
        generate: the generation call (:func:`lm_generate` or a scripted fake).
        toolbox: ReAct's tools (default: calculator and lookup, no search).
        expected: the right answer, to mark the run correct or not.
        chat: an instruct model's tokenizer: prompts go through its chat template and ReAct
            through its tool-calling format (:mod:`core.agents.chat`); None: the corpus formats.

    Raises:
        ValueError: an unknown strategy or an empty question.
    """
    from core.agents import chat as chat_fmt

    config = config or AgentConfig()
    if not question.strip():
        raise ValueError("The question is empty: type a word problem or pick one.")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    fmt = chat_fmt.ChatFormat(chat) if chat is not None else TEXT
    if strategy == "react":
        prompt = fmt.prompt(question, ())
    elif chat is None:
        prompt = prompt_for(strategy, question)
    else:
        prompt = chat_fmt.strategy_prompt(chat, strategy, question)
    t0 = time.perf_counter()
    program = react = None
    problem = None
    if strategy == "react":
        react = run_react(
            generate, toolbox or Toolbox(), question, max_steps=config.max_steps, fmt=fmt
        )
        start = len(prompt if chat is not None else react_prompt(question))
        generated, answer, tokens = react.transcript[start:], react.answer, react.tokens
        if answer is None:
            problem = {
                "gave up": f"gave up after {config.max_steps} steps",
                "stopped": "the model wrote neither an action nor an answer",
            }[react.status]
    elif chat is not None:  # an instruct model: it ends its own turn
        end = answer_end if strategy == "cot" else fence_end if strategy == "pal" else never
        g = generate(prompt, end)
        generated, tokens = _cut(g, end), g.tokens
        if strategy == "pal":
            program = run_program(chat_fmt.program_text(generated))
            answer = program.observation if program.ok else None
            problem = None if program.ok else program.error
        else:
            answer = chat_fmt.final_answer(generated)
    else:
        end = {"direct": line_end, "cot": answer_end, "pal": program_end}[strategy]
        g = generate(prompt, end)
        generated, tokens = _cut(g, end), g.tokens
        if strategy == "direct":
            answer = generated.strip() or None
        elif strategy == "cot":
            last = [ln for ln in generated.splitlines() if ln.startswith("Answer:")]
            answer = last[-1].removeprefix("Answer:").strip() if last else None
        else:
            program = run_program(generated)
            answer = program.observation if program.ok else None
            problem = None if program.ok else program.error
        if answer is None and problem is None:
            problem = "the model wrote no answer"
    seconds = time.perf_counter() - t0
    correct = None if expected is None else same_answer(answer, expected)
    return StrategyRun(
        strategy=strategy,
        question=question,
        prompt=prompt,
        generated=generated,
        answer=answer,
        expected=expected,
        correct=correct,
        tokens=tokens,
        seconds=seconds,
        program=program,
        react=react,
        problem=problem,
    )


def lm_generate(model: Any, tokenizer: Any, config: AgentConfig | None = None) -> Generate:
    """The generation call of a causal LM: the prompt's tokens, then tokens until the stop rule
    says the text is complete, the end-of-text token, or ``config.max_new_tokens``."""
    from core.generation import encode_prompt, generate
    from core.models import context_size
    from core.sampling import SamplingConfig

    config = config or AgentConfig()
    room = max(1, context_size(model) - config.max_new_tokens)
    sampling = SamplingConfig(temperature=config.temperature, seed=config.seed)

    def run(prompt: str, stop: Callable[[str], int | None]) -> Generated:
        ids = encode_prompt(tokenizer, prompt, max_tokens=room).ids

        def should_stop(new: Sequence[int]) -> bool:
            return stop(tokenizer.decode(list(new), skip_special_tokens=True)) is not None

        g = generate(
            model,
            ids,
            sampling,
            max_new_tokens=config.max_new_tokens,
            eos_token_id=tokenizer.eos_token_id,
            n_alternatives=0,
            should_stop=should_stop,
        )
        text = tokenizer.decode(list(g.token_ids), skip_special_tokens=True)
        return Generated(text, len(g.steps), g.seconds)

    return run
