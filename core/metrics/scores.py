"""ROUGE, BLEU and chrF with their breakdown, computed by rouge_score and sacrebleu themselves.

The scores are the libraries' own: ROUGE per pair comes from ``rouge_score.RougeScorer`` (with
``score_multi`` when a candidate has several references), BLEU and chrF from sacrebleu's
sufficient statistics summed over the corpus, exactly as ``corpus_score`` does. What this module
adds is the breakdown a page needs (per-sentence scores, the statistics, a signature) and a
seeded bootstrap confidence interval.

>>> r = bleu(["the cat sat on the mat"], [["the cat sat on the mat"]])
>>> round(r.score, 1), r.signature.startswith("nrefs:1|case:mixed|eff:no|tok:13a")
(100.0, True)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from functools import cache, cached_property, lru_cache
from typing import Any

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
ROUGE_TOKENIZERS = ("default", "unicode", "char")
BLEU_TOKENIZERS = (
    "13a",
    "intl",
    "zh",
    "char",
    "none",
    "ja-mecab",
    "ko-mecab",
    "flores101",
    "flores200",
)
SMOOTH_METHODS = ("exp", "floor", "add-k", "none")
_LOCK = threading.Lock()


def _as_refs(predictions: Sequence[str], references: Sequence[Any]) -> list[list[str]]:
    """Normalise references to one list of strings per prediction and check the counts."""
    if isinstance(predictions, str) or isinstance(references, str):
        raise ValueError("predictions and references must be lists of strings, not one string.")
    if len(predictions) == 0:
        raise ValueError("There is nothing to score: no candidate was given.")
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} candidate(s) but {len(references)} reference(s): "
            "give one reference (or one list of references) per candidate."
        )
    refs: list[list[str]] = []
    for i, r in enumerate(references):
        group = [r] if isinstance(r, str) else [x for x in r if x is not None]
        if not group or not all(isinstance(x, str) for x in group):
            raise ValueError(f"Candidate #{i + 1} has no reference text.")
        refs.append(list(group))
    for i, p in enumerate(predictions):
        if not isinstance(p, str):
            raise ValueError(f"Candidate #{i + 1} is not text.")
    return refs


def _transpose(refs: list[list[str]]) -> list[list[str | None]]:
    """sacrebleu's layout: one stream per reference slot, ``None`` where a candidate has fewer."""
    width = max(len(r) for r in refs)
    return [[r[k] if k < len(r) else None for r in refs] for k in range(width)]


# ---------------------------------------------------------------- ROUGE


class UnicodeWordTokenizer:
    """Lower-cased ``\\w+`` words of any script (rouge_score's default keeps only a-z and 0-9)."""

    _WORD = re.compile(r"\w+", re.UNICODE)

    def tokenize(self, text: str) -> list[str]:
        return self._WORD.findall(text.lower())


class CharTokenizer:
    """Every non-space character is a token: for scripts written without spaces (zh, ja, th)."""

    def tokenize(self, text: str) -> list[str]:
        return [c for c in text.lower() if not c.isspace()]


def rouge_tokenizer(name: str = "default", *, use_stemmer: bool = False) -> Any:
    """The tokenizer object ``rouge_score.RougeScorer`` is given for ``name``.

    Args:
        name: "default" (rouge_score's own: lower-case, a-z0-9 only, optional Porter stemmer),
            "unicode" (words of any script) or "char" (characters).
        use_stemmer: only for "default".

    Returns:
        An object with ``tokenize(text) -> list[str]``.
    """
    if name == "default":
        from rouge_score import tokenizers

        return tokenizers.DefaultTokenizer(use_stemmer=use_stemmer)
    if name == "unicode":
        return UnicodeWordTokenizer()
    if name == "char":
        return CharTokenizer()
    raise ValueError(f"Unknown ROUGE tokenizer {name!r}; choose one of {ROUGE_TOKENIZERS}.")


_SENT_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+")


def split_sentences(text: str) -> str:
    r"""One sentence per line (a break after . ! ? and their CJK forms), for ROUGE-Lsum.

    rouge_score's ROUGE-Lsum reads sentences from newlines; Hugging Face users usually insert
    them with ``nltk.sent_tokenize``, whose punkt model is not available offline here.

    >>> split_sentences("The cat sat. The dog ran!  Fine?")
    'The cat sat.\nThe dog ran!\nFine?'
    """
    return "\n".join(ln for part in text.splitlines() for ln in _SENT_END.split(part) if ln)


_split_sentences = split_sentences  # rouge() has a parameter of the same name


@lru_cache(maxsize=32)
def _rouge_scorer(rouge_types: tuple[str, ...], use_stemmer: bool, tokenizer: str) -> Any:
    from rouge_score import rouge_scorer

    tok = None if tokenizer == "default" else rouge_tokenizer(tokenizer)
    return rouge_scorer.RougeScorer(list(rouge_types), use_stemmer=use_stemmer, tokenizer=tok)


