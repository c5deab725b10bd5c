"""Test-wide setup: no network ever, the repo importable, and the shared markers."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port free on loopback now (for the servers the tests start there)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


sys.path.insert(0, str(ROOT))

# Tests never touch the network: hub loads fail fast with ModelUnavailableError.
os.environ["GENAI_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# One intra-op thread: the e2e server and the test process share the CPU, and torch's spinning
# threads slow each other down many times over when oversubscribed (measured here: ~10x).
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """One torch thread in every test, also where torch was imported before the variable above."""
    import torch

    torch.set_num_threads(1)


def _apptest_like_a_running_server() -> None:
    """AppTest resets Streamlit's process-wide "pages/ folder" flag before every run, so each
    run after the first would execute ``pages/<name>.py`` on its own, without app.py's frame
    (a served app only does that before app.py first ran; ``ui.ensure_app_frame`` covers it).
    Give AppTest a PagesManager that leaves the flag off, as it is in a running server."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class _NavigationPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            PagesManager.uses_pages_directory = False
            super().__init__(*args, **kwargs)

    app_test.PagesManager = _NavigationPagesManager


_apptest_like_a_running_server()
