"""Is an answer grounded? How much of it one sentence of a retrieved chunk holds.

A citation is kept only when the cited chunk supports the answer at :data:`SUPPORT_THRESHOLD`;
an answer no chunk supports is shown as ungrounded.
"""

from __future__ import annotations

import re
from typing import Any

from core.rag.sentences import split_sentences

SUPPORT_THRESHOLD = 0.5  # share of an answer's words a chunk must hold as phrases to be cited
_CITE = re.compile(r"\[(\d{1,2})\]")
_WORDS = re.compile(r"\w+")


def _phrase_support(a: list[str], sentence: str, stop: frozenset[str]) -> float:
    c = _WORDS.findall(sentence.lower())
    if len(a) == 1:
        return 1.0 if a[0] in set(c) else 0.0
    pairs = set(zip(c, c[1:], strict=False))
    covered = [False] * len(a)
    for i in range(len(a) - 1):
        if (a[i], a[i + 1]) in pairs:
            covered[i] = covered[i + 1] = True
    if not any(hit and w not in stop for hit, w in zip(covered, a, strict=True)):
        return 0.0  # only "in the", "of a"...: no content shared
    return sum(covered) / len(a)


def support(answer: str, chunk: str, question: str = "") -> float:
    """How much of ``answer`` one sentence of ``chunk`` holds: the share of the answer's words
    that belong to a two-word phrase also found in that sentence (a one-word answer: the word
    itself), best over the sentences; with ``question``, only sentences sharing one of its
    content words count (the answer must come from where the chunk speaks of the question).

    Words stitched together from all over a passage score low even when every word occurs in
    it; stopwords alone ("the", "in the") score 0. Citation markers are ignored.

    >>> support("lives in Paris", "Tom lives in Paris.")
    1.0
    >>> support("Paris red kite Tom", "Tom lives in Paris. Tom has a red kite.")
    0.5
    >>> support("red", "Tom lives in Paris. Tom has a red kite.", "Where does Tom live?")
    1.0
    >>> support("red", "Tom lives in Paris. Ann has a red kite.", "Where does Tom live?")
    0.0
    """
    from core.rag.keyword import STOPWORDS, keyword_tokens

    a = _WORDS.findall(_CITE.sub(" ", answer).lower())
    if not a or all(w in STOPWORDS for w in a):
        return 0.0
    asked = set(keyword_tokens(question))
    best = 0.0
    for sentence in split_sentences(chunk) or [chunk]:
        if asked and not asked & set(keyword_tokens(sentence)):
            continue
        best = max(best, _phrase_support(a, sentence, STOPWORDS))
    return best


def supported(
    text: str, hits: list[Any], numbers: list[int], question: str = ""
) -> tuple[list[int], float]:
    """The hit numbers among ``numbers`` whose chunk supports ``text`` at the threshold, and the
    best support over every hit (how grounded the answer is at all)."""
    scores = {n: support(text, h.text, question) for n, h in enumerate(hits, start=1)}
    ok = [n for n in dict.fromkeys(numbers) if scores.get(n, 0.0) >= SUPPORT_THRESHOLD]
    return ok, max(scores.values(), default=0.0)
