"""The Sampling page against the real vLLM: the server's top tokens with "the rest", Generate N
drawn by the server, and the page saying who answered."""

from __future__ import annotations

import math

import pytest

from core.serving import backend as be
from core.settings import get_settings
from tests.pages.apptest import open_page

pytestmark = pytest.mark.slow  # starts vLLM (about 25 s) once per session

PAGE = "pages/sampling.py"


@pytest.fixture(scope="module")
def page(vllm_server):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_LLM_URL", vllm_server.url)
        mp.setenv("GENAI_LLM_MODEL", vllm_server.model)
        get_settings.cache_clear()
        be.forget_failures()
        yield open_page(PAGE, timeout=120)
    get_settings.cache_clear()


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_next_token_chart_comes_from_the_server_with_the_rest(page):
    assert "Next-token probabilities: answered by the generation server" in _captions(page)
    chart = page.get("plotly_chart")[0].proto.spec
    assert '"the rest"' in chart
    assert not page.warning and "the rest" in page.info[0].value
    assert "The comparison: answered by the generation server" in _captions(page)


def test_generate_n_is_drawn_by_the_server(page):
    page.slider(key="sampling_temperature").set_value(0.9).run()
    page.slider(key="sampling_n").set_value(6).run()
    next(b for b in page.button if b.label == "Generate N").click().run()
    steps = page.session_state["sampling_steps"]
    assert not page.exception and len(steps) == 6
    assert all(math.isnan(s.prob) and s.n_kept == 0 for s in steps)  # the server's draws
    assert "The tokens just drawn: answered by the generation server" in _captions(page)
    first = [s.token_id for s in steps]
    next(b for b in page.button if b.label == "Clear").click().run()
    next(b for b in page.button if b.label == "Generate N").click().run()
    assert [s.token_id for s in page.session_state["sampling_steps"]] == first  # same seed
