"""A generation server that never answers, configured for the pages under test."""

from __future__ import annotations

import socket

import pytest

from core.serving import backend as be
from core.settings import get_settings


@pytest.fixture(scope="module")
def hung_server():
    """GENAI_LLM_URL at a loopback port that accepts and never answers, 0.5 s timeout."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_LLM_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/v1")
        mp.setenv("GENAI_LLM_TIMEOUT", "0.5")
        get_settings.cache_clear()
        be.forget_failures()
        yield
    sock.close()
    get_settings.cache_clear()
    be.forget_failures()
