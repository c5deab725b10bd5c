"""Augment the model with reasoning and tools: direct, chain-of-thought, PAL and ReAct.

- :mod:`core.agents.calculator`: the ``calculator[...]`` tool (an AST walk, never ``eval``).
- :mod:`core.agents.interpreter`: the PAL interpreter (an allowlisted AST walk with limits).
- :mod:`core.agents.tools`: the toolbox (calculator, lookup, search) and one tool call.
- :mod:`core.agents.react`: the ReAct parser, one step, the loop.
- :mod:`core.agents.strategies`: the four strategies' prompts and runs on one question.
- :mod:`core.agents.evaluate`: the held-out table by operand size.
"""

from core.agents.calculator import ToolError, calculate
from core.agents.evaluate import EvalConfig, EvalResult, EvalRow, evaluate
from core.agents.interpreter import ProgramResult, RunLimits, run_program
from core.agents.react import Generated, ReactRun, ReactStep, parse_action, react_step, run_react
from core.agents.strategies import (
    LABELS,
    STRATEGIES,
    AgentConfig,
    StrategyRun,
    lm_generate,
    prompt_for,
    run_strategy,
    same_answer,
)
from core.agents.tools import TOOLS, Toolbox, ToolCall

__all__ = [
    "LABELS",
    "STRATEGIES",
    "TOOLS",
    "AgentConfig",
    "EvalConfig",
    "EvalResult",
    "EvalRow",
    "Generated",
    "ProgramResult",
    "ReactRun",
    "ReactStep",
    "RunLimits",
    "StrategyRun",
    "ToolCall",
    "ToolError",
    "Toolbox",
    "calculate",
    "evaluate",
    "lm_generate",
    "parse_action",
    "prompt_for",
    "react_step",
    "run_program",
    "run_react",
    "run_strategy",
    "same_answer",
]
