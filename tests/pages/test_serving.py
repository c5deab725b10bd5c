"""serve.py's hardening: escaped page errors, and "clear cache" confined to one browser."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest


def _page_that_fails(kind: str) -> None:
    from ui.serving import show_script_error

    exc = ValueError("top_p must be in (0, 1], got 3") if kind == "clear" else KeyError("x")
    assert show_script_error(exc) is True  # Streamlit then draws no traceback box


@pytest.mark.parametrize(
    "kind, expected",
    [("clear", "top_p must be in (0, 1], got 3"), ("internal", "Something went wrong")],
)
def test_script_errors_show_a_message_not_a_traceback(kind, expected):
    at = AppTest.from_function(_page_that_fails, args=(kind,)).run()
    assert not at.exception
    assert expected in at.error[0].value
    assert "Traceback" not in at.error[0].value
    assert "inputs are kept" in at.caption[0].value


def test_clear_cache_message_resets_only_that_session():
    from streamlit.runtime.app_session import AppSession

    from ui.serving import harden_session_messages

    calls: list[str] = []

    class FakeState:
        def clear(self) -> None:
            calls.append("session state")

    class FakeSession:
        _session_state = FakeState()

    original = AppSession._handle_clear_cache_request
    try:
        harden_session_messages()
        import streamlit as st

        @st.cache_resource
        def shared() -> object:
            return object()

        first = shared()
        AppSession._handle_clear_cache_request(FakeSession())
        assert shared() is first  # the class's cached models and results survive
        assert calls == ["session state"]
    finally:
        AppSession._handle_clear_cache_request = original
