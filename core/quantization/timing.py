"""Is one set of timed runs faster than another, or is the difference noise?

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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

ALPHA = 0.05
Verdict = Literal["faster", "slower", "noise", "too few runs"]


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
