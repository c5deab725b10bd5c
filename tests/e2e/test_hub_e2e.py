"""Hub models as a learner meets them, for real: a local Hugging Face mirror on loopback serves
repos built from tiny-gpt, and a second app server is online with HF_ENDPOINT pointing at it."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _type_hub_id(tab, hub_id: str) -> None:
    box = tab.page.locator('[data-testid="stSidebar"] input[aria-label="Hugging Face id"]')
    tab.type_into(box, hub_id, submit="Enter")


def _assert_model_ran(tab) -> None:
    text = tab.main_text()
    assert "Cannot load" not in text and "no model" not in text, text[:2000]
    assert tab.page.query_selector('[data-testid="stPlotlyChart"]') is not None
    tab.assert_clean()


def test_online_badge(visit, online_server_url):
    tab = visit(online_server_url).open("/")
    assert "Online" in tab.page.inner_text('[data-testid="stSidebar"]')


def test_pick_a_hub_entry_in_the_sidebar_downloads_and_runs(visit, online_server_url):
    tab = visit(online_server_url).open("/sampling")
    tab.pick_sidebar_generator("gpt2 (hub)")
    _assert_model_ran(tab)


def test_typed_hub_ids(visit, online_server_url):
    tab = visit(online_server_url).open("/sampling")
    tab.pick_sidebar_generator("Other hub id...")
    _type_hub_id(tab, "genai-playground/tiny-gpt")
    _assert_model_ran(tab)

    _type_hub_id(tab, "nobody/nothing")
    assert "There is no model 'nobody/nothing'" in tab.main_text()
    assert "tiny-gpt" in tab.main_text()  # the offline alternative is named
    tab.assert_clean()

    _type_hub_id(tab, "assets/models")
    assert "names a folder on this server" in tab.main_text()
    tab.assert_clean()
