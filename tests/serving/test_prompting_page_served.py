"""The prompt-shot page against the real vLLM: the sweep is scored by the server."""

from __future__ import annotations

import pytest

from core.serving import backend as be
from core.settings import get_settings
from tests.pages.apptest import open_page

pytestmark = pytest.mark.slow  # starts vLLM (about 25 s) once per session


@pytest.fixture(scope="module")
def page(vllm_server):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_LLM_URL", vllm_server.url)
        mp.setenv("GENAI_LLM_MODEL", vllm_server.model)
        # the sweep sends every prompt of every draw: on two loaded cores a cold server may
        # take longer than the page's default 10 s for one of them
        mp.setenv("GENAI_LLM_TIMEOUT", "60")
        get_settings.cache_clear()
        be.forget_failures()
        yield open_page("pages/prompting.py", timeout=300)
    get_settings.cache_clear()


def test_sweep_scored_by_the_server(page):
    captions = " ".join(c.value for c in page.caption)
    assert "The sweep: scored by the generation server (tiny-gpt at http://127.0.0.1" in captions
    assert not page.warning and page.get("plotly_chart")
