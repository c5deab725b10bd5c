"""The prompt-shot page in real Chromium: switch task, see the prompts and metrics re-render."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_switch_to_sentiment_and_toggle_the_instruction(visit):
    tab = visit().open("/prompting")
    page = tab.page
    assert "Prompt-shot comparison" in page.inner_text("h1")
    assert page.get_by_text("few-shot accuracy").count() >= 1

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
