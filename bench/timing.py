"""Timing helper shared by the benchmark scripts: core's own timer
(:func:`core.evaluation.time_runs`, warm-up then timed runs), read as a median in seconds."""

from __future__ import annotations

from collections.abc import Callable

from core.evaluation import time_runs


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Call ``fn`` once to warm up, then ``repeats`` times; the median wall time in seconds."""
    return time_runs(fn, repeats).median / 1000
