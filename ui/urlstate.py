"""Bind a page's widgets to ``st.query_params`` so a shared link reproduces the setup.

Usage in a page, before the widgets::

    url_state({"tok_text": "Hello", "tok_layer": 0, "tok_names": ["cl100k_base"]},
              choices={"tok_names": NAMES}, bounds={"tok_layer": (0, 5)})
    st.text_area("Text", key="tok_text")          # no value=: the session state holds it
    ...
    sync_url()                                    # at the end: write the values back

Values in the URL are parsed by the type of their default; a value that does not parse, is not
among ``choices`` or is outside ``bounds`` is dropped for the default, never raised.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

_REGISTRY = "_urlstate_keys"
MAX_URL_VALUE = 1500  # longer values (big texts) stay out of the link


def _parse(raw: list[str], default: Any) -> Any:
    if isinstance(default, bool):
        v = raw[-1].lower()
        if v in {"1", "true", "yes", "on"}:
            return True
        if v in {"0", "false", "no", "off"}:
            return False
        raise ValueError(v)
    if isinstance(default, int):
        return int(raw[-1])
    if isinstance(default, float):
        return float(raw[-1])
    if isinstance(default, (list, tuple)):
        return [x for x in raw if x != ""]
    return raw[-1]


def _format(value: Any) -> str | list[str]:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return str(value)


def url_state(
    defaults: dict[str, Any],
    *,
    choices: dict[str, list[Any]] | None = None,
    bounds: dict[str, tuple[float, float]] | None = None,
) -> None:
    """Seed ``st.session_state`` for these widget keys from the URL (else the default).

    Keys already in the session state keep their value, so this only acts when a widget first
    appears. The keys are remembered for :func:`sync_url`.
    """
    choices, bounds = choices or {}, bounds or {}
    st.session_state[_REGISTRY] = list(defaults)
    for key, default in defaults.items():
        if key in st.session_state:
            continue
        value = default
        raw = st.query_params.get_all(key)
        if raw:
            try:
                value = _parse(raw, default)
            except ValueError:
                value = default
        if key in choices:
            allowed = choices[key]
            if isinstance(value, list):
                value = [v for v in value if v in allowed] or default
            elif value not in allowed:
                value = default
        if key in bounds and isinstance(value, (int, float)) and not isinstance(value, bool):
            lo, hi = bounds[key]
            if not lo <= value <= hi:
                value = default
        st.session_state[key] = value


def sync_url() -> None:
    """Write the current values of the keys given to :func:`url_state` into the URL."""
    for key in st.session_state.get(_REGISTRY, []):
        if key not in st.session_state:
            continue
        value = _format(st.session_state[key])
        if isinstance(value, str) and len(value) > MAX_URL_VALUE:
            if key in st.query_params:
                del st.query_params[key]
            continue
        if st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
            st.query_params[key] = value
