"""The Sampling sliders page in real Chromium: a filter re-draws the chart, a token gets sampled."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_top_k_filters_and_sample_one_token(visit):
    tab = visit().open("/sampling")
    page = tab.page
    assert "Sampling sliders" in page.inner_text("h1")
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    survivors = page.get_by_test_id("stMetric").first.inner_text()
    vocab = re.search(r"of ([\d,]+)\)\s+([\d,]+)", survivors)
    assert vocab and vocab[1] == vocab[2], survivors  # no filter on: the whole vocabulary

    box = page.get_by_role("spinbutton", name="③ Top-k (0 = off)")
    box.fill("3")
    box.press("Enter")
    tab.wait_idle()
    assert page.get_by_test_id("stMetric").first.inner_text().strip().endswith("3")
    assert "removed by top-k" in page.inner_text(".js-plotly-plot")  # the greyed bars' legend
    assert re.search(r"sampling_top_k=3\b", page.url)

    page.get_by_role("button", name="Sample one token").click()
    tab.wait_idle()
    chips = page.locator(".sampling-story span[title^='step 1:']")
    assert chips.count() == 1  # the drawn token, with its alternatives as the hover text
    assert "in the running" in chips.first.get_attribute("title")
    assert page.locator(".sampling-cmp").count() == 3  # the compare panel: three temperatures
    tab.assert_clean()