@dataclass(frozen=True)
class RougeConfig:
    """Options of :func:`rouge`, the same names as rouge_score and evaluate's rouge."""

    rouge_types: tuple[str, ...] = ROUGE_TYPES  # the four usual ones
    use_stemmer: bool = False  # Porter stemmer: "cats" == "cat" (default tokenizer only)
    tokenizer: str = "default"  # rouge_score's own tokenizer unless told otherwise
    split_sentences: bool = False  # ROUGE-Lsum: newline after each sentence first

    def __post_init__(self) -> None:
        if not self.rouge_types:
            raise ValueError("Choose at least one ROUGE type.")
        for t in self.rouge_types:
            if not re.fullmatch(r"rouge[1-9]|rougeL|rougeLsum", t):
                raise ValueError(
                    f"Unknown ROUGE type {t!r}: use rouge1..rouge9, rougeL, rougeLsum."
                )
        if self.tokenizer not in ROUGE_TOKENIZERS:
            raise ValueError(f"Unknown ROUGE tokenizer {self.tokenizer!r}.")
        if self.use_stemmer and self.tokenizer != "default":
            raise ValueError("Stemming applies to the default ROUGE tokenizer only.")


@dataclass(frozen=True)
class RougeScore:
    """Precision, recall and F1 of one ROUGE type, in [0, 1] like rouge_score."""

    precision: float
    recall: float
    fmeasure: float


@dataclass(frozen=True)
class RougeResult:
    """ROUGE for every pair and the corpus mean.

    Attributes:
        config: the options used.
        per_pair: one ``{rouge_type: RougeScore}`` per candidate (best reference by F1, as
            ``rouge_score.score_multi`` picks it).
        best_reference: per candidate and type, the index of that reference.
        corpus: ``{rouge_type: RougeScore}``, the mean over pairs (evaluate's rouge with
            ``use_aggregator=False`` averaged).
    """

    config: RougeConfig
    per_pair: tuple[dict[str, RougeScore], ...]
    best_reference: tuple[dict[str, int], ...]
    corpus: dict[str, RougeScore]

    def f1(self, rouge_type: str) -> list[float]:
        """The per-pair F1 of one type."""
        return [p[rouge_type].fmeasure for p in self.per_pair]


def rouge(
    predictions: Sequence[str],
    references: Sequence[str] | Sequence[Sequence[str]],
    *,
    rouge_types: Sequence[str] = ROUGE_TYPES,
    use_stemmer: bool = False,
    tokenizer: str = "default",
    split_sentences: bool = False,
) -> RougeResult:
    """ROUGE-N/L/Lsum of each candidate against its reference(s), scored by rouge_score.

    Args:
        predictions: the candidates.
        references: one reference per candidate, or a list of references per candidate.
        rouge_types: e.g. ("rouge1", "rouge2", "rougeL", "rougeLsum"). ROUGE-Lsum splits
            sentences on newlines, like rouge_score.
        use_stemmer: Porter-stem words longer than 3 letters before matching.
        tokenizer: "default" (rouge_score's), "unicode" or "char", see :func:`rouge_tokenizer`.
        split_sentences: put each sentence on its own line first (:func:`split_sentences`), so
            ROUGE-Lsum sees sentences; the scores are rouge_score's on the split text.

    Returns:
        A :class:`RougeResult`.

    >>> r = rouge(["the cat sat"], ["the cat sat down"])
    >>> round(r.corpus["rouge1"].recall, 2)
    0.75
    """
    config = RougeConfig(tuple(rouge_types), use_stemmer, tokenizer, split_sentences)
    refs = _as_refs(predictions, references)
    if split_sentences:
        predictions = [_split_sentences(p) for p in predictions]
        refs = [[_split_sentences(r) for r in g] for g in refs]
    scorer = _rouge_scorer(config.rouge_types, use_stemmer, tokenizer)
    per_pair: list[dict[str, RougeScore]] = []
    best: list[dict[str, int]] = []
    for pred, group in zip(predictions, refs, strict=True):
        scored = [scorer.score(t, pred) for t in group]
        pick: dict[str, RougeScore] = {}
        idx: dict[str, int] = {}
        for t in config.rouge_types:
            # np.argmax in score_multi: the first reference with the highest F1
            fs = [s[t].fmeasure for s in scored]
            k = fs.index(max(fs))
            pick[t] = RougeScore(*scored[k][t])
            idx[t] = k
        per_pair.append(pick)
        best.append(idx)
    n = len(per_pair)
    corpus = {
        t: RougeScore(
            sum(p[t].precision for p in per_pair) / n,
            sum(p[t].recall for p in per_pair) / n,
            sum(p[t].fmeasure for p in per_pair) / n,
        )
        for t in config.rouge_types
    }
    return RougeResult(config, tuple(per_pair), tuple(best), corpus)


