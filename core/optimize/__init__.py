"""Optimize: quantized, distilled and pruned copies of one model in one measured table.

The three ways to make a model cheaper live beside each other (``core.quantization``,
``core.distill``, ``core.prune``); this package measures their candidates with one evaluation
(:func:`measure_causal`) and finds the Pareto frontier of cost against quality.

>>> CompareConfig(candidates=("int4", "distilled")).ordered
('fp32', 'int4', 'distilled')
"""

from __future__ import annotations

from core.optimize.compare import (
    CANDIDATE_NAMES,
    CANDIDATES,
    COSTS,
    DEFAULT_CANDIDATES,
    LOWER_IS_BETTER,
    QUALITIES,
    Candidate,
    CompareConfig,
    CompareResult,
    compare,
)
from core.optimize.jobs import Progress, compare_job, distill_job, sweep_job
from core.optimize.measure import (
    Measurement,
    measure_causal,
    peak_activation_bytes,
    zeros_on_disk,
)
from core.optimize.pareto import pareto_front

__all__ = [
    "CANDIDATES",
    "CANDIDATE_NAMES",
    "COSTS",
    "Candidate",
    "CompareConfig",
    "CompareResult",
    "DEFAULT_CANDIDATES",
    "LOWER_IS_BETTER",
    "Measurement",
    "Progress",
    "QUALITIES",
    "compare",
    "compare_job",
    "distill_job",
    "measure_causal",
    "pareto_front",
    "peak_activation_bytes",
    "sweep_job",
    "zeros_on_disk",
]
