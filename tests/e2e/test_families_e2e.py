"""The model-families page in real Chromium: three cards, the bars and the five masks draw, and
a task switch reruns it clean."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_families_page_draws_and_switches_task(visit):
    tab = visit().open("/")
    page = tab.page
    page.locator('[data-testid="stSidebarNav"] a', has_text="Model families").click()
    tab.wait_idle()
    main = tab.main_text()
    assert "Which family for which task?" in main
    assert main.count("Median ms per item") == 3
    assert page.locator(".js-plotly-plot").count() == 1 + 1 + 1 + 3  # bars, then the masks
    assert "cross-attention" in page.locator(".js-plotly-plot").last.inner_text()

    page.get_by_role("combobox", name="Task").click()
    page.get_by_role("option", name=re.compile("Classification")).click()
    tab.wait_idle()
    assert "families_task=sentiment" in page.url
    assert "logistic regression" in tab.main_text()
    assert page.locator(".js-plotly-plot").count() == 6
    tab.assert_clean()
