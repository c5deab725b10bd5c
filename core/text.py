r"""Make user text safe for every page: lone surrogates replaced, huge text truncated, with notes.

>>> r = clean_text("ab\ud800c", max_chars=1000)
>>> r.text
'ab�c'
>>> r.notes
('Replaced 1 lone surrogate character with � (it cannot be encoded as UTF-8).',)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_PAIR = re.compile(r"[\ud800-\udbff][\udc00-\udfff]")  # a valid UTF-16 surrogate pair


def join_surrogate_pairs(text: str) -> str:
    """Only rejoin valid surrogate pairs (``"\\ud83d\\udc4d"`` -> 👍); lone ones stay, for
    :func:`clean_text` to replace and report.

    >>> join_surrogate_pairs("\\ud83d\\udc4d\\ud800") == "👍\\ud800"
    True
    """
    return _PAIR.sub(lambda m: m.group().encode("utf-16", "surrogatepass").decode("utf-16"), text)


@dataclass(frozen=True)
class CleanText:
    """Text ready for a model, and what was done to it, in plain words for the page."""

    text: str
    original_chars: int
    truncated: bool
    notes: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.text.strip()


def clean_text(text: str | None, *, max_chars: int, strip_controls: bool = False) -> CleanText:
    """Replace lone surrogates, optionally drop control characters, and cut to ``max_chars``.

    Args:
        text: what the user typed or uploaded (``None`` counts as empty).
        max_chars: longest text kept; the rest is cut and a note says so.
        strip_controls: drop control characters other than tab and newline.

    Returns:
        A :class:`CleanText`; ``notes`` is empty when nothing was changed.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, got {max_chars}")
    text = join_surrogate_pairs(text or "")  # a pair spells one character: keep it
    original = len(text)
    notes: list[str] = []
    n_sur = len(_SURROGATE.findall(text))
    if n_sur:
        text = _SURROGATE.sub("\ufffd", text)
        notes.append(
            f"Replaced {n_sur} lone surrogate character{'s' if n_sur > 1 else ''} with \ufffd "
            "(it cannot be encoded as UTF-8)."
        )
    if strip_controls:
        kept = "".join(
            c
            for c in text
            if c in "\t\n"
            or not unicodedata.category(c).startswith("C")
            or unicodedata.category(c) == "Co"
        )
        if len(kept) != len(text):
            notes.append(f"Removed {len(text) - len(kept)} control characters.")
            text = kept
    truncated = len(text) > max_chars
    if truncated:
        notes.append(
            f"The text has {len(text):,} characters; only the first {max_chars:,} are used."
        )
        text = text[:max_chars]
    return CleanText(text, original, truncated, tuple(notes))
