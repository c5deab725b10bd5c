"""Latency: warm up, time repeated runs, keep every run, and compare two sets honestly.

Timings on a shared CPU wander, so a verdict compares every run, not two medians: "faster" only
when every run of one is below every run of the other *and* that separation would be unlikely
by chance. Under "no difference" all orderings of the pooled runs are equally likely, and a
complete separation in a given direction has probability ``1 / C(n_a + n_b, n_a)`` (an exact
Mann-Whitney test with U = 0); a two-sided p below :data:`ALPHA` is needed. With 5 runs each
that p is 2/252 = 0.008; with 1 or 2 runs no verdict is possible and the answer says so.

>>> compare_latency([10.0, 10.2, 10.1, 10.3, 9.9], [20.0, 21.0, 19.5, 20.5, 20.2]).verdict
'faster'
>>> compare_latency([10.0, 12.0, 11.0, 10.8], [11.5, 10.5, 12.5, 11.2]).verdict
'noise'
>>> compare_latency([10.0], [20.0]).verdict
'too few runs'
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

ALPHA = 0.05
Verdict = Literal["faster", "slower", "noise", "too few runs"]


@dataclass(frozen=True)
class Timings:
    """Repeated wall times of one operation, in milliseconds, with their spread.

    >>> t = Timings((10.0, 11.0, 12.0, 13.0, 50.0))
    >>> t.median, t.lo, t.hi, t.iqr
    (12.0, 10.0, 50.0, 2.0)
    """

    samples_ms: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.samples_ms:
            raise ValueError("Timings needs at least one sample")

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def q1(self) -> float:
        return self._quartiles()[0]

    @property
    def q3(self) -> float:
        return self._quartiles()[2]

    @property
    def iqr(self) -> float:
        """Interquartile range: the middle half of the timings spans this many ms."""
        return self.q3 - self.q1

    @property
    def lo(self) -> float:
        return min(self.samples_ms)

    @property
    def hi(self) -> float:
        return max(self.samples_ms)

    def _quartiles(self) -> list[float]:
        if len(self.samples_ms) == 1:
            return [self.samples_ms[0]] * 3
        return statistics.quantiles(self.samples_ms, n=4, method="inclusive")


def time_runs(fn: Callable[[], Any], runs: int, *, warmup: int = 1) -> Timings:
    """Call ``fn`` ``warmup`` times untimed (first calls allocate and pick kernels), then
    ``runs`` times timed.

    >>> len(time_runs(lambda: None, 3).samples_ms)
    3
    """
    if runs < 1:
        raise ValueError(f"runs must be 1 or more, got {runs}")
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return Timings(tuple(out))


def time_interleaved(fns: Mapping[str, Callable[[], Any]], repeats: int) -> dict[str, Timings]:
    """Time several operations in turns (a, b, a, b, ...), so that a burst of load on the
    machine hits them alike. Warm each one up before calling this.

    >>> sorted(time_interleaved({"a": lambda: None, "b": lambda: None}, 2))
    ['a', 'b']
    """
    if repeats < 1:
        raise ValueError(f"repeats must be 1 or more, got {repeats}")
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(1000 * (time.perf_counter() - t))
    return {name: Timings(tuple(ms)) for name, ms in times.items()}


@dataclass(frozen=True)
class LatencyComparison:
    """Runs ``a`` against reference runs ``b``.

    Args:
        ratio: median(a) / median(b): below 1, ``a`` took less time.
        verdict: ``faster`` / ``slower`` (every run of ``a`` below / above every run of ``b``,
            p < :data:`ALPHA`), ``noise`` (the runs overlap) or ``too few runs``.
        p_value: two-sided probability of so complete a separation by chance (``None`` when
            the runs overlap: nothing then speaks against "the same speed").
        spread_a, spread_b: (min, max) of each set of runs.
    """

    ratio: float
    verdict: Verdict
    p_value: float | None
    spread_a: tuple[float, float]
    spread_b: tuple[float, float]


def separation_p(n_a: int, n_b: int) -> float:
    """Two-sided p of a complete separation of ``n_a`` and ``n_b`` runs under no difference.

    >>> separation_p(5, 5)
    0.007936507936507936
    """
    return min(1.0, 2 / math.comb(n_a + n_b, n_a))


def compare_latency(a: Sequence[float], b: Sequence[float]) -> LatencyComparison:
    """Compare timed runs ``a`` with reference runs ``b`` (e.g. a scheme against fp32).

    Args:
        a: timings (any unit, the same for both).
        b: reference timings.

    Returns:
        A :class:`LatencyComparison`.

    Raises:
        ValueError: an empty set of runs or a non-positive reference median.
    """
    if not a or not b:
        raise ValueError("both sets need at least one timed run")
    med_b = statistics.median(b)
    if med_b <= 0:
        raise ValueError("the reference timings must be positive")
    ratio = statistics.median(a) / med_b
    p: float | None = separation_p(len(a), len(b))
    verdict: Verdict
    if p is not None and p >= ALPHA:
        verdict = "too few runs"
    elif max(a) < min(b):
        verdict = "faster"
    elif min(a) > max(b):
        verdict = "slower"
    else:
        verdict, p = "noise", None
    return LatencyComparison(ratio, verdict, p, (min(a), max(a)), (min(b), max(b)))
