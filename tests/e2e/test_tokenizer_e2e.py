"""The tokenizer page in real Chromium: type text, read the chips, switch views and tabs."""

from __future__ import annotations

import re

import pytest

from core.tokenizers import tokenize

pytestmark = pytest.mark.e2e


def test_tokenizer_page_in_the_browser(visit):
    tab = visit().open("/")
    page = tab.page
    page.locator('[data-testid="stSidebarNav"] a', has_text="Tokenizer").click()
    tab.wait_idle()
    assert "Tokenizer visualizer" in page.inner_text("h1")

    text = "unbelievable 👋 [SEP]"
    area = page.get_by_label("Text", exact=True)
    tab.type_into(area, text)
    stats = page.locator(".stats .v").all_inner_texts()
    assert stats[0] == str(tokenize(text, "cl100k_base").n_tokens)
    assert stats[4] == str(tokenize(text, "minilm").n_tokens)  # the second default tokenizer

    first = page.locator(".tokviz .t").first
    assert first.get_attribute("title").startswith(f"id {tokenize(text).ids[0]}\n")
    assert page.locator(".tokviz .t.partial").count() >= 2  # the emoji's byte pieces
    assert page.locator(".tokviz .t.special").count() == 2  # [CLS], final [SEP]: typed is text
    page.get_by_text("Parse special tokens typed in the text").click()
    tab.wait_idle()
    assert page.locator(".tokviz .t.special").count() == 3  # [CLS], typed [SEP], final [SEP]

    page.locator("button", has_text=re.compile(r"^Ids$")).click()
    tab.wait_idle()
    ids = page.locator(".tokviz").first.locator(".t").all_inner_texts()
    assert [int(i) for i in ids] == list(tokenize(text).ids)
    assert "tokenizer_view=ids" in page.url and re.search(r"tokenizer_text=unbelievable", page.url)

    page.get_by_role("tab", name="Languages compared").click()
    tab.wait_idle()
    assert page.locator(".js-plotly-plot").first.is_visible()

    page.get_by_role("tab", name="How BPE builds tokens").click()
    tab.wait_idle()
    slider = page.get_by_role("slider").nth(1)  # "Replay: merges applied"
    slider.focus()
    slider.press("ArrowRight")
    tab.wait_idle()
    assert page.get_by_text(re.compile(r"^Merge 13:")).first.is_visible()
    tab.assert_clean()


def _chip_rows(page) -> list[list[tuple[float, float]]]:
    """Per chip of the first tokenizer, its rendered line boxes (one box: it did not break)."""
    return (
        page.locator(".tokviz")
        .first.locator(".t")
        .evaluate_all(
            "els => els.map(e => Array.from(e.getClientRects()).map(r => [r.top, r.width]))"
        )
    )


def test_two_edits_in_a_row_then_a_reload(visit):
    tab = visit().open("/tokenizer")
    page = tab.page
    area = page.get_by_label("Text", exact=True)
    first = "Some letters and [SEP] markers " * 6 + "\nhexadecimal 0xdeadbeef\n\nend"
    second = "Another sentence, then a newline\nand antidisestablishmentarianism " * 4
    for text in (first, second):
        tab.type_into(area, text)
        stats = page.locator(".stats .v").all_inner_texts()
        assert stats[0] == str(tokenize(text, "cl100k_base").n_tokens)
        tab.assert_clean()
    rows = _chip_rows(page)
    assert rows and all(len(r) == 1 for r in rows), "a chip broke across lines"
    tops = sorted({round(r[0][0]) for r in rows})
    assert len(tops) >= 4  # the text wraps (between chips) and breaks at each newline
    chips = page.locator(".tokviz").first.locator(".t").all_inner_texts()
    assert "↵" in "".join(chips)

    page.reload()
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    tab.wait_idle()
    assert page.get_by_label("Text", exact=True).input_value() == second
    stats = page.locator(".stats .v").all_inner_texts()
    assert stats[0] == str(tokenize(second, "cl100k_base").n_tokens)
    tab.assert_clean()
