"""Widgets drawn from a config field's :class:`core.knobs.Knob`: range, step, help and default.

A page names the config field and its widget key; the limits come from the engine::

    knobs.slider(SamplingConfig, "temperature", key="sampling_temperature", label="Temperature")

and :func:`ui.urlstate.url_state` takes the same knob as the key's default
(``{"sampling_temperature": spec(SamplingConfig, "temperature")}``) to bound the values a link
may bring. When the key already holds a value (seeded from the link) the widget shows it;
otherwise it starts at ``value`` or the knob's default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from core.knobs import Knob, spec


def _common(k: Knob, key: str, label: str | None, value: Any, kw: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments every knob widget shares: label, key, help and a starting value
    only when the session state does not already hold one (Streamlit warns on both)."""
    args: dict[str, Any] = {"label": label or k.label.capitalize(), "key": key}
    args["help"] = kw.pop("help", k.help or None)
    if key not in st.session_state:
        args["value"] = k.default if value is None else value
    return args


def _range(k: Knob, kw: dict[str, Any], *, need: bool) -> tuple[Any, Any]:
    """The knob's (lo, hi), or a narrower ``min_value``/``max_value`` a page passes (the engine
    accepts more than this view offers); one outside the knob's range is raised. An open upper
    end stops one step below it (:attr:`core.knobs.Knob.offered`)."""
    top = k.offered[1] if k.hi_open else k.hi
    lo, hi = kw.pop("min_value", k.lo), kw.pop("max_value", top)
    for bound in (lo, hi):
        if bound is not None and k.problem(bound) is not None:
            raise ValueError(f"a widget bound outside the knob: {k.problem(bound)}")
    if need and (lo is None or hi is None):
        raise ValueError(f"{k.name} has no range to draw a slider over (lo={lo}, hi={hi})")
    return lo, hi


def slider(
    config: Any,
    name: str,
    *,
    key: str,
    label: str | None = None,
    value: Any = None,
    where: Any = None,
    **kw: Any,
) -> Any:
    """``st.slider`` over the range and step of field ``name`` of ``config``.

    Args:
        config: the config class.
        name: the field.
        key: the widget's session-state key.
        label: the widget's label (the knob's label when None).
        value: the starting value when the key holds none (the knob's default when None).
        where: the container to draw in (``st`` when None).
        **kw: passed to ``st.slider`` (format, on_change...); ``help`` replaces the knob's,
            ``min_value``/``max_value`` narrow its range (never widen it).
    """
    return _bounded("slider", config, name, key, label, value, where, kw, need=True)


def number_input(
    config: Any,
    name: str,
    *,
    key: str,
    label: str | None = None,
    value: Any = None,
    where: Any = None,
    **kw: Any,
) -> Any:
    """``st.number_input`` bounded by field ``name``'s range (open on a side without a limit);
    arguments as :func:`slider`'s."""
    return _bounded("number_input", config, name, key, label, value, where, kw, need=False)


def _bounded(
    widget: str,
    config: Any,
    name: str,
    key: str,
    label: str | None,
    value: Any,
    where: Any,
    kw: dict[str, Any],
    *,
    need: bool,
) -> Any:
    """Draw the ``st`` widget named ``widget`` over field ``name``'s range and step."""
    k = spec(config, name)
    lo, hi = _range(k, kw, need=need)
    args = _common(k, key, label, value, kw)
    draw = getattr(where or st, widget)
    return draw(min_value=lo, max_value=hi, step=kw.pop("step", k.step), **args, **kw)


def select(
    config: Any,
    name: str,
    *,
    key: str,
    label: str | None = None,
    value: Any = None,
    where: Any = None,
    **kw: Any,
) -> Any:
    """``st.selectbox`` over field ``name``'s choices; arguments as :func:`slider`'s."""
    k = spec(config, name)
    if k.choices is None:
        raise ValueError(f"{k.name} has no choices to select from")
    args = _common(k, key, label, value, kw)
    start = args.pop("value", None)
    if start is not None:
        args["index"] = k.choices.index(start)
    return (where or st).selectbox(options=list(k.choices), **args, **kw)


def checkbox(
    config: Any,
    name: str,
    *,
    key: str,
    label: str | None = None,
    value: Any = None,
    where: Any = None,
    toggle: bool = False,
    **kw: Any,
) -> bool:
    """``st.checkbox`` (``st.toggle`` with ``toggle=True``) for the bool field ``name``;
    arguments as :func:`slider`'s."""
    k = spec(config, name)
    if k.kind is not bool:
        raise ValueError(f"{k.name} is not a True / False knob")
    args = _common(k, key, label, value, kw)
    container = where or st
    return bool((container.toggle if toggle else container.checkbox)(**args, **kw))


def select_slider(
    config: Any,
    name: str,
    stops: Sequence[Any],
    *,
    key: str,
    label: str | None = None,
    value: Any = None,
    where: Any = None,
    **kw: Any,
) -> Any:
    """``st.select_slider`` over ``stops``: the values the page offers inside field ``name``'s
    range (a log scale of learning rates...). A stop outside the range is a mistake of the
    page, raised here.
    """
    k = spec(config, name)
    bad = [s for s in stops if k.problem(s) is not None]
    if bad:
        raise ValueError(f"{bad} outside the range of {k.name}: {k.problem(bad[0])}")
    args = _common(k, key, label, value, kw)
    return (where or st).select_slider(options=list(stops), **args, **kw)


__all__ = ["checkbox", "number_input", "select", "select_slider", "slider"]
