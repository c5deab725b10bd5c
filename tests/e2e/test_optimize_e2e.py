"""The Distil & prune page in real Chromium: a live distillation stopped mid-run still ends with
its fair comparison, a sweep draws its curves, and the one table draws with its Pareto plot."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

LONG = "/optimize?opt_steps=2000&opt_sweep=0.5&opt_recover_steps=2"


def main(tab):
    return tab.page.get_by_test_id("stMainBlockContainer")


@pytest.mark.slow
def test_distil_stop_sweep_and_table(visit):
    tab = visit().open(LONG)
    page = tab.page
    page.get_by_text("Student parameters").wait_for(timeout=60_000)
    main(tab).get_by_role("button", name="Train both students").click()
    page.get_by_text(re.compile(r"student: step [1-9]\d* of 2000")).first.wait_for(timeout=120_000)
    main(tab).get_by_role("button", name="Stop training").click()
    page.get_by_text(re.compile(r"Stopped after \d+ of 2000 steps")).wait_for(timeout=180_000)
    page.get_by_text(re.compile(r"Same student, same \d+ steps")).wait_for(timeout=30_000)
    tab.wait_idle()

    page.get_by_role("tab", name="2. Pruning").click()
    main(tab).get_by_role("button", name="Run the sweep").click()
    page.get_by_text("What actually shrinks").wait_for(timeout=180_000)
    tab.wait_idle()
    assert "loses most when pruned alone" in tab.main_text()

    page.get_by_role("tab", name="3. All three, one table").click()
    main(tab).get_by_role("button", name="Measure every candidate").click()
    page.get_by_text("On the frontier").wait_for(timeout=240_000)
    tab.wait_idle()
    text = tab.main_text()
    assert "the student of your distillation run above" in text
    assert "Pareto frontier" in page.locator(".js-plotly-plot").last.inner_text()
    assert "opt_steps=2000" in page.url
    tab.assert_clean()
