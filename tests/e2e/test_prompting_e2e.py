"""The prompt-shot page in real Chromium: switch task, see the prompts and metrics re-render."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_switch_to_sentiment_and_toggle_the_instruction(visit):
    tab = visit().open("/prompting")
    page = tab.page
    assert "Prompt-shot comparison" in page.inner_text("h1")
    # the scores render after the sweep; wait for them (fails if they never appear)
    page.get_by_text("few-shot accuracy").first.wait_for(timeout=180_000)
    tab.wait_idle()

    # the "Task" selectbox (a plain get_by_label also matches the task card's heading)
    page.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text("Task", exact=True)
    ).first.click()
    page.get_by_role("option", name="Review sentiment (positive / negative)").click()
    tab.wait_idle()
    page.get_by_text("Put the task's instruction first").click()  # toggle
    tab.wait_idle()

    body = page.inner_text("body")
    assert "Label each review as positive or negative." in body
    assert "Sentiment:" in body
    assert "prompting_task=sentiment" in page.url and "prompting_instruction=1" in page.url
    tab.assert_clean()
