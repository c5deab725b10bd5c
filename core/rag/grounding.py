"""Is an answer grounded? How much of it one sentence of a retrieved chunk holds.

A citation is kept only when the cited chunk supports the answer at :data:`SUPPORT_THRESHOLD`;
an answer no chunk supports is shown as ungrounded.
"""

from __future__ import annotations

import re
from typing import Any

from core.rag.sentences import split_sentences

SUPPORT_THRESHOLD = 0.5  # share of an answer's words a chunk must hold as phrases to be cited
QUESTION_COVERAGE = 0.5  # share of the question's content words a supporting sentence must hold
_CITE = re.compile(r"\[(\d{1,2})\]")
_WORDS = re.compile(r"\w+")


def _stem(word: str) -> str:
    """A crude stem, enough to match "lives" with "live" and "keeps" with "keep"."""
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _phrase_support(a: list[str], sentence: str, new: set[str]) -> float:
    """Share of ``a`` covered by two-word phrases of ``sentence`` (one word: itself); 0 unless a
    covered word is one of ``new`` (content words the question does not already say)."""
    c = _WORDS.findall(sentence.lower())
    if len(a) == 1:
        return 1.0 if a[0] in set(c) and a[0] in new else 0.0
    pairs = set(zip(c, c[1:], strict=False))
    covered = [False] * len(a)
    for i in range(len(a) - 1):
        if (a[i], a[i + 1]) in pairs:
            covered[i] = covered[i + 1] = True
    if not any(hit and w in new for hit, w in zip(covered, a, strict=True)):
        return 0.0  # only "in the", "of a" or the question's own words: nothing answered
    return sum(covered) / len(a)


def support(answer: str, chunk: str, question: str = "") -> float:
    """How much of ``answer`` one sentence of ``chunk`` holds: the share of the answer's words
    that belong to a two-word phrase also found in that sentence (a one-word answer: the word
    itself), best over the sentences.

    With ``question``, only sentences about it count (holding at least
    :data:`QUESTION_COVERAGE` of its content words, crudely stemmed), and the answer must add a
    content word the question does not have: "Tokyo" from "Hugo lives in Tokyo." does not
    answer "What animal does Hugo keep?", and "good" does not answer "Can a good paraphrase
    get a low score?". Words stitched together from all over a passage score low even when
    every word occurs in it; stopwords alone ("the", "in the") score 0.

    >>> support("lives in Paris", "Tom lives in Paris.")
    1.0
    >>> support("Paris red kite Tom", "Tom lives in Paris. Tom has a red kite.")
    0.5
    >>> support("Paris", "Ann has a red kite. Tom lives in Paris.", "Where does Tom live?")
    1.0
    >>> support("Tokyo", "Hugo lives in Tokyo. Hugo keeps a cat.", "What animal does Hugo keep?")
    0.0
    """
    from core.rag.keyword import STOPWORDS, keyword_tokens

    a = _WORDS.findall(_CITE.sub(" ", answer).lower())
    asked = {_stem(w) for w in keyword_tokens(question)}
    new = {w for w in a if w not in STOPWORDS and _stem(w) not in asked}
    if not new:
        return 0.0
    best = 0.0
    for sentence in split_sentences(chunk) or [chunk]:
        about = asked & {_stem(w) for w in keyword_tokens(sentence)}
        if asked and len(about) < QUESTION_COVERAGE * len(asked):
            continue
        best = max(best, _phrase_support(a, sentence, new))
    return best


def supported(
    text: str, hits: list[Any], numbers: list[int], question: str = ""
) -> tuple[list[int], float]:
    """The hit numbers among ``numbers`` whose chunk supports ``text`` at the threshold, and the
    best support over every hit (how grounded the answer is at all)."""
    scores = {n: support(text, h.text, question) for n, h in enumerate(hits, start=1)}
    ok = [n for n in dict.fromkeys(numbers) if scores.get(n, 0.0) >= SUPPORT_THRESHOLD]
    return ok, max(scores.values(), default=0.0)
