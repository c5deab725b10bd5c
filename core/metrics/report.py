"""Everything the ROUGE / BLEU page shows for a set of pairs: one config in, one report out.

:class:`MetricsConfig` holds the page's options, each a :func:`core.knobs.knob` with its default,
its range or choices and its help, so the widgets and the link's bounds read them from here.
:func:`score_pairs` runs ROUGE, BLEU, chrF, the bootstrap intervals and the diagnostics once
and returns a :class:`MetricsReport` with every number drawn.
:func:`align_pair` gives the tokens and matches of one pair, :func:`compare_with_evaluate` the
same scores from Hugging Face ``evaluate`` modules loaded by path.

>>> p = Pairs(("the cat sat on the mat",), (("a cat sat on a mat", "the cat sat on the mat"),))
>>> rep = score_pairs(p)
>>> rep.rouge.corpus["rouge1"].fmeasure, round(rep.bleu.score, 6), rep.intervals["bleu"].informative
(1.0, 100.0, False)
>>> [d.kind for d in rep.diagnostics]
[]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from core.knobs import check, knob
from core.metrics.align import Lcs, NgramMatch, bleu_tokens, lcs, ngram_matches, rouge_tokens
from core.metrics.bootstrap import Interval, bootstrap_ci
from core.metrics.inputs import Diagnostic, Pairs, diagnose
from core.metrics.scores import (
    BLEU_TOKENIZERS,
    ROUGE_TOKENIZERS,
    SMOOTH_METHODS,
    BleuConfig,
    BleuResult,
    ChrfConfig,
    ChrfResult,
    RougeConfig,
    RougeResult,
    bleu,
    chrf,
    rouge,
)
from core.metrics.scores import split_sentences as _split_sentences

MAX_ALIGN_TOKENS = 300  # tokens per side shown in the matched n-grams view


@dataclass(frozen=True)
class MetricsConfig:
    """The ROUGE / BLEU page's options; each field is a :func:`core.knobs.knob` with its help
    and range or choices (read back with ``core.knobs.spec(MetricsConfig, name)``).

    >>> MetricsConfig(chrf_word_order=2).chrf_config.word_order
    2
    >>> MetricsConfig(seed=-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be between 0 and 2,147,483,647, got -1
    """

    rouge_tokenizer: str = knob(
        "default",
        choices=ROUGE_TOKENIZERS,
        help="default: rouge_score's (a-z0-9 only); unicode: words of any script; "
        "char: every character (Chinese, Japanese, Thai).",
    )
    use_stemmer: bool = knob(
        False, help="'cats' and 'cat' match. Only with rouge_score's default tokenizer."
    )
    split_sentences: bool = knob(
        True,
        help="A line break after . ! ? so ROUGE-Lsum scores sentence by sentence (what "
        "nltk.sent_tokenize does for Hugging Face users; punkt is not available offline).",
    )
    bleu_tokenizer: str = knob(
        "13a",
        choices=BLEU_TOKENIZERS,
        help="sacrebleu's tokenizer: 13a for Latin scripts, zh or char for CJK.",
    )
    lowercase: bool = knob(False, help="Lowercase before BLEU and chrF.")
    smooth_method: str = knob(
        "exp",
        choices=SMOOTH_METHODS,
        help="exp is sacrebleu's default; floor / add-k are Chen & Cherry's 1 and 2.",
    )
    chrf_word_order: int = knob(0, lo=0, hi=4, help="Word n-grams added to chrF: 2 gives chrF++.")
    seed: int = knob(0, lo=0, hi=2**31 - 1, help="Seed of the bootstrap resampling.")
    n_resamples: int = knob(1000, lo=10, hi=100_000, help="Bootstrap resamples per interval.")
    confidence: float = knob(0.95, lo=0.5, hi=0.99, help="Coverage of the bootstrap intervals.")

    def __post_init__(self) -> None:
        check(self)
        # each metric's own rules raise here too (stemming needs rouge_score's tokenizer)
        _ = self.rouge_config, self.bleu_config, self.chrf_config

    @property
    def rouge_config(self) -> RougeConfig:
        return RougeConfig(
            use_stemmer=self.use_stemmer,
            tokenizer=self.rouge_tokenizer,
            split_sentences=self.split_sentences,
        )

    @property
    def bleu_config(self) -> BleuConfig:
        return BleuConfig(
            tokenize=self.bleu_tokenizer, lowercase=self.lowercase, smooth_method=self.smooth_method
        )

    @property
    def chrf_config(self) -> ChrfConfig:
        return ChrfConfig(word_order=self.chrf_word_order, lowercase=self.lowercase)


@dataclass(frozen=True)
class MetricsReport:
    """Every score the page shows for some pairs, with its breakdown.

    Attributes:
        config: the options used.
        rouge, bleu, chrf: the corpus results (per-pair ROUGE, BLEU's counts, totals,
            precisions, brevity penalty and signature, chrF's statistics).
        intervals: a bootstrap interval per ROUGE type (F1, in [0, 1]), ``"bleu"`` and
            ``"chrf"`` (0-100).
        diagnostics: where these scores mislead, in plain words.
        bleu_sentence: sentence BLEU per pair (effective order, as sacrebleu advises).
        bleu_alone: each pair scored alone the corpus way (no effective order: 0 below 4 tokens).
        bleu_floor: sentence BLEU with floor smoothing.
        chrf_sentence: chrF per pair.
    """

    config: MetricsConfig
    rouge: RougeResult
    bleu: BleuResult
    chrf: ChrfResult
    intervals: dict[str, Interval]
    diagnostics: tuple[Diagnostic, ...]
    bleu_sentence: tuple[float, ...]
    bleu_alone: tuple[float, ...]
    bleu_floor: tuple[float, ...]
    chrf_sentence: tuple[float, ...]

    @property
    def n_pairs(self) -> int:
        return len(self.rouge.per_pair)

    @property
    def chrf_name(self) -> str:
        """``chrF++`` when word n-grams are counted, else ``chrF``."""
        return "chrF++" if self.chrf.config.word_order else "chrF"


def score_pairs(pairs: Pairs, config: MetricsConfig | None = None) -> MetricsReport:
    """ROUGE, BLEU and chrF of ``pairs`` with their bootstrap intervals and diagnostics.

    Args:
        pairs: candidates and their references.
        config: the options (default :class:`MetricsConfig`).

    Returns:
        A :class:`MetricsReport`; its scores are rouge_score's and sacrebleu's own for the same
        options.
    """
    config = config or MetricsConfig()
    preds, refs = list(pairs.predictions), [list(g) for g in pairs.references]
    r = rouge(preds, refs, **asdict(config.rouge_config))
    b = bleu(preds, refs, **asdict(config.bleu_config))
    c = chrf(preds, refs, **asdict(config.chrf_config))
    intervals: dict[str, Interval] = {}
    for result in (r, b, c):
        intervals |= bootstrap_ci(
            result, n_resamples=config.n_resamples, confidence=config.confidence, seed=config.seed
        )
    diagnostics = diagnose(
        pairs, bleu_lengths=[s[0] for s in b.stats], max_ngram_order=b.config.max_ngram_order
    )
    return MetricsReport(
        config=config,
        rouge=r,
        bleu=b,
        chrf=c,
        intervals=intervals,
        diagnostics=tuple(diagnostics),
        bleu_sentence=b.sentence_scores,
        bleu_alone=b.per_sentence(effective_order=False),
        bleu_floor=b.per_sentence(smooth_method="floor"),
        chrf_sentence=c.sentence_scores,
    )


# ---------------------------------------------------------------- one pair, token by token

TokensBy = Literal["ROUGE", "BLEU"]


@dataclass(frozen=True)
class PairAlignment:
    """The tokens of one candidate and one reference as a metric sees them, and what matched.

    Attributes:
        by: whose tokenizer ("ROUGE" or "BLEU", with the config's options).
        candidate, reference: the tokens (the first ``max_tokens`` of each).
        ngrams: the clipped matches of order ``ngrams.n``.
        lcs: ROUGE-L's longest common subsequence of these tokens.
    """

    by: TokensBy
    candidate: tuple[str, ...]
    reference: tuple[str, ...]
    ngrams: NgramMatch
    lcs: Lcs


def align_pair(
    candidate: str,
    reference: str,
    config: MetricsConfig | None = None,
    *,
    n: int = 1,
    by: TokensBy = "ROUGE",
    max_tokens: int = MAX_ALIGN_TOKENS,
) -> PairAlignment:
    """Tokenize one pair the way ROUGE or BLEU does and find its matched n-grams and its LCS.

    >>> a = align_pair("the cat sat", "the cat ran", n=2)
    >>> a.candidate, a.ngrams.matched, a.lcs.length
    (('the', 'cat', 'sat'), 1, 2)
    """
    config = config or MetricsConfig()
    if by == "ROUGE":

        def tok(text: str) -> list[str]:
            c = config.rouge_config
            return rouge_tokens(text, tokenizer=c.tokenizer, use_stemmer=c.use_stemmer)

    elif by == "BLEU":

        def tok(text: str) -> list[str]:
            return bleu_tokens(text, tokenize=config.bleu_tokenizer, lowercase=config.lowercase)

    else:
        raise ValueError(f"by must be 'ROUGE' or 'BLEU', got {by!r}.")
    ct, rt = tok(candidate)[:max_tokens], tok(reference)[:max_tokens]
    return PairAlignment(by, tuple(ct), tuple(rt), ngram_matches(ct, rt, n), lcs(ct, rt))


# ---------------------------------------------------------------- the same with evaluate


@dataclass(frozen=True)
class Agreement:
    """One score from core.metrics and from an ``evaluate`` module, and whether they agree."""

    metric: str
    core: float
    evaluate: float

    @cached_property
    def verdict(self) -> str:
        """``identical``, ``equal to 1e-12`` or ``DIFFERENT``."""
        if self.core == self.evaluate:
            return "identical"
        return "equal to 1e-12" if abs(self.core - self.evaluate) < 1e-12 else "DIFFERENT"


EVALUATE_MODULES = ("rouge", "sacrebleu", "chrf")


def load_evaluate_modules(directory: str | Path | None = None) -> dict[str, Any]:
    """The shipped ``evaluate`` modules, loaded by path (offline), by name.

    Args:
        directory: the folder holding ``rouge/``, ``sacrebleu/``, ``chrf/``; default
            ``<assets>/metrics``.
    """
    import evaluate

    if directory is None:
        from core.settings import get_settings

        directory = Path(get_settings().assets_dir) / "metrics"
    return {n: evaluate.load(str(Path(directory) / n)) for n in EVALUATE_MODULES}


def compare_with_evaluate(
    pairs: Pairs, report: MetricsReport, modules: Mapping[str, Any]
) -> tuple[Agreement, ...]:
    """Score ``pairs`` again with the ``evaluate`` modules and set each score beside the report's.

    ROUGE is compared only with rouge_score's default tokenizer (the module's); with
    ``split_sentences`` the module gets the same split text a user would give it.

    Args:
        pairs: the pairs ``report`` scored.
        report: :func:`score_pairs`'s report.
        modules: :func:`load_evaluate_modules`'s result.
    """
    cfg = report.config
    preds, refs = list(pairs.predictions), [list(g) for g in pairs.references]
    out = []
    if cfg.rouge_tokenizer == "default":
        rp, rr = preds, refs
        if cfg.split_sentences:
            rp = [_split_sentences(p) for p in preds]
            rr = [[_split_sentences(r) for r in g] for g in refs]
        er = modules["rouge"].compute(predictions=rp, references=rr, use_stemmer=cfg.use_stemmer)
        types = report.rouge.config.rouge_types
        out += [Agreement(t, report.rouge.corpus[t].fmeasure, er[t]) for t in types]
    bleu_opts = {
        "tokenize": cfg.bleu_tokenizer,
        "lowercase": cfg.lowercase,
        "smooth_method": cfg.smooth_method,
    }
    eb = modules["sacrebleu"].compute(predictions=preds, references=refs, **bleu_opts)
    ec = modules["chrf"].compute(
        predictions=preds, references=refs, word_order=cfg.chrf_word_order, lowercase=cfg.lowercase
    )
    out += [Agreement("BLEU", report.bleu.score, eb["score"])]
    out += [Agreement("chrF", report.chrf.score, ec["score"])]
    return tuple(out)
