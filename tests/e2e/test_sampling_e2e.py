"""The Sampling sliders page in real Chromium: a filter re-draws the chart, a token gets sampled;
two prompts in a row, a reload and the page's own link in a fresh context keep the settings."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def test_top_k_filters_and_sample_one_token(visit):
    tab = visit().open("/sampling")
    page = tab.page
    assert "Sampling sliders" in page.inner_text("h1")
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    survivors = page.get_by_test_id("stMetric").first.inner_text()
    vocab = re.search(r"of ([\d,]+)\)\s+([\d,]+)", survivors)
    assert vocab and vocab[1] == vocab[2], survivors  # no filter on: the whole vocabulary

    box = page.get_by_role("spinbutton", name="③ Top-k (0 = off)")
    box.fill("3")
    box.press("Enter")
    tab.wait_idle()
    assert page.get_by_test_id("stMetric").first.inner_text().strip().endswith("3")
    assert "removed by top-k" in page.inner_text(".js-plotly-plot")  # the greyed bars' legend
    assert re.search(r"sampling_top_k=3\b", page.url)

    page.get_by_role("button", name="Sample one token").click()
    tab.wait_idle()
    chips = page.locator(".sampling-story span[title^='step 1:']")
    assert chips.count() == 1  # the drawn token, with its alternatives as the hover text
    assert "in the running" in chips.first.get_attribute("title")
    assert page.locator(".sampling-cmp").count() == 3  # the compare panel: three temperatures
    tab.assert_clean()


def _prompt(tab, text: str) -> None:
    tab.type_into(tab.page.get_by_label("Prompt"), text)


def _main(page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def test_two_prompts_a_slider_refresh_a_reload_and_the_link_in_a_fresh_context(visit, server_url):
    tab = visit().open("/sampling")
    page = tab.page
    page.wait_for_selector(".sampling-cmp", timeout=120_000)
    _prompt(tab, "The capital of France is")
    _prompt(tab, "Once upon a time, there was a big dog named")
    assert tab.exceptions() == []
    assert "dog named" in _main(page)  # the distribution is for the second prompt
    top_p = page.get_by_role("slider", name="④ Top-p (1 = off)")
    top_p.focus()
    top_p.press("ArrowLeft")  # 1.00 -> 0.99: only the sliders' part reruns
    tab.wait_idle()
    assert "the sliders now differ" in _main(page)  # the compare panel says it is older
    assert "top-p 1," in _main(page)
    page.get_by_role("button", name="Refresh with the current sliders").click()
    tab.wait_idle()
    assert "the sliders now differ" not in _main(page)
    assert "top-p 0.99" in _main(page)
    assert page.locator(".sampling-cmp").count() == 3
    tab.assert_clean()
    link = page.url
    assert "sampling_top_p=0.99" in link and "sampling_cmp_temps=0.7" in link

    page.reload()
    page.wait_for_selector(".sampling-cmp", timeout=120_000)
    tab.wait_idle()
    assert tab.exceptions() == []  # the compare panel survives the URL's list of floats
    assert page.get_by_label("Prompt").input_value().endswith("big dog named")
    assert page.locator(".sampling-cmp").count() == 3 and "top-p 0.99" in _main(page)

    # a new tab is a new browser context (no cookies, no session): a learner opening the link
    other = visit().open(link[len(server_url) :])
    assert other.exceptions() == []
    shown = other.page.get_by_label("Prompt").input_value()
    assert shown.endswith("big dog named"), (shown, link)
    assert other.page.locator(".sampling-cmp").count() == 3
    assert "top-p 0.99" in _main(other.page)
    other.page.get_by_role("button", name="Sample one token").click()
    other.wait_idle()
    assert other.page.locator(".sampling-story span[title^='step 1:']").count() == 1
    metrics = [m.inner_text() for m in other.page.get_by_test_id("stMetric").all()]
    assert any("Drawn (seed 0, draw 2)" in m for m in metrics), metrics
    other.assert_clean()


def test_tiny_t5_writes_its_own_text_from_the_source(visit):
    """The encoder-decoder in a browser: picked in the page's model box, its task format fills
    the prompt, a sampled token and Generate N write the decoder's text (no grey prompt tail)."""
    from core import models

    tab = visit().open("/sampling")
    page = tab.page
    page.wait_for_selector(".sampling-cmp", timeout=120_000)
    page.get_by_role("combobox", name="Model", exact=True).click()
    page.get_by_role("option", name=models.MODELS["tiny-t5"].label, exact=True).click()
    tab.wait_idle()
    assert page.get_by_label("Prompt").input_value().startswith("translate English to French:")
    assert "the prompt is the source its encoder reads" in _main(page)
    assert "Next output token after" in _main(page)
    page.get_by_role("button", name="Sample one token").click()
    tab.wait_idle()
    story = page.locator(".sampling-story")
    assert story.locator("span[title^='step 1:']").count() == 1
    assert "translate" not in story.inner_text()  # the output, not a continuation of the prompt
    page.get_by_role("button", name="Generate N").click()
    tab.wait_idle()
    assert story.locator("span[title^='step 2:']").count() == 1
    assert page.locator(".sampling-cmp").count() == 3
    assert re.search(r"sampling_model=tiny-t5\b", page.url)
    tab.assert_clean()
