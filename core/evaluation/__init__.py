"""Evaluation shared by every page that compares models: perplexity over token windows, KL and
top-1 agreement against a reference model, embedding cosine, downstream accuracy (choice
scoring, exact match, a linear probe) and latency timing.

Heavy imports (torch) happen inside the functions, so importing this package stays light.

>>> Timings((3.0, 1.0, 2.0)).median
2.0
"""

from __future__ import annotations

from core.evaluation.agreement import AgreementResult, agreement, kl_top1
from core.evaluation.choice import (
    ChoiceCase,
    accuracy,
    choice_accuracy,
    choice_scores,
    exact_match,
    normalize_answer,
)
from core.evaluation.perplexity import (
    MAX_NLL,
    PerplexityResult,
    causal_logits,
    perplexity,
    perplexity_from_logits,
    token_nll,
    token_windows,
)
from core.evaluation.probe import fit_logistic_regression, probe_accuracy, probe_logits
from core.evaluation.similarity import mean_cosine, paired_cosine, top1_retrieval
from core.evaluation.timing import (
    ALPHA,
    LatencyComparison,
    Timings,
    Verdict,
    compare_latency,
    separation_p,
    time_interleaved,
    time_runs,
)

__all__ = [
    "ALPHA",
    "AgreementResult",
    "ChoiceCase",
    "LatencyComparison",
    "MAX_NLL",
    "PerplexityResult",
    "Timings",
    "Verdict",
    "accuracy",
    "agreement",
    "causal_logits",
    "choice_accuracy",
    "choice_scores",
    "compare_latency",
    "exact_match",
    "fit_logistic_regression",
    "kl_top1",
    "mean_cosine",
    "normalize_answer",
    "paired_cosine",
    "perplexity",
    "perplexity_from_logits",
    "probe_accuracy",
    "probe_logits",
    "separation_p",
    "time_interleaved",
    "time_runs",
    "token_nll",
    "token_windows",
    "top1_retrieval",
]
