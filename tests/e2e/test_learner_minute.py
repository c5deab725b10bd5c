"""A learner's first minute on every page, in real Chromium: edits, a reload, the shared link.

Each page gets two edits in a row in each of its text boxes, a reload, and its own URL opened
in a fresh browser context (a classmate following the link); the sidebar's generator is switched
to a hub model and back. No step may leave an exception box or a console error behind.
"""

from __future__ import annotations

import pytest

from ui.navigation import PAGES

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EDITS = (
    "The dog chased the cat because it was hungry.",
    "My sister said that it would rain tomorrow in Paris.",
)
MAX_BOXES = 3  # text boxes edited per page (the first ones, top to bottom)


def _edit_text_boxes(tab) -> int:
    boxes = tab.page.locator('[data-testid="stMain"] [data-testid="stTextArea"] textarea:visible')
    n = min(boxes.count(), MAX_BOXES)
    for i in range(n):
        for text in EDITS:
            tab.type_into(boxes.nth(i), text)
            tab.assert_clean()
            assert boxes.nth(i).input_value() == text
    return n


@pytest.mark.parametrize("info", PAGES, ids=[p.url_path for p in PAGES])
def test_a_learners_minute(visit, browser, server_url, info):
    tab = visit().open(info.url_path)
    _edit_text_boxes(tab)
    link = tab.page.url

    tab.page.reload()
    tab.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    tab.wait_idle()
    tab.assert_clean()

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        classmate = context.new_page()
        classmate.goto(link, timeout=60_000)
        classmate.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
        tab.wait_idle()
        classmate.wait_for_timeout(500)
        boxes = '[data-testid="stException"], .st-key-genai-script-error'
        assert classmate.query_selector_all(boxes) == []
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/sampling", "/prompting", "/quantization"])
def test_sidebar_generator_switch_on_an_open_page(visit, path):
    tab = visit().open(path)
    for choice in ("gpt2 (hub)", "tiny-gpt (offline)"):
        tab.pick_sidebar_generator(choice)
        tab.assert_clean()
        if choice.startswith("gpt2"):
            assert "tiny-gpt" in tab.main_text()  # the offline tip


def _pick(tab, label: str, index: int) -> None:
    box = tab.page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]', has_text=label)
    box.first.click()
    tab.page.locator('[role="option"]').nth(index).click()


# (page, how its examples are loaded, the label of the control)
EXAMPLES = [
    ("/tokenizer", "buttons", ("English prose", "Python code", "Numbers")),
    ("/attention", "select", "Examples"),
    ("/sampling", "select", "Or try an example"),
    ("/metrics", "select", "Example"),
]


@pytest.mark.parametrize("path, kind, control", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_three_examples_in_a_row(visit, path, kind, control):
    tab = visit().open(path)
    seen = {tab.main_text()}
    for i in range(3):
        if kind == "buttons":
            tab.page.locator('[data-testid="stMain"] button', has_text=control[i]).first.click()
        else:
            _pick(tab, control, i + 1 if path == "/sampling" else i)  # sampling's first is blank
        tab.wait_idle()
        tab.assert_clean()
        seen.add(tab.main_text())
    assert len(seen) >= 3  # each example really changed what the page shows
