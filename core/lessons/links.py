"""A lesson link: a page's settings in the URL plus which controls the link locks (shown, not
editable) or hides, as TensorFlow Playground's ``*_hide=true`` flags do.

The flags travel as repeated query parameters: ``?sampling_temperature=0.7&lock=
sampling_temperature&hide=sampling_seed``. ``present=1`` opens presenter mode; ``lesson`` and
``step`` name a guided lesson's step. Every other parameter is a setting, parsed by the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

# query parameters that are not settings (``class`` joins a class, ``teacher`` is the teacher's
# private link back to it: ui.classroom)
FLAGS = ("lock", "hide", "present", "lesson", "step", "class", "teacher")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # a widget key as the pages write them
MAX_FLAGS = 64  # more flags than any page has controls is a broken link


@dataclass(frozen=True)
class LessonLink:
    """A page's settings and the lesson's rules for its controls.

    Args:
        values: setting key -> its raw URL values (a list: a multiselect has several).
        lock: keys shown but not editable (they keep the link's value).
        hide: keys not drawn at all (their value still applies).
        present: open in presenter mode.
        lesson / step: a guided lesson's id and 1-based step, if the link is one.
    """

    values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    lock: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    present: bool = False
    lesson: str = ""
    step: int = 0

    @property
    def is_lesson(self) -> bool:
        """True when the link sets any rule (a plain settings link is not a lesson)."""
        return bool(self.lock or self.hide or self.lesson)

    def query(self) -> dict[str, list[str]]:
        """The link's query parameters, settings first, each value a list.

        >>> LessonLink({"a_x": ["1"]}, hide=("a_y",), present=True).query()
        {'a_x': ['1'], 'hide': ['a_y'], 'present': ['1']}
        """
        q: dict[str, list[str]] = {k: list(v) for k, v in self.values.items()}
        if self.lock:
            q["lock"] = list(self.lock)
        if self.hide:
            q["hide"] = list(self.hide)
        if self.present:
            q["present"] = ["1"]
        if self.lesson:
            q["lesson"] = [self.lesson]
            q["step"] = [str(self.step)]
        return q

    def url(self, base: str) -> str:
        """``base`` (a page's address) with the query.

        >>> LessonLink({"a_x": ["1 2"]}, lock=("a_x",)).url("http://h/p")
        'http://h/p?a_x=1+2&lock=a_x'
        """
        return f"{base}?{urlencode(self.query(), doseq=True)}"


EMPTY_LIST = ""  # an empty list travels as one empty value (``?key=``), so it round-trips


def url_values(value: Any) -> list[str]:
    """A setting as its URL values: booleans as ``1``/``0``, a list as one value per element
    (an empty list as one empty value), anything else as ``str``. ``ui.urlstate`` writes the
    pages' links with it, and a lesson's steps are written the same way.

    >>> url_values(True), url_values([0.0, 0.7]), url_values([]), url_values("a b")
    (['1'], ['0.0', '0.7'], [''], ['a b'])
    """
    items = value if isinstance(value, (list, tuple)) else [value]
    return ["1" if v is True else "0" if v is False else str(v) for v in items] or [EMPTY_LIST]


def _keys(raw: Sequence[str]) -> tuple[str, ...]:
    """Valid, distinct keys in order; a comma-separated value counts as several."""
    out: list[str] = []
    for value in raw:
        for k in value.split(","):
            k = k.strip()
            if KEY.match(k) and k not in out and k not in FLAGS:
                out.append(k)
    return tuple(out[:MAX_FLAGS])


def parse_link(query: Mapping[str, Sequence[str]]) -> LessonLink:
    """A :class:`LessonLink` from a page's query parameters (``st.query_params`` as lists).

    Unknown or malformed flags are dropped, never raised: a broken link opens a usable page.
    A key both locked and hidden is hidden (a hidden control cannot be edited either).

    >>> link = parse_link({"lock": ["a_x,a_y", "bad key"], "hide": ["a_y"], "a_x": ["3"]})
    >>> link.lock, link.hide, dict(link.values)
    (('a_x',), ('a_y',), {'a_x': ['3']})
    >>> parse_link({"step": ["-4"], "lesson": ["../etc"]}).step
    0
    """
    hide = _keys(query.get("hide", ()))
    lock = tuple(k for k in _keys(query.get("lock", ())) if k not in hide)
    lesson = next(iter(query.get("lesson", ())), "")
    lesson = lesson if re.match(r"^[a-z0-9][a-z0-9-]{0,63}$", lesson) else ""
    try:
        step = int(next(iter(query.get("step", ())), "0"))
    except ValueError:
        step = 0
    step = step if lesson and 1 <= step <= 1000 else 0
    present = next(iter(query.get("present", ())), "0").lower() in ("1", "true", "yes", "on")
    values = {k: list(v) for k, v in query.items() if k not in FLAGS}
    return LessonLink(values, lock, hide, present, lesson if step else "", step)
