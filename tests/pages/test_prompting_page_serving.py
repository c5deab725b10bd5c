"""The prompt-shot page with a generation server configured that does not answer: the scores
come from this app's model, with a warning saying why, and no traceback."""

from __future__ import annotations

from tests.pages.apptest import open_page
from tests.pages.hung_server import hung_server  # noqa: F401 (a fixture)


def test_hung_server_scores_in_process_with_a_warning(hung_server):  # noqa: F811
    at = open_page("pages/prompting.py", timeout=180)
    assert at.session_state["prompting_backend"] == "served"
    warning = " ".join(w.value for w in at.warning)
    assert "did not answer in 0.5 s" in warning and "in-process model instead" in warning
    captions = " ".join(c.value for c in at.caption)
    assert "The sweep: scored by this app's own model" in captions
    assert at.get("plotly_chart")
