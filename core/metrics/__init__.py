"""Text-generation metrics with their breakdown: ROUGE (rouge_score), BLEU and chrF (sacrebleu).

The engine behind the ROUGE / BLEU page: :func:`score_pairs` turns pairs and a
:class:`MetricsConfig` into the :class:`MetricsReport` the page draws. Scores are the reference
libraries' own numbers for the same options; results carry their breakdown (per-pair scores,
n-gram statistics, signature), :mod:`core.metrics.align` shows which tokens matched,
:mod:`core.metrics.inputs` reads the pairs and says when a score misleads.

>>> r = rouge(["the cat sat on the mat"], [["a cat sat on a mat", "the cat sat on the mat"]])
>>> r.corpus["rouge1"].fmeasure, r.best_reference[0]["rouge1"]
(1.0, 1)
"""

from __future__ import annotations

from core.metrics.align import Lcs, NgramMatch, bleu_tokens, lcs, ngram_matches, rouge_tokens
from core.metrics.bootstrap import MIN_PAIRS, Interval, bootstrap_ci
from core.metrics.inputs import (
    MAX_TEXT_CHARS,
    REF_SEPARATOR,
    Diagnostic,
    Example,
    Pairs,
    cut_pairs,
    diagnose,
    load_examples,
    make_pairs,
    parse_pairs,
    read_csv,
    scripts,
    split_references,
    suggest_bleu_tokenizer,
)
from core.metrics.report import (
    MAX_ALIGN_TOKENS,
    Agreement,
    MetricsConfig,
    MetricsReport,
    PairAlignment,
    align_pair,
    compare_with_evaluate,
    load_evaluate_modules,
    score_pairs,
)
from core.metrics.scores import (
    BLEU_TOKENIZERS,
    ROUGE_TOKENIZERS,
    ROUGE_TYPES,
    SMOOTH_METHODS,
    BleuConfig,
    BleuResult,
    ChrfConfig,
    ChrfResult,
    RougeConfig,
    RougeResult,
    RougeScore,
    bleu,
    bleu_tokenizer_status,
    chrf,
    rouge,
    rouge_tokenizer,
    split_sentences,
)

__all__ = [
    "Agreement",
    "BLEU_TOKENIZERS",
    "BleuConfig",
    "BleuResult",
    "ChrfConfig",
    "ChrfResult",
    "Diagnostic",
    "Example",
    "Interval",
    "Lcs",
    "MAX_ALIGN_TOKENS",
    "MAX_TEXT_CHARS",
    "MIN_PAIRS",
    "MetricsConfig",
    "MetricsReport",
    "NgramMatch",
    "PairAlignment",
    "Pairs",
    "REF_SEPARATOR",
    "ROUGE_TOKENIZERS",
    "ROUGE_TYPES",
    "RougeConfig",
    "RougeResult",
    "RougeScore",
    "SMOOTH_METHODS",
    "align_pair",
    "bleu",
    "bleu_tokenizer_status",
    "bleu_tokens",
    "bootstrap_ci",
    "chrf",
    "compare_with_evaluate",
    "cut_pairs",
    "diagnose",
    "lcs",
    "load_evaluate_modules",
    "load_examples",
    "make_pairs",
    "ngram_matches",
    "parse_pairs",
    "read_csv",
    "rouge",
    "rouge_tokenizer",
    "rouge_tokens",
    "score_pairs",
    "scripts",
    "split_references",
    "split_sentences",
    "suggest_bleu_tokenizer",
]
