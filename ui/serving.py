"""Serving learners: what a shared server must not let one browser do to the others.

``serve.py`` (the app's entry point) wires :func:`show_script_error` and
:class:`BlockInternalRoutes` into Streamlit's ASGI app and calls :func:`harden_session_messages`
once at start; ``app.py`` calls :func:`hide_developer_controls` on every run.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.models import ModelUnavailableError

ERROR_KEY = "genai-script-error"  # the error box's container key (e2e tests look for it)
BLOCKED_PATHS = ("/_stcore/metrics",)  # server statistics: for the operator, not for learners

# Exceptions whose message the engine writes for a learner (config validation, missing models).
_CLEAR = (ValueError, ModelUnavailableError)


def show_script_error(exc: Exception) -> bool:
    """Show an escaped page error instead of Streamlit's traceback box; the log keeps the rest.

    Returns True so Streamlit does not draw its own exception element.
    """
    with st.container(key=ERROR_KEY):
        if isinstance(exc, _CLEAR) and str(exc):
            st.error(str(exc), icon=":material/error:")
        else:
            st.error(
                f"Something went wrong on this page ({type(exc).__name__}); "
                "the details are in the server log.",
                icon=":material/error:",
            )
        st.caption("Your inputs are kept: change the one above, or reload the page.")
    return True


class BlockInternalRoutes:
    """ASGI middleware answering 404 for :data:`BLOCKED_PATHS`, whatever the base path."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "").rstrip("/")
        if scope.get("type") == "http" and path.endswith(BLOCKED_PATHS):
            from starlette.responses import PlainTextResponse

            await PlainTextResponse("Not found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


# Streamlit's running indicator carries its own "Stop" button, a second one beside a page's
# Stop (LoRA) that halts the script mid-draw and confuses learners. Keep the running icon.
_HIDE_SCRIPT_STOP = (
    "<style>[data-testid='stStatusWidget'] [data-testid='stBaseButton-header']"
    "{display: none;}</style>"
)


def hide_developer_controls() -> None:
    """Hide Streamlit's own script Stop button (the toolbar is set by config.toml)."""
    st.html(_HIDE_SCRIPT_STOP)


def _clear_own_state_only(self: Any) -> None:
    # Streamlit's handler clears st.cache_data and st.cache_resource for every session: the
    # models and shared results of the whole class. A browser may only reset its own state.
    self._session_state.clear()


def harden_session_messages() -> None:
    """Make the browser's "clear cache" message reset only that browser's session state."""
    from streamlit.runtime.app_session import AppSession

    AppSession._handle_clear_cache_request = _clear_own_state_only  # type: ignore[method-assign]
