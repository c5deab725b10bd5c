"""A seeded percentile bootstrap interval for corpus ROUGE, BLEU and chrF.

>>> from core.metrics.scores import rouge
>>> iv = bootstrap_ci(rouge(["a b", "a c", "b c"], ["a b", "a b", "a b"]), seed=1)["rouge1"]
>>> iv.low <= iv.point <= iv.high
True
>>> iv.informative
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.metrics.scores import (
    BleuResult,
    ChrfResult,
    RougeResult,
    bleu_from_stats,
    chrf_metric,
)

# One pair resamples to itself every time (a zero-width interval); two pairs give only three
# distinct resamples. Below this many pairs an interval says nothing about the spread.
MIN_PAIRS = 3


@dataclass(frozen=True)
class Interval:
    """A percentile bootstrap interval around a corpus score.

    ``n_pairs`` is how many pairs were resampled; with fewer than :data:`MIN_PAIRS` the interval
    is not :attr:`informative` and should not be shown as one.
    """

    point: float
    low: float
    high: float
    confidence: float
    n_resamples: int
    seed: int
    n_pairs: int

    @property
    def informative(self) -> bool:
        """True when there are enough pairs (:data:`MIN_PAIRS`) for the interval to mean much."""
        return self.n_pairs >= MIN_PAIRS


def bootstrap_ci(
    result: RougeResult | BleuResult | ChrfResult,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> dict[str, Interval]:
    """Resample the pairs with replacement and recompute the corpus score each time.

    BLEU and chrF are recomputed from the summed statistics of the resampled sentences (as
    sacrebleu's own ``n_bootstrap`` does), ROUGE as the mean F1 of the resampled pairs.

    Args:
        result: a result of :func:`rouge`, :func:`bleu` or :func:`chrf`.
        n_resamples: number of bootstrap samples.
        confidence: e.g. 0.95 for a 95% interval.
        seed: the random seed: same seed, same interval.

    Returns:
        ``{"bleu": Interval}``, ``{"chrf": Interval}`` or one interval per ROUGE type (F1).
    """
    import numpy as np

    if not 10 <= n_resamples <= 100_000:
        raise ValueError("n_resamples must be between 10 and 100000.")
    if not 0.5 <= confidence < 1:
        raise ValueError("confidence must be in [0.5, 1).")
    rng = np.random.default_rng(seed)
    lo_q, hi_q = 100 * (1 - confidence) / 2, 100 * (1 + confidence) / 2

    n_pairs = len(result.per_pair) if isinstance(result, RougeResult) else len(result.stats)

    def interval(point: float, samples: Any) -> Interval:
        lo, hi = np.percentile(samples, [lo_q, hi_q])
        return Interval(point, float(lo), float(hi), confidence, n_resamples, seed, n_pairs)

    if isinstance(result, RougeResult):
        n = len(result.per_pair)
        idx = rng.integers(0, n, size=(n_resamples, n))  # (R, N)
        out = {}
        for t in result.config.rouge_types:
            f = np.asarray(result.f1(t))  # (N,)
            out[t] = interval(result.corpus[t].fmeasure, f[idx].mean(axis=1))
        return out
    stats = np.asarray(result.stats, dtype=np.int64)  # (N, S)
    idx = rng.integers(0, len(stats), size=(n_resamples, len(stats)))  # (R, N)
    sums = stats[idx].sum(axis=1)  # (R, S)
    if isinstance(result, BleuResult):
        cfg = result.config
        samples = [bleu_from_stats(row, cfg, effective_order=cfg.effective_order) for row in sums]
        return {"bleu": interval(result.score, samples)}
    metric = chrf_metric(result.config)
    samples = [metric._compute_f_score(list(row)) for row in sums]
    return {"chrf": interval(result.score, samples)}
