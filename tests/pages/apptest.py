"""One way to open a page under AppTest, as a browser would: app.py first, then the page."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def open_page(
    page: str,
    *,
    query: dict[str, Any] | None = None,
    state: dict[str, Any] | None = None,
    timeout: float = 180,
    check: bool = True,
) -> AppTest:
    """Run app.py with ``query`` in the URL and ``state`` in the session, switch to ``page``.

    Args:
        page: the page script, e.g. ``"pages/metrics.py"``.
        query: URL query parameters (a shared link).
        state: session-state values set before the first run.
        timeout: seconds each run may take (model loads included).
        check: fail at once if the page shows an exception.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    if check:
        assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    """The page's ``st.metric`` values by label."""
    return {m.label: m.value for m in at.metric}
