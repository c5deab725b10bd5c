"""The four strategies measured on held-out word problems, by the operands' size.

The problems are :func:`core.word_problems.heldout_problems`: two operations each, names and
operand triples that no training document used. For every strategy and operand size (1, 2 and
3 digits) the table gives accuracy, and for ReAct the tool-call validity (actions that parsed
and that their tool answered, over actions written) and the steps per answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.agents.react import Generate
from core.agents.strategies import STRATEGIES, AgentConfig, StrategyRun, run_strategy
from core.agents.tools import Toolbox
from core.knobs import check, knob
from core.word_problems import DIGITS, WordProblem, heldout_problems


@dataclass(frozen=True)
class EvalConfig:
    """Which held-out problems.

    >>> EvalConfig(n_per_digits=0)
    Traceback (most recent call last):
    ...
    ValueError: problems per size must be between 1 and 100, got 0
    """

    n_per_digits: int = knob(
        8, lo=1, hi=100, label="problems per size", help="Held-out problems at 1, 2 and 3 digits."
    )
    seed: int = knob(9090, lo=0, hi=2**31 - 1, help="Seed of the held-out problems.")

    def __post_init__(self) -> None:
        check(self)


@dataclass(frozen=True)
class EvalRow:
    """One strategy at one operand size."""

    strategy: str
    digits: int
    n: int
    correct: int
    actions: int
    valid_actions: int
    steps: float  # ReAct steps per run (0 for the others)
    tokens: float  # tokens written per run
    seconds: float  # per run

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    @property
    def validity(self) -> float | None:
        """Tool calls that parsed and ran, over actions written (None: no action)."""
        return self.valid_actions / self.actions if self.actions else None


@dataclass(frozen=True)
class EvalResult:
    """The table and every run behind it."""

    config: EvalConfig
    rows: tuple[EvalRow, ...]
    runs: tuple[tuple[WordProblem, StrategyRun], ...]

    def row(self, strategy: str, digits: int) -> EvalRow:
        return next(r for r in self.rows if r.strategy == strategy and r.digits == digits)

    def accuracy(self, strategy: str, digits: int) -> float:
        return self.row(strategy, digits).accuracy


def _row(strategy: str, digits: int, runs: list[StrategyRun]) -> EvalRow:
    reacts = [r.react for r in runs if r.react is not None]
    n = len(runs)
    return EvalRow(
        strategy=strategy,
        digits=digits,
        n=n,
        correct=sum(bool(r.correct) for r in runs),
        actions=sum(x.n_actions for x in reacts),
        valid_actions=sum(x.valid_actions for x in reacts),
        steps=sum(len(x.steps) for x in reacts) / n if reacts else 0.0,
        tokens=sum(r.tokens for r in runs) / n,
        seconds=sum(r.seconds for r in runs) / n,
    )


def evaluate(
    generate: Generate,
    config: EvalConfig | None = None,
    *,
    agent: AgentConfig | None = None,
    strategies: tuple[str, ...] = STRATEGIES,
    digits: tuple[int, ...] = DIGITS,
    chat: Any = None,
    on_progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> EvalResult:
    """Run every strategy on the held-out problems of the ``digits`` sizes.

    The sizes are interleaved (1, 2, 3, 1, 2, 3, ...), so a run stopped early still has each.
    """
    config = config or EvalConfig()
    n = config.n_per_digits
    problems = heldout_problems(n, config.seed)
    order = [p for i in range(n) for p in problems[i::n] if p.digits in digits]
    toolbox = Toolbox()
    total = len(order) * len(strategies)
    runs: list[tuple[WordProblem, StrategyRun]] = []
    for p in order:
        if should_stop is not None and should_stop():
            break
        for s in strategies:
            r = run_strategy(
                s,
                p.question,
                generate,
                toolbox=toolbox,
                config=agent,
                expected=p.answer,
                chat=chat,
            )
            runs.append((p, r))
            if on_progress is not None:
                on_progress(len(runs), total)
    rows = tuple(
        _row(s, d, [r for p, r in runs if r.strategy == s and p.digits == d])
        for s in strategies
        for d in digits
        if any(r.strategy == s and p.digits == d for p, r in runs)
    )
    return EvalResult(config, rows, tuple(runs))
