"""The Quantization page in real Chromium: a short run fills the table and the charts."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

SHORT = "/quantization?quant_schemes=fp32&quant_schemes=int4&quant_n_eval=8&quant_runs=1"


def test_a_short_run_shows_the_table_and_the_histogram(visit):
    tab = visit().open(SHORT)
    page = tab.page
    assert "Quantization comparison" in page.inner_text("h1")
    page.get_by_role("button", name="Run comparison").click()
    tab.wait_idle(timeout_s=240)
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "smaller than fp32 on disk" in body  # "what to notice", from the measured sizes
    assert page.locator(".js-plotly-plot").count() >= 4
    assert "levels" in page.locator(".js-plotly-plot").nth(3).inner_text()  # the grid legend
    assert re.search(r"quant_schemes=int4", page.url)
    tab.assert_clean()
