"""The Sampling page with a generation server configured that does not answer: a clear warning,
the in-process pipeline as always, no traceback and no hung page."""

from __future__ import annotations

import time

from tests.pages.apptest import open_page
from tests.pages.hung_server import hung_server  # noqa: F401 (a fixture)

PAGE = "pages/sampling.py"


def _texts(at, kind):
    return " ".join(e.value for e in getattr(at, kind))


def test_hung_server_gives_a_clear_message_and_the_in_process_page(hung_server):  # noqa: F811
    t0 = time.perf_counter()
    at = open_page(PAGE, timeout=120)
    assert time.perf_counter() - t0 < 60
    assert at.session_state["sampling_backend"] == "served"  # offered, the server by default
    warning = _texts(at, "warning")
    assert "did not answer in 0.5 s" in warning and "in-process model instead" in warning
    assert at.get("plotly_chart") and any(
        m.label.startswith("Tokens in the running") for m in at.metric
    )
    at.slider(key="sampling_n").set_value(5).run()
    next(b for b in at.button if b.label == "Generate N").click().run()
    steps = at.session_state["sampling_steps"]
    assert not at.exception and 1 <= len(steps) <= 5
    assert all(s.n_kept >= 1 for s in steps)  # drawn in-process: the pipeline's numbers known


def test_in_process_pick_never_asks_the_server(hung_server):  # noqa: F811
    at = open_page(PAGE, state={"sampling_backend": "in-process"}, timeout=120)
    assert not at.exception and "did not answer" not in _texts(at, "warning")
    assert not any("generation server" in c.value for c in at.caption)
