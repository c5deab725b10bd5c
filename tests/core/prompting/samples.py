"""The toy tasks shared by the core.prompting tests."""

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

# prompts far past any context: one shot of 300 words, an item of 400
LONG_TASK = Task(
    name="long",
    title="long",
    instruction="",
    input_prefix="",
    output_prefix=" => ",
    separator="\n",
    labels=("yes", "no"),
    examples=(Example("word " * 300, "yes"),),
    items=(Example("cat " * 400, "no"), Example("dog", "yes")),
)
