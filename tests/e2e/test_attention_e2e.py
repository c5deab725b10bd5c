"""The attention page in real Chromium: heatmaps render, controls rerun it clean, two texts in a
row, a reload and the page's own link in a fresh browser context keep the settings."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

FIRST = "The dog chased the cat because it was hungry."
SECOND = "My sister said that it would rain tomorrow in Paris."


def _open_attention(visit):
    # through the navigation: a deep link logs 404s for /attention/_stcore/* in the console
    tab = visit().open("/")
    tab.page.locator('[data-testid="stSidebarNav"] a', has_text="Attention").click()
    tab.wait_idle()
    return tab


def _type_text(tab, text: str) -> None:
    tab.type_into(tab.page.get_by_label("Text (sentence A)"), text)


def _selected_token(page) -> str:
    """The label the select box shows (what the learner reads), not the server's value."""
    return page.get_by_role("combobox", name="Selected token").input_value()


def test_attention_page_draws_heads_and_reacts_to_controls(visit):
    tab = _open_attention(visit)
    page = tab.page
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


def test_a_model_switch_relabels_the_selected_token_and_draws_the_causal_mask(visit):
    tab = _open_attention(visit)
    page = tab.page
    assert _selected_token(page) == "10: it"
    page.get_by_role("combobox", name="Model").click()
    page.get_by_role("option", name=re.compile("tiny-gpt")).first.click()
    tab.wait_idle()
    assert tab.exceptions() == []
    assert "Causal mask" in page.get_by_test_id("stMain").inner_text()
    label = _selected_token(page)
    index, token = label.split(": ", 1)
    # the box shows tiny-gpt's token at that index, the same one the explorer below describes
    assert f"Token {index} {token.strip()}" in page.get_by_test_id("stMain").inner_text()
    page.get_by_role("tab", name="Model view (layers x heads)").click()
    tab.wait_idle()
    assert "layer 3" in page.locator(".js-plotly-plot").first.inner_text()
    tab.assert_clean()


def test_two_texts_in_a_row_a_reload_and_the_link_in_a_fresh_context(visit, server_url):
    tab = _open_attention(visit)
    page = tab.page
    _type_text(tab, FIRST)
    assert "7: it" in _selected_token(page)  # 'it' of the first sentence
    tab.assert_clean()
    _type_text(tab, SECOND)
    assert tab.exceptions() == []
    assert "5: it" in _selected_token(page)  # 'it' again, at its place in the new sentence
    assert "13 tokens · 6 layers" in page.get_by_test_id("stMain").inner_text()
    layer = page.get_by_role("slider").first
    layer.focus()
    layer.press("ArrowRight")
    tab.wait_idle()
    page.get_by_role("tab", name="All heads of this layer").click()
    tab.wait_idle()
    layer.focus()
    layer.press("ArrowRight")  # a layer change keeps the chosen view
    tab.wait_idle()
    assert (
        page.get_by_role("tab", name="All heads of this layer").get_attribute("aria-selected")
        == "true"
    )
    assert "Layer 2: all 12 heads" in page.locator(".js-plotly-plot").first.inner_text()
    tab.assert_clean()
    link = page.url
    assert "attention_layer=2" in link and re.search(r"attention_text=My\+sister", link)

    page.reload()
    page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=60_000)
    tab.wait_idle()
    assert page.get_by_label("Text (sentence A)").input_value() == SECOND
    assert "5: it" in _selected_token(page)
    assert tab.exceptions() == []

    # a new tab is a new browser context (no cookies, no session): a learner opening the link
    other = visit().open(link[len(server_url) :])
    assert other.page.get_by_label("Text (sentence A)").input_value() == SECOND
    assert "5: it" in _selected_token(other.page)
    assert "layer 2, head 0" in other.page.locator(".js-plotly-plot").first.inner_text()
    other.assert_clean()


def test_the_encoder_decoder_mode_draws_and_switches_the_three_kinds(visit):
    tab = _open_attention(visit)
    page = tab.page
    page.get_by_role("combobox", name="Model").click()
    page.get_by_role("option", name=re.compile("tiny-t5")).first.click()
    tab.wait_idle()
    assert tab.exceptions() == []
    assert (
        page.get_by_role("textbox", name="Source (what the encoder reads)")
        .input_value()
        .startswith("translate English to French")
    )
    tab.type_into(
        page.get_by_role("textbox", name="Target (what the decoder writes)"),
        "chat chien",
        submit="Enter",
    )
    main = tab.main_text()
    assert "Target typed" in main and "3 target tokens × 8 source tokens" in main
    heat = page.locator(".js-plotly-plot").first
    assert "cross-attention" in heat.inner_text() and "chat → chien" in heat.inner_text()
    assert "chien → </s>" in heat.inner_text()  # T5's end token is shown, not read as markup
    for label, title, seen in [
        ("Encoder self-attention", "encoder self-attention", "No mask"),
        ("Decoder self-attention", "decoder self-attention", "Causal mask"),
        ("Cross-attention", "cross-attention", "looks at the source"),
    ]:
        page.get_by_test_id("stButtonGroup").get_by_role("radio", name=label).click()
        tab.wait_idle()
        assert title in page.locator(".js-plotly-plot").first.inner_text(), label
        assert seen in tab.main_text(), label
    assert "attention_kind=cross" in page.url and "attention_target=chat" in page.url
    tab.assert_clean()
