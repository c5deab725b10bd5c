"""The attention page in real Chromium: heatmaps render, a slider and the toggle rerun it clean."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_attention_page_draws_heads_and_reacts_to_controls(visit):
    # through the navigation: a deep link logs 404s for /attention/_stcore/* in the console
    tab = visit().open("/")
    page = tab.page
    page.locator('[data-testid="stSidebarNav"] a', has_text="Attention").click()
    tab.wait_idle()
    layer = page.get_by_role("slider").first
    layer.focus()
    layer.press("ArrowRight")
    tab.wait_idle()
    assert page.get_by_role("heading", name="Attention heatmap").count() == 1
    assert page.locator(".js-plotly-plot").count() >= 2  # the head and the token bars
    assert "layer 1, head 0" in page.locator(".js-plotly-plot").first.inner_text()

    thumb = page.get_by_role("slider").nth(1)  # Head
    thumb.focus()
    thumb.press("ArrowRight")
    tab.wait_idle()
    assert "layer 1, head 1" in page.locator(".js-plotly-plot").first.inner_text()
    assert "attention_head=1" in page.url

    page.get_by_test_id("stCheckbox").get_by_text("Hide special tokens").click()
    tab.wait_idle()
    assert page.get_by_text("renormalized").count() >= 1
    assert "[CLS]" not in page.locator(".js-plotly-plot").first.inner_text()
    tab.assert_clean()
