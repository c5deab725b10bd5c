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


def test_two_edits_of_the_custom_examples_then_a_reload(visit):
    tab = visit().open("/prompting")
    page = tab.page
    page.get_by_text("few-shot accuracy").first.wait_for(timeout=180_000)
    page.locator('[data-testid="stSelectbox"]').filter(
        has=page.get_by_text("Task", exact=True)
    ).first.click()
    page.get_by_role("option", name="Your own examples").click()
    tab.wait_idle()
    area = page.locator("textarea").first
    edits = [
        "hot => cold\nup => down\nday => night\nwet => dry\nbig => small\nfull => empty",
        "cat => animal\nrose => plant\ndog => animal\noak => plant\ncow => animal\nfern => plant",
    ]
    for text in edits:
        tab.type_into(area, text)
        page.get_by_text("few-shot accuracy").first.wait_for(timeout=180_000)
        tab.assert_clean()
        item = text.split("\n")[3].split(" => ")[0]  # held-out item #1, shown in the prompts
        assert f"{item} =>" in page.inner_text("body")
    assert page.locator(".js-plotly-plot").count() == 1  # the sweep, drawn once (no partial left)

    page.reload()
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    tab.wait_idle()
    page.get_by_text("few-shot accuracy").first.wait_for(timeout=180_000)
    assert page.locator("textarea").first.input_value() == edits[-1]
    assert "prompting_task=custom" in page.url
    tab.assert_clean()
