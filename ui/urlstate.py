"""Bind a page's widgets to ``st.query_params`` so a shared link reproduces the setup.

Usage in a page, before the widgets::

    url_state({"tok_text": "Hello", "tok_layer": 0, "tok_names": ["cl100k_base"]},
              choices={"tok_names": NAMES}, bounds={"tok_layer": (0, 5)})
    st.text_area("Text", key="tok_text")          # no value=: the session state holds it
    left_out_caption("tok_text", "text")          # says so when the text is too long for a link
    ...
    sync_url()                                    # at the end: write the values back

A widget bound to a config field takes its default, range and choices from the field's knob
(:mod:`core.knobs`): ``url_state({"sampling_temperature": spec(SamplingConfig, "temperature")})``
bounds the link's value by the engine's own range, so the page restates none.

Values in the URL are parsed by their declared type: the type of the default, the type of a
list default's elements (``[0.0, 0.7]`` -> floats), or an explicit ``types={key: float}``
(needed for an empty list default). A value that does not parse, is not among ``choices`` or is
outside ``bounds`` is dropped for the default, never raised; in a list, each element is parsed,
checked against the choices and the bounds on its own, and only the bad elements are dropped.

Widgets whose options change with the input (one option per token of a text...) must keep a
stable value: :func:`stable_selectbox` keeps the chosen option (an index or id) in the session
state and gives the widget a key tied to its option labels, because Streamlit stores a
selectbox's value as its formatted label and a label that no longer exists comes back as a
plain string.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

from core.knobs import Knob
from core.lessons.links import EMPTY_LIST, url_values

T = TypeVar("T")

_REGISTRY = "_urlstate_keys"
MAX_URL_VALUE = 1500  # longer values (big texts) stay out of the link
_EMPTY_LIST = EMPTY_LIST  # an empty list travels as one empty value (``?key=``)


def _parse_scalar(raw: str, kind: type) -> Any:
    """One URL value as ``kind`` (bool, int, float or str); ValueError when it does not parse."""
    if kind is bool:
        v = raw.strip().lower()
        if v in {"1", "true", "yes", "on"}:
            return True
        if v in {"0", "false", "no", "off"}:
            return False
        raise ValueError(raw)
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            f = float(raw)  # "3.0" is a whole number too
            if not f.is_integer():
                raise
            return int(f)
    if kind is float:
        f = float(raw)
        if not math.isfinite(f):
            raise ValueError(raw)
        return f
    return raw


def _kind(value: Any) -> type:
    for kind in (bool, int, float):  # bool first: True is an int too
        if isinstance(value, kind):
            return kind
    return str


def _element_kind(default: Sequence[Any], declared: type | None) -> type:
    if declared is not None:
        return declared
    kinds = {_kind(v) for v in default}
    if kinds == {int, float}:
        return float
    return kinds.pop() if len(kinds) == 1 else str


def _in_bounds(value: Any, bound: tuple[float, float] | None) -> bool:
    if bound is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return True
    lo, hi = bound
    return lo <= value <= hi


def parse_value(
    raw: list[str],
    default: Any,
    *,
    kind: type | None = None,
    choices: Sequence[Any] | None = None,
    bound: tuple[float, float] | None = None,
    max_items: int | None = None,
) -> Any:
    """The value of one key from its raw URL values, or ``default`` when it is not usable.

    Args:
        raw: every value of the key in the URL (``st.query_params.get_all(key)``).
        default: the page's default; its type is the declared type unless ``kind`` is given.
        kind: declared type (of the elements, for a list default).
        choices: allowed values (of the elements, for a list).
        bound: (low, high) inclusive range of a number (of each element, for a list).
        max_items: longest list kept (extra elements are dropped).

    >>> parse_value(["0", "0.7", "x", "9"], [1.0], bound=(0, 2.5))
    [0.0, 0.7]
    >>> parse_value(["abc"], 3)
    3
    """
    if not raw:
        return default
    if isinstance(default, (list, tuple)):
        if raw == [_EMPTY_LIST]:
            return []
        elem = _element_kind(default, kind)
        out: list[Any] = []
        for item in raw:
            try:
                v = _parse_scalar(item, elem)
            except ValueError:
                continue
            if choices is not None and v not in choices:
                continue
            if not _in_bounds(v, bound) or (choices is not None and v in out):
                continue
            out.append(v)
        if max_items is not None:
            out = out[:max_items]
        return out or list(default)
    try:
        value = _parse_scalar(raw[-1], kind or _kind(default))
    except ValueError:
        return default
    if choices is not None and value not in choices:
        return default
    return value if _in_bounds(value, bound) else default


def _format(value: Any) -> str | list[str]:
    """``value`` as the URL holds it: one text, or a list of texts for a list."""
    values = url_values(value)
    return values if isinstance(value, (list, tuple)) else values[0]


def _too_long(formatted: str | list[str]) -> bool:
    if isinstance(formatted, list):
        return sum(len(v) for v in formatted) > MAX_URL_VALUE
    return len(formatted) > MAX_URL_VALUE


def _knob_bound(k: Knob, bound: tuple[float, float] | None) -> tuple[float, float]:
    """The knob's range (what its widget offers: an open upper end stops a step below it),
    narrowed by a bound the page gives as well."""
    lo, hi = k.offered
    if bound is not None:
        lo, hi = max(lo, bound[0]), min(hi, bound[1])
    return lo, hi


def url_state(
    defaults: dict[str, Any],
    *,
    choices: dict[str, Sequence[Any]] | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
    types: dict[str, type] | None = None,
    max_items: dict[str, int] | None = None,
) -> None:
    """Seed ``st.session_state`` for these widget keys from the URL (else the default).

    Keys already in the session state keep their value, so this only acts when a widget first
    appears. The keys are remembered for :func:`sync_url`.

    Args:
        defaults: {key: default value}; the default's type (a list's element type) is the
            declared type of the key. A :class:`~core.knobs.Knob` (the config field the widget
            sets) gives its default, and its range and choices bound the value too; for
            another default (a recipe's), give ``dataclasses.replace(knob, default=...)``.
        choices: {key: allowed values} (of each element for a list).
        bounds: {key: (low, high)} inclusive, for numbers (each element of a list of numbers).
        types: {key: type} to declare a type the default cannot show (an empty list's elements).
        max_items: {key: longest list}.

    A page's own ``choices`` or ``bounds`` for a knob's key narrow the knob's (the stops a
    select slider offers inside the range).
    """
    choices, bounds, types, max_items = choices or {}, bounds or {}, types or {}, max_items or {}
    st.session_state[_REGISTRY] = list(defaults)
    for key, default in defaults.items():
        if key in st.session_state:
            continue
        allowed, bound = choices.get(key), bounds.get(key)
        if isinstance(default, Knob):
            bound = _knob_bound(default, bound)
            if default.choices is not None:
                allowed = [c for c in (allowed or default.choices) if c in default.choices]
            default = default.default
        st.session_state[key] = parse_value(
            st.query_params.get_all(key),
            default,
            kind=types.get(key),
            choices=allowed,
            bound=bound,
            max_items=max_items.get(key),
        )


def left_out() -> list[str]:
    """The keys given to :func:`url_state` whose current value is too long for a link
    (over :data:`MAX_URL_VALUE` characters): the link holds every other setting."""
    return [
        key
        for key in st.session_state.get(_REGISTRY, [])
        if key in st.session_state and _too_long(_format(st.session_state[key]))
    ]


def left_out_caption(key: str, what: str = "text") -> bool:
    """Show a caption when ``key``'s value is too long for the shared link; True when shown."""
    if key not in left_out():
        return False
    n = len(str(st.session_state[key]))
    st.caption(
        f"The {what} is too long for the link ({n:,} characters; a link holds up to "
        f"{MAX_URL_VALUE:,}): the link holds the other settings.",
        help="Copy the text itself to share it; the page's address keeps everything else.",
    )
    return True


def sync_url() -> list[str]:
    """Write the current values of the keys given to :func:`url_state` into the URL.

    Returns:
        The keys left out of the link because their value is too long (see :func:`left_out`).
    """
    skipped = []
    for key in st.session_state.get(_REGISTRY, []):
        if key not in st.session_state:
            continue
        value = _format(st.session_state[key])
        if _too_long(value):
            skipped.append(key)
            if key in st.query_params:
                del st.query_params[key]
            continue
        if st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value
    return skipped


def stable_key(base: str, labels: Sequence[str]) -> str:
    """A widget key that changes whenever the option labels change.

    Streamlit sends a selectbox's, pills' or multiselect's value back as its formatted label;
    after the options change, a label no longer among them comes back as a plain string (e.g.
    ``"10: it"`` instead of the index 10). A new key per set of labels gives a fresh widget
    instead, seeded from a value the page keeps itself.
    """
    digest = hashlib.blake2b("\x1f".join(labels).encode("utf-8", "surrogatepass"), digest_size=6)
    return f"{base}__{digest.hexdigest()}"


def stable_selectbox(
    label: str,
    options: Sequence[T],
    *,
    key: str,
    format_func: Callable[[T], str] = str,
    fallback: T | None = None,
    where: Any = None,
    **kwargs: Any,
) -> T:
    """A selectbox whose value (an index or id, never a label) survives options that change.

    The chosen option lives in ``st.session_state[key]`` (the key :func:`url_state` and
    :func:`sync_url` know); the widget itself gets :func:`stable_key`. When the kept value is
    not among the options (the text got shorter, the model changed), ``fallback`` is chosen
    (the first option when None).

    Args:
        label: the widget's label.
        options: the current options (token indices, ids...).
        key: session-state key of the chosen option.
        format_func: the label of an option (may change with the options).
        fallback: the option to use when the kept one no longer exists.
        where: the container to draw in (``st`` when None).
        **kwargs: passed to ``selectbox`` (help, placeholder...).

    Returns:
        The chosen option.
    """
    if not options:
        raise ValueError(f"{label}: no options to choose from")
    opts = list(options)
    current = st.session_state.get(key)
    if current not in opts or isinstance(current, bool) != isinstance(opts[0], bool):
        current = fallback if fallback in opts else opts[0]
    labels = [format_func(o) for o in opts]
    value = (where or st).selectbox(
        label,
        opts,
        index=opts.index(current),
        key=stable_key(key, labels),
        format_func=format_func,
        **kwargs,
    )
    if value not in opts:  # a stale label from the browser: keep the value the page holds
        value = current
    st.session_state[key] = value
    return value
