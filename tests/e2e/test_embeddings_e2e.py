"""The Embeddings page in real Chromium: the token map draws and finds a word, each tab renders
clean, a text in the forward pass reruns it, and the page's own link reopens the same tab."""

from __future__ import annotations

import pytest

from core import models

pytestmark = pytest.mark.e2e


def _open(visit, path: str = "/"):
    # through the navigation: a deep link logs 404s for /embeddings/_stcore/* in the console
    tab = visit().open(path)
    if path == "/":
        tab.page.locator('[data-testid="stSidebarNav"] a', has_text="Embeddings").click()
        tab.wait_idle()
    tab.page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    return tab


def _tab(tab, label: str) -> None:
    tab.page.get_by_role("tab", name=label).click()
    tab.wait_idle()
    tab.assert_clean()


def test_the_map_finds_a_word_and_every_tab_renders(visit):
    tab = _open(visit)
    page = tab.page
    assert page.get_by_role("heading", name="Embeddings").count() == 1
    assert "Oslo" in page.locator(".js-plotly-plot").first.inner_text()  # labels on the map
    tab.type_into(page.get_by_label("Find a word on the map"), "Oslo", submit="Enter")
    assert "is ringed in red" in tab.main_text()
    assert "embeddings_search=Oslo" in page.url
    tab.assert_clean()

    _tab(tab, "Neighbours & analogies")
    assert "rank of “Rome”" in tab.main_text()
    _tab(tab, "Sentences")
    assert "Most alike" in tab.main_text()
    assert page.get_by_role("link", name="vector search").count() == 1
    _tab(tab, "Positions")
    assert page.locator(".katex").count() >= 1  # the formula, drawn by st.latex
    assert "neighbouring positions have a mean cosine" in tab.main_text()
    _tab(tab, "Forward pass")
    tab.type_into(page.get_by_label("Text for tiny-gpt"), "Lily found a red ball and")
    assert "6 tokens → 4 blocks" in tab.main_text()
    assert "embeddings_view=Forward" in page.url
    tab.assert_clean()


@pytest.mark.slow
def test_the_link_reopens_the_tab_in_a_fresh_context(visit, server_url):
    tab = _open(visit)
    _tab(tab, "Forward pass")
    tab.type_into(tab.page.get_by_label("Text for tiny-gpt"), "Tom saw a big dog")
    link = tab.page.url
    other = visit().open(link[len(server_url) :])
    other.page.wait_for_selector(".js-plotly-plot", timeout=120_000)
    other.wait_idle()
    assert other.page.get_by_label("Text for tiny-gpt").input_value() == "Tom saw a big dog"
    n = len(models.load_model("tiny-gpt").tokenizer.tokenize("Tom saw a big dog"))
    assert f"{n} tokens → 4 blocks" in other.main_text()
    other.assert_clean()
