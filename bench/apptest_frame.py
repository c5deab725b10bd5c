"""Open a page under AppTest inside app.py's frame, as a browser would (copied from tests/).

The bench scripts must not import ``tests/`` (it is not a package the app ships), so this is the
same approach as ``tests/pages/apptest.py`` plus the PagesManager patch of ``tests/conftest.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def offline_env() -> None:
    """No network, one torch thread: the same environment the tests run the pages in."""
    for name in (
        "GENAI_OFFLINE",
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_HUB_DISABLE_TELEMETRY",
    ):
        os.environ[name] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def quiet_streamlit() -> None:
    """Silence "missing ScriptRunContext" (the engine calls timed outside a script run)."""
    import logging

    import streamlit  # noqa: F401  (sets up its loggers, which this then quiets)

    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(
        logging.ERROR
    )


def _apptest_like_a_running_server() -> None:
    """AppTest resets Streamlit's process-wide "pages/ folder" flag before every run, so each run
    after the first would execute ``pages/<name>.py`` without app.py's frame. A served app leaves
    the flag off once app.py called ``st.navigation``: give AppTest a PagesManager that does too."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    if getattr(app_test.PagesManager, "_bench_patched", False):
        return

    class _NavigationPagesManager(PagesManager):
        _bench_patched = True

        def __init__(self, *args, **kwargs):
            PagesManager.uses_pages_directory = False
            super().__init__(*args, **kwargs)

    app_test.PagesManager = _NavigationPagesManager


def new_session(timeout: float) -> Any:
    """A fresh AppTest session on app.py (one browser tab that has not loaded anything yet)."""
    from streamlit.testing.v1 import AppTest

    _apptest_like_a_running_server()
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
