"""A generation server that never answers, in real Chromium: the Sampling page shows the
server's error as a warning, draws the in-process chart and generates in-process, within the
timeout and without an exception box."""

from __future__ import annotations

import socket
import time

import pytest

from tests.e2e.conftest import PageVisit, streamlit_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hung_server_url(tmp_path_factory):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    env = {
        "GENAI_LLM_URL": f"http://127.0.0.1:{sock.getsockname()[1]}/v1",
        "GENAI_LLM_TIMEOUT": "1",
    }
    try:
        with streamlit_server(tmp_path_factory.mktemp("e2e-hung-llm"), **env) as url:
            yield url
    finally:
        sock.close()


def test_sampling_page_falls_back_in_the_browser(browser, hung_server_url):
    tab = PageVisit(browser, hung_server_url)
    try:
        t0 = time.monotonic()
        tab.open("/sampling")
        page = tab.page
        page.wait_for_selector(".js-plotly-plot", timeout=60_000)
        text = tab.main_text()
        assert "did not answer in 1 s" in text and "in-process model instead" in text
        assert "Tokens in the running" in text  # the in-process pipeline, as without a server
        page.get_by_role("button", name="Generate N").click()
        tab.wait_idle()
        assert page.locator(".sampling-story span[title^='step 1:']").count() == 1
        assert time.monotonic() - t0 < 120
        tab.assert_clean()
    finally:
        tab.close()
