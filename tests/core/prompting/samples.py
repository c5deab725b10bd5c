"""The toy task shared by the core.prompting tests."""

from __future__ import annotations

from core.prompting import (
    Example,
    Task,
)

TOY = Task(
    name="toy",
    title="toy",
    instruction="Give the opposite.",
    input_prefix="",
    output_prefix=" => ",
    separator="\n",
    labels=None,
    examples=(Example("hot", "cold"), Example("up", "down"), Example("big", "small")),
    items=(Example("day", "night", ("night", "sun")), Example("old", "new", ("new", "young"))),
)
