"""What the metrics see: the tokens, the matched n-grams (clipped) and ROUGE-L's common subsequence.

>>> m = ngram_matches("the the the".split(), "the cat".split(), 1)
>>> m.candidate_mask, m.matched, m.candidate_total
((True, False, False), 1, 3)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from core.metrics.scores import rouge_tokenizer


def rouge_tokens(text: str, *, tokenizer: str = "default", use_stemmer: bool = False) -> list[str]:
    """The tokens ROUGE compares for ``text`` (rouge_score's tokenizer with these options)."""
    return list(rouge_tokenizer(tokenizer, use_stemmer=use_stemmer).tokenize(text))


def bleu_tokens(text: str, *, tokenize: str = "13a", lowercase: bool = False) -> list[str]:
    """The tokens sacrebleu's BLEU compares for ``text`` (its tokenizer, then split on spaces)."""
    from core.metrics.scores import BleuConfig, bleu_metric

    metric = bleu_metric(BleuConfig(tokenize=tokenize, lowercase=lowercase))
    return metric._preprocess_segment(text).split()


@dataclass(frozen=True)
class NgramMatch:
    """Which tokens of the candidate and the reference take part in a matched n-gram.

    Matches are clipped like BLEU and ROUGE-N count them: an n-gram is credited at most as many
    times as it occurs in the reference, the earliest occurrences first.

    Attributes:
        n: the n-gram order.
        candidate_mask, reference_mask: per token, True when covered by a credited n-gram.
        matched: clipped matched n-grams (the numerator of precision and recall).
        candidate_total, reference_total: n-grams in the candidate and the reference.
        clipped: candidate n-grams that occur in the reference but were not credited because the
            reference has fewer copies.
        clipped_mask: per candidate token, True when it starts such an uncredited n-gram.
    """

    n: int
    candidate_mask: tuple[bool, ...]
    reference_mask: tuple[bool, ...]
    matched: int
    candidate_total: int
    reference_total: int
    clipped: int
    clipped_mask: tuple[bool, ...] = ()


def ngram_matches(candidate: Sequence[str], reference: Sequence[str], n: int) -> NgramMatch:
    """Clipped n-gram matches between two token lists.

    Args:
        candidate: candidate tokens.
        reference: reference tokens.
        n: n-gram order (1 = unigrams).

    Returns:
        A :class:`NgramMatch`.
    """
    if n < 1:
        raise ValueError("n must be at least 1.")
    cand = [tuple(candidate[i : i + n]) for i in range(len(candidate) - n + 1)]
    ref = [tuple(reference[i : i + n]) for i in range(len(reference) - n + 1)]
    budget = Counter(ref)
    cand_counts = Counter(cand)
    credited: Counter[tuple[str, ...]] = Counter()
    cmask = [False] * len(candidate)
    clip = [False] * len(candidate)
    for i, g in enumerate(cand):
        if credited[g] < budget[g]:
            credited[g] += 1
            cmask[i : i + n] = [True] * n
        elif g in budget:
            clip[i] = True
    used: Counter[tuple[str, ...]] = Counter()
    rmask = [False] * len(reference)
    for i, g in enumerate(ref):
        if used[g] < min(budget[g], cand_counts[g]):
            used[g] += 1
            rmask[i : i + n] = [True] * n
    matched = sum(credited.values())
    in_ref = sum(c for g, c in cand_counts.items() if g in budget)
    return NgramMatch(
        n, tuple(cmask), tuple(rmask), matched, len(cand), len(ref), in_ref - matched, tuple(clip)
    )


@dataclass(frozen=True)
class Lcs:
    """ROUGE-L's longest common subsequence as index pairs (reference index, candidate index)."""

    pairs: tuple[tuple[int, int], ...]

    @property
    def length(self) -> int:
        return len(self.pairs)


def lcs(candidate: Sequence[str], reference: Sequence[str]) -> Lcs:
    """One longest common subsequence, read back the way rouge_score reads it.

    Args:
        candidate: candidate tokens.
        reference: reference tokens.

    Returns:
        An :class:`Lcs`; its length is the numerator of ROUGE-L precision and recall.
    """
    rows, cols = len(reference), len(candidate)
    table = [[0] * (cols + 1) for _ in range(rows + 1)]  # (R+1, C+1)
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            if reference[i - 1] == candidate[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    pairs: list[tuple[int, int]] = []
    i, j = rows, cols
    while i > 0 and j > 0:
        if reference[i - 1] == candidate[j - 1]:
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif table[i][j - 1] > table[i - 1][j]:
            j -= 1
        else:
            i -= 1
    return Lcs(tuple(reversed(pairs)))