# ---------------------------------------------------------------- BLEU and chrF


@dataclass(frozen=True)
class BleuConfig:
    """sacrebleu's BLEU options, same names and defaults."""

    tokenize: str = "13a"  # sacrebleu's default for Latin scripts; "zh"/"char" for CJK
    lowercase: bool = False
    smooth_method: str = "exp"  # sacrebleu's default (mteval-v13a's NIST smoothing)
    smooth_value: float | None = None  # for "floor" (0.1) and "add-k" (1)
    max_ngram_order: int = 4
    effective_order: bool = False  # True: skip n-gram orders with no n-grams (sentence BLEU)

    def __post_init__(self) -> None:
        if self.tokenize not in BLEU_TOKENIZERS:
            raise ValueError(f"Unknown BLEU tokenizer {self.tokenize!r}; one of {BLEU_TOKENIZERS}.")
        if self.smooth_method not in SMOOTH_METHODS:
            raise ValueError(f"Unknown smoothing {self.smooth_method!r}; one of {SMOOTH_METHODS}.")
        if not 1 <= self.max_ngram_order <= 9:
            raise ValueError("max_ngram_order must be between 1 and 9.")
        if self.smooth_value is not None and self.smooth_value < 0:
            raise ValueError("smooth_value must be positive.")


def _options(config: Any) -> dict[str, Any]:
    """A metric config's fields as keyword arguments (each field is one of sacrebleu's options).

    >>> _options(BleuConfig())["tokenize"]
    '13a'
    """
    return {f.name: getattr(config, f.name) for f in fields(config)}


@lru_cache(maxsize=32)
def bleu_metric(config: BleuConfig) -> Any:
    """sacrebleu's ``BLEU`` scorer for ``config``, built once per config."""
    from sacrebleu.metrics import BLEU

    with _LOCK:
        return BLEU(**_options(config))


def bleu_tokenizer_status(name: str) -> str | None:
    """``None`` when sacrebleu's tokenizer ``name`` works here, else why not (plain words)."""
    return _tokenizer_status(name)


@cache
def _tokenizer_status(name: str) -> str | None:
    if name.startswith(("flores", "spm", "spBLEU")):
        import os

        from sacrebleu.tokenizers import tokenizer_spm
        from sacrebleu.utils import SACREBLEU_DIR

        url = tokenizer_spm.SPM_MODELS[name]["url"]
        if not os.path.exists(os.path.join(SACREBLEU_DIR, "models", os.path.basename(url))):
            return "needs the sentencepiece package and a model download (offline here)"
    try:
        bleu_metric(BleuConfig(tokenize=name))
    except (ImportError, RuntimeError, OSError) as e:
        first = next((ln for ln in str(e).splitlines() if ln.strip()), type(e).__name__)
        return first.strip()
    return None


@dataclass(frozen=True)
class BleuResult:
    """Corpus BLEU and its breakdown, sacrebleu-style.

    Attributes:
        config: the options used.
        score: corpus BLEU in [0, 100], identical to ``BLEU(**options).corpus_score``.
        counts, totals: matched (clipped) and candidate n-grams per order, summed over the corpus.
        precisions: per-order precision in percent (smoothed as configured).
        bp: brevity penalty; sys_len, ref_len: candidate and closest-reference lengths.
        signature: sacrebleu's reproducibility signature.
        stats: per-sentence sufficient statistics ``[sys_len, ref_len, counts..., totals...]``.
    """

    config: BleuConfig
    score: float
    counts: tuple[int, ...]
    totals: tuple[int, ...]
    precisions: tuple[float, ...]
    bp: float
    sys_len: int
    ref_len: int
    signature: str
    stats: tuple[tuple[int, ...], ...] = field(repr=False)

    @property
    def ratio(self) -> float:
        """Candidate length / reference length (the brevity penalty's input)."""
        return self.sys_len / self.ref_len if self.ref_len else 0.0

    @cached_property
    def sentence_scores(self) -> tuple[float, ...]:
        """Sentence BLEU of each pair: same options with ``effective_order=True``, as sacrebleu
        recommends (equal to ``BLEU(effective_order=True, ...).sentence_score``)."""
        return self.per_sentence()

    def per_sentence(
        self, *, effective_order: bool = True, smooth_method: str = ""
    ) -> tuple[float, ...]:
        """BLEU of each pair alone, with other options to compare.

        Args:
            effective_order: False gives what ``BLEU().corpus_score([hyp], [[ref]])`` gives: 0 for
                a candidate with no 4-gram.
            smooth_method: another smoothing ("floor", "add-k", "exp", "none"); "" keeps the
                configured one.
        """
        return tuple(
            bleu_from_stats(
                s, self.config, effective_order=effective_order, smooth_method=smooth_method
            )
            for s in self.stats
        )


