"""Every page of the app opens in real Chromium with no exception box and no console error."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

PATHS = [
    "/",
    "/tokenizer",
    "/embeddings",
    "/attention",
    "/sampling",
    "/prompting",
    "/lora",
    "/quantization",
    "/rag",
    "/metrics",
]


def test_navigation_lists_all_ten_pages(visit):
    tab = visit().open("/")
    links = tab.page.query_selector_all('[data-testid="stSidebarNav"] a')
    assert len(links) == 10 == len(PATHS)
    tab.assert_clean()


@pytest.mark.parametrize("path", PATHS)
def test_page_opens_clean(visit, path):
    tab = visit().open(path)
    assert tab.page.query_selector("h1") is not None
    tab.assert_clean()
