"""Words, for the predict-then-reveal question: which tokens cover a word, and how much one word
attends to others (within a text, or from a target word to the source's in cross-attention)."""

from __future__ import annotations

from core.attention.result import AttentionResult
from core.attention.seq2seq import Seq2SeqAttention


# --- words, for the predict-then-reveal question -------------------------------------------------
def word_tokens(r: AttentionResult, word: str, *, occurrence: int = 0) -> list[int]:
    """Indices of the tokens covering the ``occurrence``-th whole-word match of ``word`` in the
    text (sentence A), case-insensitive; empty when the word is not there."""
    import re

    found = list(re.finditer(rf"\b{re.escape(word)}\b", r.text, flags=re.IGNORECASE))
    if len(found) <= occurrence:
        return []
    a, b = found[occurrence].span()
    return [
        i
        for i, (s, e) in enumerate(r.offsets)
        if not r.special[i] and r.segment[i] == 0 and s < b and e > a
    ]


def word_attention(
    r: AttentionResult, source: str, targets: list[str], *, layer: int, occurrence: int = 0
) -> dict[str, float]:
    """How much the first token of ``source`` attends to each target word, averaged over the
    heads of ``layer`` (a word split into several tokens gets the sum of its tokens).

    Returns:
        {target word: weight}; a target missing from the text gets 0.
    """
    src = word_tokens(r, source, occurrence=occurrence)
    if not src:
        raise ValueError(f"{source!r} is not in the text")
    row = r.layers[layer][:, src[0]].mean(0)  # (T,)
    return {t: float(row[word_tokens(r, t)].sum()) for t in targets}


def source_word_attention(
    res: Seq2SeqAttention, writing: str, words: list[str], *, layer: int
) -> dict[str, float]:
    """How much the decoder, while writing the target word ``writing``, looks at each source
    word in cross-attention, averaged over the heads of ``layer`` (a word split into several
    tokens gets the sum of its tokens).

    The decoder position that writes a target token reads the token before it (teacher
    forcing), so the row used is the one just before the word's first token.

    Returns:
        {source word: weight}; a word missing from the source gets 0.

    Raises:
        ValueError: ``writing`` is not a word of the target.
    """
    hit = word_tokens(res.decoder, writing)
    if not hit:
        raise ValueError(f"{writing!r} is not in the target")
    row = res.cross.layers[layer][:, hit[0] - 1].mean(0)  # (S,): the row writing it
    return {w: float(row[word_tokens(res.encoder, w)].sum()) for w in words}