def bleu_from_stats(
    stats: Sequence[int], config: BleuConfig, *, effective_order: bool, smooth_method: str = ""
) -> float:
    """BLEU from summed sufficient statistics (matches and totals per order, lengths), as
    sacrebleu computes it: what the bootstrap resamples and the per-pair columns reuse."""
    from sacrebleu.metrics import BLEU

    k = config.max_ngram_order
    method = smooth_method or config.smooth_method
    return BLEU.compute_bleu(
        correct=list(stats[2 : 2 + k]),
        total=list(stats[2 + k :]),
        sys_len=int(stats[0]),
        ref_len=int(stats[1]),
        smooth_method=method,
        smooth_value=config.smooth_value if not smooth_method else None,
        effective_order=effective_order,
        max_ngram_order=k,
    ).score


def bleu(
    predictions: Sequence[str],
    references: Sequence[str] | Sequence[Sequence[str]],
    **opts: Any,
) -> BleuResult:
    """Corpus BLEU by sacrebleu with counts, totals, precisions, brevity penalty and signature.

    Args:
        predictions: the candidates.
        references: one reference per candidate, or a list of references per candidate
            (they may differ in number: sacrebleu's "variable references").
        **opts: :class:`BleuConfig` fields (tokenize, lowercase, smooth_method, smooth_value,
            max_ngram_order, effective_order).

    Returns:
        A :class:`BleuResult`; ``.sentence_scores`` gives sentence BLEU per pair.
    """
    config = BleuConfig(**opts)
    refs = _as_refs(predictions, references)
    metric = bleu_metric(config)
    with _LOCK:  # sacrebleu keeps num_refs on the object for the signature
        stats = metric._extract_corpus_statistics(list(predictions), _transpose(refs))
        signature = str(metric.get_signature())
    total = [sum(col) for col in zip(*stats, strict=True)]
    s = metric._compute_score_from_stats(list(total))
    return BleuResult(
        config=config,
        score=s.score,
        counts=tuple(s.counts),  # as sacrebleu reports them: add-k smoothing is included
        totals=tuple(s.totals),
        precisions=tuple(s.precisions),
        bp=s.bp,
        sys_len=int(total[0]),
        ref_len=int(total[1]),
        signature=signature,
        stats=tuple(tuple(x) for x in stats),
    )


@dataclass(frozen=True)
class ChrfConfig:
    """sacrebleu's chrF options, same names and defaults (word_order=2 is chrF++)."""

    char_order: int = 6
    word_order: int = 0
    beta: int = 2
    lowercase: bool = False
    whitespace: bool = False
    eps_smoothing: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.char_order <= 10:
            raise ValueError("char_order must be between 1 and 10.")
        if not 0 <= self.word_order <= 4:
            raise ValueError("word_order must be between 0 and 4 (2 gives chrF++).")
        if self.beta < 1:
            raise ValueError("beta must be at least 1.")


@lru_cache(maxsize=32)
def chrf_metric(config: ChrfConfig) -> Any:
    """sacrebleu's ``CHRF`` scorer for ``config``, built once per config."""
    from sacrebleu.metrics import CHRF

    return CHRF(**_options(config))


@dataclass(frozen=True)
class ChrfResult:
    """Corpus chrF (identical to ``CHRF(**options).corpus_score``) and its statistics."""

    config: ChrfConfig
    score: float
    signature: str
    stats: tuple[tuple[int, ...], ...] = field(repr=False)

    @cached_property
    def sentence_scores(self) -> tuple[float, ...]:
        """chrF of each pair (equal to ``CHRF(...).sentence_score``)."""
        metric = chrf_metric(self.config)
        return tuple(metric._compute_f_score(list(s)) for s in self.stats)


def chrf(
    predictions: Sequence[str],
    references: Sequence[str] | Sequence[Sequence[str]],
    **opts: Any,
) -> ChrfResult:
    """Corpus chrF (character n-gram F-score) by sacrebleu, robust on short sentences.

    Args:
        predictions: the candidates.
        references: one reference, or a list of references, per candidate.
        **opts: :class:`ChrfConfig` fields.

    Returns:
        A :class:`ChrfResult`.
    """
    config = ChrfConfig(**opts)
    refs = _as_refs(predictions, references)
    metric = chrf_metric(config)
    with _LOCK:
        stats = metric._extract_corpus_statistics(list(predictions), _transpose(refs))
        signature = str(metric.get_signature())
    total = [sum(col) for col in zip(*stats, strict=True)]
    return ChrfResult(
        config, metric._compute_f_score(total), signature, tuple(tuple(x) for x in stats)
    )
