"""The reasoning-and-tools page in real Chromium: four strategy cards and transcripts, a ReAct
step with a rewritten observation, and the held-out curve."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_agents_page_runs_four_strategies_steps_and_measures(visit):
    tab = visit().open("/")
    page = tab.page
    page.locator('[data-testid="stSidebarNav"] a', has_text="Reasoning & tools").click()
    tab.wait_idle()
    main = tab.main_text()
    for label in ("Direct answer", "Chain of thought", "Program-aided (PAL)", "ReAct (tools)"):
        assert label in main
    assert "tokens written" in main
    page.get_by_role("tab", name="ReAct (tools)").click()
    assert "Action: calculator[" in tab.main_text()

    page.get_by_role("button", name="Next step").click()
    tab.wait_idle()
    box = page.get_by_label("The observation the model reads next")
    box.fill("999999")
    page.get_by_role("button", name="Use this observation").click()
    tab.wait_idle()
    assert "Observation: 999999" in tab.main_text()  # the transcript the model reads next

    page.get_by_role("button", name="Measure the four strategies").click()
    tab.wait_idle(timeout_s=240)
    assert page.locator(".js-plotly-plot").count() == 1
    assert "3-digit" in tab.main_text()
    tab.assert_clean()
