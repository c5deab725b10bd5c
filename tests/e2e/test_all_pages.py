"""Every page of the app opens in real Chromium with no exception box and no console error."""

from __future__ import annotations

import pytest

from ui import navigation

pytestmark = pytest.mark.e2e

PATHS = [p.url_path for p in navigation.PAGES]  # the registry: a new page is visited too


def test_navigation_lists_every_page_of_the_registry(visit):
    tab = visit().open("/")
    links = tab.page.query_selector_all('[data-testid="stSidebarNav"] a')
    assert len(links) == len(navigation.PAGES)
    tab.assert_clean()


@pytest.mark.parametrize("path", PATHS)
def test_page_opens_clean(visit, path):
    tab = visit().open(path)
    assert tab.page.query_selector("h1") is not None
    tab.assert_clean()
