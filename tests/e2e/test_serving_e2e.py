"""The served app (serve.py + .streamlit/config.toml) as a learner's browser meets it."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code


def test_server_statistics_are_not_public(server_url):
    assert _status(f"{server_url}/_stcore/health") == 200
    assert _status(f"{server_url}/_stcore/metrics") == 404
    assert _status(f"{server_url}/_stcore/metrics/") == 404


def test_learners_see_no_developer_toolbar(visit):
    tab = visit().open("/")
    assert tab.page.query_selector('[data-testid="stAppDeployButton"]') is None
    tab.page.click('[data-testid="stMainMenu"] button')
    menu = tab.page.inner_text('[data-testid="stMainMenuPopover"]')
    assert "Clear cache" not in menu and "Rerun" not in menu, menu
    tab.assert_clean()


def test_the_running_indicator_has_no_second_stop_button(visit):
    """Streamlit's running indicator (shown only while a script runs) holds a header button
    "Stop"; the app's stylesheet hides it. Checked on that exact markup, planted in the page,
    since how long a run lasts (and so whether the indicator shows) depends on the caches."""
    tab = visit().open("/")
    display = tab.page.evaluate(
        """() => {
            const w = document.createElement("div");
            w.setAttribute("data-testid", "stStatusWidget");
            w.innerHTML = '<button data-testid="stBaseButton-header">Stop</button>';
            document.body.appendChild(w);
            const shown = getComputedStyle(w.querySelector("button")).display;
            w.remove();
            return shown;
        }"""
    )
    assert display == "none"
    tab.assert_clean()
