"""What a comparison's figures say: each scheme's latency against fp32 (faster, slower or
noise), and the quality ranking against fp32 (best, worst, and a scheme with fewer bits that
scored better than one with more).

>>> from core.quantization.schemes import get_scheme
>>> def result(scheme, kl):
...     s = get_scheme(scheme)
...     return QuantResult(scheme, s.label, s.bits, s.library, True, kl_from_fp32=kl)
>>> rank = rank_quality([result("fp32", 0.0), result("int8", 0.1), result("int4", 0.05)])
>>> rank.best.scheme, rank.worst.scheme, [r.scheme for r in rank.upset]
('int4', 'int8', ['int4', 'int8'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.evaluation import LatencyComparison, compare_latency
from core.quantization.measure import QuantResult


def latency_vs_fp32(results: Sequence[QuantResult]) -> dict[str, LatencyComparison]:
    """Every supported, timed scheme's runs against fp32's, in the results' order.

    Empty when fp32 did not run or was not timed.
    """
    by = {r.scheme: r for r in results if r.supported}
    fp32 = by.get("fp32")
    if fp32 is None or not fp32.latency_runs_ms:
        return {}
    return {
        s: compare_latency(r.latency_runs_ms, fp32.latency_runs_ms)
        for s, r in by.items()
        if s != "fp32" and r.latency_runs_ms
    }


@dataclass(frozen=True)
class QualityRanking:
    """Schemes ranked by their distance from fp32 (fp32 itself left out).

    Args:
        metric: the :class:`QuantResult` field compared (``kl_from_fp32``: lower is closer;
            ``cosine_to_fp32``: higher is closer).
        best / worst: the scheme closest to / furthest from fp32.
        upset: ``(fewer_bits, more_bits)``, the pair where fewer bits came out closest to fp32
            by the widest margin; ``None`` when quality fell with the bits.
    """

    metric: str
    best: QuantResult
    worst: QuantResult
    upset: tuple[QuantResult, QuantResult] | None

    def value(self, r: QuantResult) -> float:
        """``r``'s figure for :attr:`metric`."""
        return getattr(r, self.metric)


def rank_quality(results: Sequence[QuantResult], kind: str = "causal-lm") -> QualityRanking | None:
    """Rank the supported non-fp32 schemes by quality; ``None`` when none was scored."""
    key = "kl_from_fp32" if kind == "causal-lm" else "cosine_to_fp32"
    scored = [
        r for r in results if r.supported and r.scheme != "fp32" and getattr(r, key) is not None
    ]
    if not scored:
        return None
    sign = 1 if key == "kl_from_fp32" else -1  # KL: lower is better; cosine: higher is better
    loss = {r.scheme: sign * getattr(r, key) for r in scored}
    upsets = [
        (lo, hi)
        for hi in scored
        for lo in scored
        if lo.bits < hi.bits and loss[lo.scheme] < loss[hi.scheme]
    ]
    return QualityRanking(
        metric=key,
        best=min(scored, key=lambda r: loss[r.scheme]),
        worst=max(scored, key=lambda r: loss[r.scheme]),
        upset=min(upsets, key=lambda p: loss[p[0].scheme] - loss[p[1].scheme]) if upsets else None,
    )


def disk_ratio(results: Sequence[QuantResult], scheme: str) -> float | None:
    """How many times smaller ``scheme``'s saved weights are than fp32's (``None`` if unknown)."""
    by = {r.scheme: r for r in results if r.supported}
    fp32, other = by.get("fp32"), by.get(scheme)
    if fp32 is None or other is None or not fp32.disk_bytes or not other.disk_bytes:
        return None
    return fp32.disk_bytes / other.disk_bytes
