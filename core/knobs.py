"""One home per knob: a config field carries its default, its range and its help.

As peft's ``LoraConfig`` does with ``field(default=8, metadata={"help": ...})``, a field of a
config dataclass is declared with :func:`knob`, which stores a :class:`Knob` in the field's
metadata. The config's ``__post_init__`` calls :func:`check`, the page's widgets and the URL
bounds read the same :class:`Knob` through :func:`spec`; nothing restates the range.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo:
...     rate: float = knob(0.5, lo=0, hi=1, step=0.1, label="rate", help="How often.")
...     mode: str = knob("fast", choices=("fast", "slow"))
...     def __post_init__(self) -> None:
...         check(self)
>>> spec(Demo, "rate").hi, spec(Demo, "rate").help
(1.0, 'How often.')
>>> Demo(rate=2.0)
Traceback (most recent call last):
...
ValueError: rate must be between 0 and 1, got 2.0
>>> Demo(mode="medium")
Traceback (most recent call last):
...
ValueError: mode must be one of ('fast', 'slow'), got 'medium'
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

_META = "knob"  # the metadata key holding a field's Knob


@dataclasses.dataclass(frozen=True)
class Knob:
    """What one config field allows: its default, its range or choices, its help.

    Attributes:
        default: the field's default; its type (bool, int, float or str) is the field's kind.
            A field with ``of`` is optional: None is accepted, a value is checked as ``of``.
        lo / hi: inclusive range of a number (None: no limit on that side).
        step: the step a slider or number input moves by (None: the widget's own).
        choices: the allowed values (None: any value of the kind).
        help: one sentence for the widget's tooltip.
        label: the name messages use ("top-k"); the field's name when not given.
        name: the field's name, filled in by :func:`spec`.
        hi_open: ``hi`` itself is out (a share in [0, 1)); widgets stop one ``step`` below it.
        of: the kind of an optional field's values (a default of None cannot show it).
    """

    default: Any
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] | None = None
    help: str = ""
    label: str = ""
    name: str = ""
    hi_open: bool = False
    of: type | None = None

    @functools.cached_property
    def kind(self) -> type:
        """bool, int, float or str: ``of``, else the type of the default (bool before int: True
        is an int)."""
        if self.of is not None:
            return self.of
        for kind in (bool, int, float, str):
            if isinstance(self.default, kind):
                return kind
        return type(self.default)

    @functools.cached_property
    def bounds(self) -> tuple[float, float]:
        """(lo, hi) with a missing side as -inf or +inf."""
        return (
            -math.inf if self.lo is None else self.lo,
            math.inf if self.hi is None else self.hi,
        )

    @functools.cached_property
    def inclusive(self) -> tuple[float, float]:
        """:attr:`bounds` as an inclusive range: an open upper end becomes the last number below
        it (``hi - 1`` for a whole number), so one chained comparison checks a value.

        >>> Knob(0.0, lo=0.0, hi=1.0, step=0.01, hi_open=True).inclusive
        (0.0, 0.9999999999999999)
        """
        lo, hi = self.bounds
        if self.hi_open:
            hi = hi - 1 if self.kind is int else math.nextafter(hi, -math.inf)
        return lo, hi

    @functools.cached_property
    def offered(self) -> tuple[float, float]:
        """The (lo, hi) a widget or a link may offer: :attr:`bounds`, with an open upper end
        moved one ``step`` below it.

        >>> Knob(0.0, lo=0.0, hi=1.0, step=0.01, hi_open=True).offered
        (0.0, 0.99)
        """
        lo, hi = self.bounds
        if self.hi_open:
            hi = self.kind(round(hi - (self.step or 1), 12))
        return lo, hi

    def problem(self, value: Any) -> str | None:
        """Why ``value`` does not fit this knob, in a plain sentence; None when it fits.

        A wrong type names the field (a caller's mistake, no widget sends one); a value out of
        range names the knob's label (what a learner sees).

        >>> k = Knob(8, lo=1, hi=256, label="rank r", name="r")
        >>> [k.problem(v) for v in (8, 0, 2.5)]
        [None, 'rank r must be between 1 and 256, got 0', 'r must be a whole number, got 2.5']
        >>> Knob(0.0, lo=0.0, hi=1.0, step=0.01, hi_open=True, name="share").problem(1.0)
        'share must be at least 0 and below 1, got 1.0'
        """
        if value is None and self.of is not None:
            return None  # an optional field left out
        name, label = self.name or self.label, self.label or self.name
        kind = self.kind
        if kind is bool:
            if not isinstance(value, bool):
                return f"{name} must be True or False, got {value!r}"
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                return f"{name} must be a whole number, got {value!r}"
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                return f"{name} must be a finite number, got {value!r}"
            if not math.isfinite(value):
                return f"{label} must be a finite number, got {value!r}"
        elif kind is str and not isinstance(value, str):
            return f"{name} must be a text, got {value!r}"
        if self.choices is not None and value not in self.choices:
            return f"{label} must be one of {self.choices}, got {value!r}"
        lo, hi = self.bounds
        if kind in (int, float) and self.hi_open and not lo <= value < hi:
            if self.lo is None:
                return f"{label} must be below {_num(self.hi)}, got {value!r}"
            return (
                f"{label} must be at least {_num(self.lo)} and below {_num(self.hi)}, got {value!r}"
            )
        if kind in (int, float) and not lo <= value <= hi:
            if self.lo is None:
                return f"{label} must be at most {_num(self.hi)}, got {value!r}"
            if self.hi is None:
                return f"{label} must be at least {_num(self.lo)}, got {value!r}"
            return f"{label} must be between {_num(self.lo)} and {_num(self.hi)}, got {value!r}"
        return None

    def clamp(self, value: float) -> float:
        """``value`` moved into [lo, hi] (the :attr:`offered` range).

        >>> Knob(1.0, lo=0.5, hi=2.0).clamp(3)
        2.0
        """
        lo, hi = self.offered
        return self.kind(min(max(value, lo), hi))


def _num(x: float | None) -> str:
    """A bound as a person writes it: 256, 0.05, 1e-05, 2,147,483,648."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        x = int(x)
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def knob(
    default: T,
    *,
    lo: float | None = None,
    hi: float | None = None,
    step: float | None = None,
    choices: Sequence[Any] | None = None,
    help: str = "",  # noqa: A002 - peft's and argparse's name for it
    label: str = "",
    hi_open: bool = False,
    of: type | None = None,
) -> T:
    """A dataclass field whose metadata holds its :class:`Knob` (read back with :func:`spec`).

    The range of a float knob is stored as floats (a slider needs one type for all its
    numbers). A default outside its own range or choices is a mistake in the code, raised here,
    when the class is defined.

    Args:
        default: the field's default (immutable: a number, a text, a tuple).
        lo / hi: inclusive range of a number.
        step: the widgets' step.
        choices: the allowed values.
        help: the widgets' tooltip.
        label: the name messages use; the field's name when empty.
        hi_open: ``hi`` itself is out of range (needs a ``step``: widgets stop one below it).
        of: makes the field optional (None accepted) and names the kind of its values; needed
            when the default is None.

    Returns:
        A ``dataclasses.field`` (typed as the default, so ``x: float = knob(1.0)`` checks).

    >>> knob(3, lo=5)
    Traceback (most recent call last):
    ...
    ValueError: the default 3 does not fit its own knob: value must be at least 5, got 3
    """
    if default is None and of is None:
        raise ValueError("an optional knob with a default of None needs `of`, its values' kind")
    if hi_open and (hi is None or step is None):
        raise ValueError("an open upper end needs hi and a step (where the widgets stop)")
    if isinstance(default, float) or of is float:
        lo, hi, step = (None if v is None else float(v) for v in (lo, hi, step))
    k = Knob(
        default,
        lo=lo,
        hi=hi,
        step=step,
        choices=None if choices is None else tuple(choices),
        help=help,
        label=label,
        hi_open=hi_open,
        of=of,
    )
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"knob range is empty: lo={lo} > hi={hi}")
    problem = dataclasses.replace(k, name=label or "value").problem(default)
    if problem is not None:
        raise ValueError(f"the default {default!r} does not fit its own knob: {problem}")
    field: T = dataclasses.field(default=default, metadata={_META: k, "help": help})
    return field


_BY_CLASS: dict[type, tuple[Knob, ...]] = {}  # a class's fields never change: read them once


def knob_fields(config: Any) -> tuple[Knob, ...]:
    """The :class:`Knob` of every knob field of a config class or instance, in field order."""
    cls = config if isinstance(config, type) else type(config)
    knobs = _BY_CLASS.get(cls)
    if knobs is None:
        knobs = tuple(
            dataclasses.replace(
                f.metadata[_META], name=f.name, label=f.metadata[_META].label or f.name
            )
            for f in dataclasses.fields(cls)
            if _META in f.metadata
        )
        _BY_CLASS[cls] = knobs
    return knobs


def spec(config: Any, name: str) -> Knob:
    """The :class:`Knob` of field ``name`` of a config class (or instance).

    Raises:
        KeyError: when the config has no knob field of that name.

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Demo:
    ...     n: int = knob(3, lo=0, hi=10, help="How many.")
    >>> k = spec(Demo, "n")
    >>> k.default, k.lo, k.hi, k.help, k.label, k.name
    (3, 0, 10, 'How many.', 'n', 'n')
    """
    for k in knob_fields(config):
        if k.name == name:
            return k
    cls = config if isinstance(config, type) else type(config)
    raise KeyError(f"{cls.__name__} has no knob field {name!r}")


def check(config: Any) -> None:
    """Raise ``ValueError`` with a plain message for the first knob field out of its range.

    Call it from the config's ``__post_init__``; fields declared without :func:`knob` are
    left to the config's own checks.
    """
    for k in knob_fields(config):
        value = getattr(config, k.name)
        kind, t = k.kind, type(value)
        # the common case in a few comparisons: a config is built on every slider move
        if t is kind or (kind is float and t is int):
            if kind is int or (kind is float and math.isfinite(value)):
                lo, hi = k.inclusive
                if lo <= value <= hi and (k.choices is None or value in k.choices):
                    continue
            elif kind is not float and (k.choices is None or value in k.choices):
                continue
        problem = k.problem(value)
        if problem is not None:
            raise ValueError(problem)


__all__ = ["Knob", "check", "knob", "knob_fields", "spec"]
